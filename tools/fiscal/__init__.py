"""Fiscal positions (upstream's five `odoo_fp_*` tools) on standard Odoo models, with the tax actions of
`l10n_bg_tax_admin` when that module is installed. `FAMILY` exports them with the Odoo family's context and
error translation (the same connections, sensitive-data rules and tags as every Odoo tool)."""

from tools.odoo_kit import errors
from tools.odoo_kit.context import odoo_context
from tools.registry import Family, collect, wrap_handlers

from . import positions

FAMILY = Family(name="fiscal", specs=wrap_handlers(collect(positions), errors.translated), context=odoo_context)

__all__ = ["FAMILY"]
