# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Web Enterprise",
    "version": "19.0.1.0.0",
    "category": "Hidden",
    "summary": "Enterprise web client",
    "depends": ["web"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": False,
    "auto_install": True,
}
