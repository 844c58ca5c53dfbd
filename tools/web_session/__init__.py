"""Web session family (`odoo_web_*`): a cookie session per grant and connection, on the connection's origin."""

from tools.odoo_kit import errors
from tools.odoo_kit.context import odoo_context
from tools.registry import Family, collect, wrap_handlers
from tools.web_session import tools

FAMILY = Family(name="web", specs=wrap_handlers(collect(tools), errors.translated), context=odoo_context)

__all__ = ["FAMILY"]
