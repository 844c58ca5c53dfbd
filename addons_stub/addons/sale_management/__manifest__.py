# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Sales",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "summary": "From quotations to invoices",
    "depends": ["sale", "digest"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": True,
    "auto_install": False,
}
