"""Which Odoo versions a tool family works with, decided from the version detected at connect.

A family whose tools rely on models or fields that only some versions have (the stock tools need
18.0's `is_storable`, for instance) declares its range here; a call on a connection outside it is
refused, tagged `[NOT CONFIGURED]`, naming the tool, the versions it supports and the server's
version — before anything is read or written, and never by trying the call and catching Odoo's
error. The detected version is the connection's (`OdooConnection.major_version()`, asked once).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from guard.spec import Call, Handler, NotConfigured, ToolSpec

from .common import odoo


def span(since: int, until: int | None) -> str:
    if until is None:
        return f"Odoo {since}.0 and later"
    return f"Odoo {since}.0" if since == until else f"Odoo {since}.0 to {until}.0"


def check(call: Call, alias: str | None, tool: str, since: int, until: int | None = None) -> None:
    """Refuse `tool` on a connection whose Odoo is outside `since`..`until` (major versions)."""
    connection = odoo(call, alias)
    major = connection.major_version()
    if major < since or (until is not None and major > until):
        version = connection.version().get("server_version") or major
        raise NotConfigured(f"{tool} works with {span(since, until)}; connection {connection.alias!r} is "
                            f"Odoo {version}: nothing was done")


def gated(specs: Iterable[ToolSpec], since: int, until: int | None = None) -> tuple[ToolSpec, ...]:
    """The specs with the version check in front of every handler and preview."""

    def wrap(name: str, handler: Handler) -> Handler:
        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def run_async(args: Any, call: Call) -> Any:
                check(call, getattr(args, "connection", None), name, since, until)
                return await handler(args, call)

            return run_async

        @functools.wraps(handler)
        def run(args: Any, call: Call) -> Any:
            check(call, getattr(args, "connection", None), name, since, until)
            return handler(args, call)

        return run

    return tuple(replace(spec, handler=wrap(spec.name, spec.handler),
                         preview=wrap(spec.name, spec.preview) if spec.preview else None) for spec in specs)
