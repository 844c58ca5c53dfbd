"""Website snippets family (`odoo_website_*`): snippet templates and page markup edited with lxml."""

from tools.odoo_kit import errors
from tools.odoo_kit.context import odoo_context
from tools.odoo_kit.equivalents import field_write_equivalents, with_equivalents
from tools.registry import Family, collect, wrap_handlers
from tools.website import tools

WRITES = {name: field_write_equivalents for name in (
    "odoo_website_add_snippet",
    "odoo_website_update_snippet",
    "odoo_website_remove_snippet",
)}
"""One action, one rule: these write a field of a record, so `odoo_write`'s rule decides them too."""

FAMILY = Family(name="website", specs=wrap_handlers(with_equivalents(collect(tools), WRITES), errors.translated),
                context=odoo_context)

__all__ = ["FAMILY"]
