"""The connection an Odoo tool acts on (`odoo()`), and one record read with a clear answer (`read_one`).

`odoo()` sits above the identity store (a grant's activated connection), which sits above the kit
(`tools/odoo_kit/__init__.py`: argument types, the pool service): families import the kit from there.
"""

from __future__ import annotations

from typing import Any

from guard.spec import Call, ToolFailure
from odoo_client.connection import OdooConnection
from tools.identity.store import active_connection
from tools.odoo_kit import odoo_pool, signed_in_connection


def odoo(call: Call, connection: str | None) -> OdooConnection:
    """A signed-in person's own connection (and no other); else the named connection; unnamed, the one the
    caller's grant activated (tools/identity), else the default."""
    own = signed_in_connection(call, connection)
    if own is not None:
        return own
    if connection is None:
        own = active_connection(call)
        if own is not None:
            return own
    return odoo_pool(call).get(connection, owner=call.caller.grant)


def read_one(connection: OdooConnection, model: str, record_id: int, kwargs: dict[str, Any],
             what: str | None = None) -> dict[str, Any]:
    """One record's `read`, or a tagged answer naming it: Odoo's `read` drops ids that do not exist
    (a record deleted meanwhile, or one the user may not see) instead of raising."""
    rows = connection.execute(model, "read", [[record_id]], kwargs)
    if not rows:
        raise ToolFailure(f"{what or model} {record_id} does not exist (or is not visible to this user)")
    return rows[0]

