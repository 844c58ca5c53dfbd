# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Barcode",
    "version": "19.0.1.0.0",
    "category": "Supply Chain/Inventory",
    "summary": "Scan and parse barcodes",
    "depends": ["web"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
