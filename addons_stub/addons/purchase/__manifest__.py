# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Purchase",
    "version": "19.0.1.0.0",
    "category": "Supply Chain/Purchase",
    "summary": "Purchase orders, tenders and agreements",
    "depends": ["account"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": True,
    "auto_install": False,
}
