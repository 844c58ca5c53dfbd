# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Accounting Reports",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "View and create reports",
    "depends": ["account_accountant"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": False,
    "auto_install": False,
}
