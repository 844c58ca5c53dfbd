"""Translations family: list translatable fields, read and write translations across Odoo versions."""

from tools.odoo_kit import errors
from tools.odoo_kit.context import odoo_context
from tools.odoo_kit.equivalents import field_write_equivalents, with_equivalents
from tools.registry import Family, collect, wrap_handlers
from tools.translations import tools

WRITES = {name: field_write_equivalents for name in (
    "odoo_translate_field",
    "odoo_translate_html",
    "odoo_translate_context_aware",
)}
"""One action, one rule: these write a field of a record, so `odoo_write`'s rule decides them too."""

FAMILY = Family(name="translations", specs=wrap_handlers(with_equivalents(collect(tools), WRITES), errors.translated),
                context=odoo_context)

__all__ = ["FAMILY"]
