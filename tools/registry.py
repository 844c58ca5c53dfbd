"""The catalogue of tool specs, filled by the `@tool` decorator of each family module.

Registering here does not expose a tool: the server only exposes what the guard has
wrapped (see `odoo_mcp.server`), so a handler can never be reached unguarded.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from guard.spec import Equivalents, Handler, Risk, ToolArgs, ToolSpec

_CATALOG: dict[str, ToolSpec] = {}

FAMILY_MODULES = (
    "odoo_mcp.status",
    "tools.addons",
    "tools.odoo",
    "tools.translations",
    "tools.website",
    "tools.web_session",
    "tools.public_access",
)
"""Modules whose import registers a family of tools; a missing module is an error, not a skip."""


def tool(
    name: str,
    *,
    family: str,
    risk: Risk,
    args: type[ToolArgs],
    idempotent: bool = False,
    open_world: bool = False,
    preview: Handler | None = None,
    equivalents: Equivalents | None = None,
) -> Callable[[Handler], Handler]:
    """Register `handler` as the tool `name`; the docstring becomes the tool's description.

    `preview(args, call)` (optional) tells a human approving the call what it would change.
    """

    def register(handler: Handler) -> Handler:
        if name in _CATALOG:
            raise ValueError(f"tool {name!r} is registered twice")
        if not issubclass(args, ToolArgs):
            raise TypeError(f"tool {name!r}: args must subclass guard.spec.ToolArgs")
        description = (handler.__doc__ or "").strip()
        if not description:
            raise ValueError(f"tool {name!r} needs a docstring: it is the description agents read")
        _CATALOG[name] = ToolSpec(
            name=name,
            family=family,
            risk=risk,
            args=args,
            handler=handler,
            description=description,
            idempotent=idempotent,
            open_world=open_world,
            preview=preview,
            equivalents=equivalents,
        )
        return handler

    return register


def all_specs() -> list[ToolSpec]:
    """Every registered tool, families imported first, sorted by name."""
    for module in FAMILY_MODULES:
        importlib.import_module(module)
    return sorted(_CATALOG.values(), key=lambda spec: spec.name)
