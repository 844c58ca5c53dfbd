"""Website snippets family (`odoo_website_*`): snippet templates and page markup edited with lxml."""

from tools.website import tools

__all__ = ["tools"]
