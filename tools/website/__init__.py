"""Website snippets family (`odoo_website_*`): snippet templates and page markup edited with lxml."""

from tools.odoo import errors
from tools.odoo.context import odoo_context
from tools.registry import Family, collect, wrap_handlers
from tools.website import tools

FAMILY = Family(name="website", specs=wrap_handlers(collect(tools), errors.translated), context=odoo_context)

__all__ = ["FAMILY"]
