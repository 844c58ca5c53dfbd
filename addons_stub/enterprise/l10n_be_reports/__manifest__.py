# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Belgium - Accounting Reports",
    "version": "19.0.1.0.0",
    "category": "Accounting/Localizations/Reporting",
    "summary": "Belgian tax reports",
    "countries": ["be"],
    "depends": ["l10n_be", "account_reports"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": False,
    "auto_install": False,
}
