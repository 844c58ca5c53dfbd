# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Sale Automatic Workflow",
    "version": "19.0.1.0.0",
    "category": "Sales Management",
    "summary": "Automate the validation of sale orders, invoices and pickings",
    "depends": ["sale_management", "stock"],
    "data": [],
    "author": "Odoo Community Association (OCA)",
    "website": "https://github.com/OCA",
    "license": "AGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
