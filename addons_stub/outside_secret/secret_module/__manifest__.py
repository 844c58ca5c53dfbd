# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Secret",
    "version": "19.0.1.0.0",
    "category": "Hidden",
    "summary": "Must never be linked",
    "depends": ["base"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": False,
    "auto_install": False,
}
