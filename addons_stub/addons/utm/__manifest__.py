# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "UTM Trackers",
    "version": "19.0.1.0.0",
    "category": "Marketing",
    "summary": "Track campaigns",
    "depends": ["base", "web"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": False,
    "auto_install": False,
}
