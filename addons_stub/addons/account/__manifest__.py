# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Invoicing",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Invoices & payments",
    "depends": ["base", "product", "analytic", "portal", "digest"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": True,
    "auto_install": False,
}
