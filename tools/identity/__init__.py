"""Identity (upstream's `identify`, `who_am_i`, `user_connection_*`): per-grant profiles and Odoo connections.
`FAMILY` exports them with the Odoo family's context; `store` keeps each grant's own, at rest in the state
directory."""

from tools.odoo_kit import errors
from tools.odoo_kit.context import odoo_context
from tools.registry import Family, collect, wrap_handlers

from . import profiles

FAMILY = Family(name="identity", specs=wrap_handlers(collect(profiles), errors.translated), context=odoo_context)

__all__ = ["FAMILY"]
