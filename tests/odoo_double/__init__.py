"""An Odoo double for tests: Odoo's wire protocols over real HTTP on 127.0.0.1, an in-memory database.

Layout: `errors` (Odoo's exceptions and their fault shapes), `domain` (domain semantics),
`database` (models, records, access rules, ORM methods), `modules` (`ir.module.module`),
`seed` (schema and data), `wire` (JSON-RPC, XML-RPC, JSON-2, web routes), `server` (serving).
Users: see `seed.ADMIN` and `seed.DEMO` (password and API key each), database `odoo`.
"""

from .seed import ADMIN, DEMO
from .server import OdooDouble

__all__ = ["ADMIN", "DEMO", "OdooDouble"]
