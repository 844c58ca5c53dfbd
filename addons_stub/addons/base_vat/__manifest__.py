# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "VAT Number Validation",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "VAT validation for partner's VAT numbers",
    "depends": ["account"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
