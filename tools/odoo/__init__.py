"""The Odoo tools (upstream `odoo-rpc-mcp` names and arguments), each behind the guard.

Importing this package registers them: `records` (CRUD, execute, aggregation, chatter),
`introspection` (version, models, fields, module facts), `modules` (module lifecycle),
`files` (backups, reports, attachments inside the files root), `connections`.
"""

from tools.odoo import cert_tools, connections, files, introspection, modules, records

__all__ = ["cert_tools", "connections", "files", "introspection", "modules", "records"]
