# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Accounting",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Manage financial and analytic accounting",
    "depends": ["account", "web_enterprise"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": True,
    "auto_install": False,
}
