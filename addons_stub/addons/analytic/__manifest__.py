# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Analytic Accounting",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Analytic accounting",
    "depends": ["base", "mail", "uom"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
