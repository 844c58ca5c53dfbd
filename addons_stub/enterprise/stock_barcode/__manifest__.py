# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Barcode",
    "version": "19.0.1.0.0",
    "category": "Supply Chain/Inventory",
    "summary": "Use barcode scanners to process logistics operations",
    "depends": ["barcodes", "stock", "web_enterprise"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": True,
    "auto_install": False,
}
