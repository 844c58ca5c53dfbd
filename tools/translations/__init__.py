"""Translations family: list translatable fields, read and write translations across Odoo versions."""

from tools.odoo import errors
from tools.odoo.context import odoo_context
from tools.registry import Family, collect, wrap_handlers
from tools.translations import tools

FAMILY = Family(name="translations", specs=wrap_handlers(collect(tools), errors.translated), context=odoo_context)

__all__ = ["FAMILY"]
