# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Sale Order Type",
    "version": "19.0.1.0.0",
    "category": "Sales Management",
    "summary": "Define types of sale orders",
    "depends": ["sale_management"],
    "data": [],
    "author": "Odoo Community Association (OCA)",
    "website": "https://github.com/OCA",
    "license": "AGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
