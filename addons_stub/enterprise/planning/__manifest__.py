# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Planning",
    "version": "19.0.1.0.0",
    "category": "Human Resources/Planning",
    "summary": "Manage your employees' schedule",
    "depends": ["hr", "web_enterprise"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": True,
    "auto_install": False,
}
