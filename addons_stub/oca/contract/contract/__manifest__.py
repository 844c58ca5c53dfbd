# Part of a stub tree for tests: a real-looking manifest, never executed.
{
    "name": "Recurring - Contracts Management",
    "version": "19.0.1.0.0",
    "category": "Contract Management",
    "summary": "Recurring invoicing of contracts",
    "depends": ["account", "product", "portal"],
    "data": [],
    "author": "Odoo Community Association (OCA)",
    "website": "https://github.com/OCA",
    "license": "AGPL-3",
    "external_dependencies": {"python": ["python-dateutil>=2.8"]},
    "maintainers": ["contract-maintainer"],
    "development_status": "Production/Stable",
    "installable": True,
    "application": True,
    "auto_install": False,
}
