# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Base",
    "version": "19.0.1.0.0",
    "category": "Hidden",
    "summary": "The kernel of Odoo, needed for all installation",
    "depends": [],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
