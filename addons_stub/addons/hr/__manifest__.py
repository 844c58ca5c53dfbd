# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Employees",
    "version": "19.0.1.0.0",
    "category": "Human Resources/Employees",
    "summary": "Centralize employee information",
    "depends": ["base", "mail", "resource", "web"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": True,
    "auto_install": False,
}
