# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Contract from Sale",
    "version": "19.0.1.0.0",
    "category": "Contract Management",
    "summary": "Create contracts from sale orders",
    "depends": ["contract", "sale"],
    "data": [],
    "author": "Odoo Community Association (OCA)",
    "license": "AGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
