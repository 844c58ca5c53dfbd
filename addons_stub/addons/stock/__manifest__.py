# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Inventory",
    "version": "19.0.1.0.0",
    "category": "Supply Chain/Inventory",
    "summary": "Manage your stock",
    "depends": ["product", "barcodes", "digest"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": True,
    "auto_install": False,
}
