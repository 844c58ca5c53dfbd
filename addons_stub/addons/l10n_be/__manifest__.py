# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Belgium - Accounting",
    "version": "19.0.1.0.0",
    "category": "Accounting/Localizations/Account Charts",
    "summary": "Belgian chart of accounts",
    "countries": ["be"],
    "depends": ["account", "base_vat"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
