# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Helpdesk",
    "version": "19.0.1.0.0",
    "category": "Services/Helpdesk",
    "summary": "Track, prioritize, and solve customer tickets",
    "depends": ["mail", "portal", "resource", "digest", "utm", "web_enterprise"],
    "data": [],
    "author": "Odoo S.A.",
    "license": "OEEL-1",
    "installable": True,
    "application": True,
    "auto_install": False,
}
