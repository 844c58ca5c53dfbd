# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Amazon Connector",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "summary": "Import Amazon orders and sync deliveries",
    "depends": ["sale_management", "stock_delivery_amazon"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": False,
    "auto_install": False,
}
