# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Documents",
    "version": "19.0.1.0.0",
    "category": "Productivity/Documents",
    "summary": "Collect, organize and share documents",
    "depends": ["mail", "portal", "documents_spreadsheet"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": True,
    "auto_install": False,
}
