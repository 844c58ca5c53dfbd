# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Stock Barcode (OCA)",
    "version": "19.0.1.0.0",
    "category": "Warehouse Management",
    "summary": "Barcode scanning for stock pickings",
    "depends": ["barcodes", "stock"],
    "data": [],
    "author": "Odoo Community Association (OCA)",
    "website": "https://github.com/OCA",
    "license": "AGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
