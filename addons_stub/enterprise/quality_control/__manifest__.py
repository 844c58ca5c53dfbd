# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Quality",
    "version": "19.0.1.0.0",
    "category": "Manufacturing/Quality",
    "summary": "Control the quality of your products",
    "depends": ["quality", "stock"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": True,
    "auto_install": False,
}
