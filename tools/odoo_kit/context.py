"""What the Odoo handlers receive as `call.runtime`: built once at start-up.

`OdooContext` holds the server's runtime (settings with the files root, and the lazily built
services: the connection pool, the schema cache, the pinned files root), the Odoo connection
settings parsed and checked once (a bad `ODOO_*` or `CONNECTIONS_FILE` stops the start, naming
the variable), and the running guard, whose policy's `sensitive` rules apply to what the tools read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from foundation.env import first_set, parse_bool
from odoo_client.settings import OdooSettings

T = TypeVar("T")


@dataclass(frozen=True)
class OdooContext:
    runtime: Any
    """The server's runtime: `settings` (roots, env) and `service(name, factory)`."""
    odoo: OdooSettings
    guard: Any = None
    """The running guard: its `policy` is the one of the running call (pinned for its grant, reloaded)."""
    pin_write: bool = False
    """`ODOO_MCP_TLS_PIN_WRITE`: the operator lets `odoo_cert_refresh` pin without an approval."""

    @property
    def policy(self) -> Any:
        return getattr(self.guard, "policy", None)

    @property
    def settings(self) -> Any:
        return self.runtime.settings

    def service(self, name: str, factory: Callable[[Any], T]) -> T:
        return self.runtime.service(name, factory)


def odoo_context(runtime: Any, guard: Any) -> OdooContext:
    """The family's context; raises `ConfigError` naming the variable when a setting is unusable."""
    env = runtime.settings.env
    return OdooContext(
        runtime=runtime,
        odoo=runtime.settings.odoo,  # parsed once for the server (odoo_mcp/config.py)
        guard=guard,
        pin_write=parse_bool(first_set(env, "ODOO_MCP_TLS_PIN_WRITE") or "0", "ODOO_MCP_TLS_PIN_WRITE"),
    )
