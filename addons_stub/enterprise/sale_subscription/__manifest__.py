# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Subscriptions",
    "version": "19.0.1.0.0",
    "category": "Sales/Subscriptions",
    "summary": "Generate recurring invoices and manage renewals",
    "depends": ["sale_management", "account_accountant"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": True,
    "auto_install": False,
}
