# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "GS1 Barcode",
    "version": "19.0.1.0.0",
    "category": "Generic Modules",
    "summary": "Decode GS1-128 barcodes",
    "depends": ["barcodes"],
    "data": [],
    "author": "Odoo Community Association (OCA)",
    "website": "https://github.com/OCA",
    "license": "AGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
