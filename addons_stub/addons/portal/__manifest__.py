# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Customer Portal",
    "version": "19.0.1.0.0",
    "category": "Hidden",
    "summary": "Customer portal",
    "depends": ["web", "mail"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
