"""The connection an Odoo tool acts on (`odoo()`), and one record read with a clear answer (`read_one`).

`odoo()` sits above the identity store (a grant's activated connection), which sits above the kit
(`tools/odoo_kit/__init__.py`: argument types, the pool service): families import the kit from there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

from guard.spec import Call, ToolFailure
from odoo_client.connection import OdooConnection, no_blocking
from odoo_client.errors import WouldBlock
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


T = TypeVar("T")


async def on_loop_unless_blocking(step: Callable[[], T]) -> T:
    """Run `step` here, on the event loop, when it needs no Odoo request; else in a worker thread.

    For the steps of an async handler around its Odoo request (sensitive-data checks, the read's
    plan and finish): their schema look-ups are cached, so a warm call runs them without a thread
    hop. `step` must change nothing before any request it makes: refused on the loop
    (`WouldBlock`, nothing sent), it is run again, whole, in the thread."""
    try:
        with no_blocking():
            return step()
    except WouldBlock:
        return await anyio.to_thread.run_sync(step)


def read_one(connection: OdooConnection, model: str, record_id: int, kwargs: dict[str, Any],
             what: str | None = None) -> dict[str, Any]:
    """One record's `read`, or a tagged answer naming it: Odoo's `read` drops ids that do not exist
    (a record deleted meanwhile, or one the user may not see) instead of raising."""
    rows = connection.execute(model, "read", [[record_id]], kwargs)
    if not rows:
        raise ToolFailure(f"{what or model} {record_id} does not exist (or is not visible to this user)")
    return rows[0]
