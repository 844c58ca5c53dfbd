# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Documents Spreadsheet",
    "version": "19.0.1.0.0",
    "category": "Productivity/Documents",
    "summary": "Documents Spreadsheet",
    "depends": ["spreadsheet_edition"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": False,
    "auto_install": False,
}
