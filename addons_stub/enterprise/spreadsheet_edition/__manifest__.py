# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Spreadsheet Edition",
    "version": "19.0.1.0.0",
    "category": "Productivity/Documents",
    "summary": "Spreadsheet edition",
    "depends": ["documents"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": False,
    "auto_install": False,
}
