"""Public/portal access family (`public_access_*`): portal pages, exports, reports, files, shop, sitemap."""

from tools.odoo_kit import errors
from tools.odoo_kit.context import odoo_context
from tools.public_access import tools
from tools.registry import Family, collect, wrap_handlers

FAMILY = Family(name="public", specs=wrap_handlers(collect(tools), errors.translated), context=odoo_context)

__all__ = ["FAMILY"]
