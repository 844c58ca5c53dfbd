# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Payroll",
    "version": "19.0.1.0.0",
    "category": "Human Resources/Payroll",
    "summary": "Manage your employee payroll records",
    "depends": ["hr", "account_accountant"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": True,
    "auto_install": False,
}
