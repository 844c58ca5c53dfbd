# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Quality Base",
    "version": "19.0.1.0.0",
    "category": "Manufacturing/Quality",
    "summary": "Basic feature for Quality",
    "depends": ["mail"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": False,
    "auto_install": False,
}
