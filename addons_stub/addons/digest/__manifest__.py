# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "KPI Digests",
    "version": "19.0.1.0.0",
    "category": "Marketing",
    "summary": "KPI digests",
    "depends": ["mail", "portal", "resource"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
