"""An Odoo double for tests: Odoo's wire protocols over real HTTP on 127.0.0.1, an in-memory database.

Layout: `errors` (Odoo's exceptions and their fault shapes), `domain` (domain semantics),
`database` (models, records, access rules, ORM methods), `modules` (`ir.module.module`),
`seed` (schema and data), `wire` (JSON-RPC, XML-RPC, JSON-2, web routes), `server` (serving);
`versions` and `schema` make it stand in for one Odoo version (`OdooDouble(version="18.0")`, 16.0 to
19.0): that version's fields, routes and method signatures, refusing the rest in Odoo's words.
Users: see `seed.ADMIN` and `seed.DEMO` (password and API key each), database `odoo`.
"""

from .seed import ADMIN, DEMO
from .server import OdooDouble

__all__ = ["ADMIN", "DEMO", "OdooDouble"]
