# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Discuss",
    "version": "19.0.1.0.0",
    "category": "Productivity/Discuss",
    "summary": "Chat, mail gateway and private channels",
    "depends": ["base", "bus", "web"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "LGPL-3",
    "installable": True,
    "application": True,
    "auto_install": False,
}
