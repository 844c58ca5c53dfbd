# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Products & Pricelists",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "summary": "Products and pricelists",
    "depends": ["base", "mail", "uom"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
