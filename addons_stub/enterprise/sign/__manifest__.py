# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Sign",
    "version": "19.0.1.0.0",
    "category": "Sales/Sign",
    "summary": "Send documents to sign online",
    "depends": ["mail", "portal", "web_enterprise"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": True,
    "auto_install": False,
}
