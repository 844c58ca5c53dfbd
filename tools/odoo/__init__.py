"""The Odoo tools (upstream `odoo-rpc-mcp` names and arguments), each behind the guard.

`FAMILY` exports the specs of the handler modules: `records` (CRUD, execute, aggregation,
chatter), `introspection` (version, models, fields, module facts), `modules` (module
lifecycle), `files` (backups, reports, attachments inside the files root), `connections`.
Every handler and preview runs inside `errors.refusals`: the Odoo client's errors become
tagged refusals there, and only there.
"""

from tools.odoo import cert_tools, connections, files, introspection, modules, records
from tools.odoo_kit import errors
from tools.odoo_kit.context import odoo_context
from tools.registry import Family, collect, wrap_handlers

FAMILY = Family(
    name="odoo",
    specs=wrap_handlers(
        collect(cert_tools, connections, files, introspection, modules, records), errors.translated
    ),
    context=odoo_context,
)

__all__ = ["FAMILY"]
