"""Every private part of the MCP SDK the server relies on, in one place, each behind a named function.

The SDK (`mcp` 2.x) has no public way to do four things this server needs; each is reached here
and nowhere else, and `tests/test_sdk_adapter.py` holds one contract test per private part that
fails with "mcp X.Y moved `…`: update odoo_mcp/wire/sdk_adapter.py" when an upgrade moves it:

- `MCPServer._tool_manager` — the registered tools *with their functions* (`MCPServer.list_tools()`
  is public but returns wire descriptions, which cannot show that every function is guard-wrapped);
- `MCPServer._lowlevel_server` — to serve stdio on streams we hand it (`run_stdio_async()` always
  opens the process's own stdin/stdout, and the launcher may have read lines from it already);
- `ServerSession._connection` — the client connection a per-request session object belongs to
  (a session object lives for one request; the list-changed bookkeeping needs the connection);
- `Tool(fn_metadata=FuncMetadata(arg_model=…))` — the SDK's internal tool record, built with a
  pass-through argument model so the raw arguments reach the guard (`MCPServer.add_tool` /
  `Tool.from_function` would validate them against the function's signature first).

The subscription bus (`subscriptions/listen`) was read as `MCPServer._subscriptions`; it is now
public API: `MCPServer(subscriptions=bus)` with a bus we create (`subscription_bus()`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mcp_types as types
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.server.subscriptions import InMemorySubscriptionBus, SubscriptionBus
from pydantic import ConfigDict

SdkTool = Tool
"""The SDK's tool record type, for annotations outside this module."""


class RawArguments(ArgModelBase):
    """Accepts any arguments and hands them over untouched: the guard validates them."""

    model_config = ConfigDict(extra="allow")

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": dict(self.__pydantic_extra__ or {})}


def raw_tool(
    fn: Callable[..., Any],
    *,
    name: str,
    description: str,
    parameters: dict[str, Any],
    annotations: types.ToolAnnotations,
    context_kwarg: str = "ctx",
) -> Tool:
    """The SDK's tool record for an async `fn(arguments: dict, ctx)` that receives the raw arguments."""
    return Tool(
        fn=fn,
        name=name,
        description=description,
        parameters=parameters,
        fn_metadata=FuncMetadata(arg_model=RawArguments),
        is_async=True,
        context_kwarg=context_kwarg,
        annotations=annotations,
    )


def registered_tools(server: MCPServer) -> list[Tool]:
    """The tools registered on `server`, with the functions the SDK will call."""
    return server._tool_manager.list_tools()


def lowlevel_server(server: MCPServer) -> Any:
    """The low-level `Server` behind `server` (its `run(read, write, options)` serves any streams)."""
    return server._lowlevel_server


def connection_of(session: Any) -> Any:
    """The client connection behind a request's session object (the SDK makes one session object per
    request; the connection lives as long as the client's stdio pipe or HTTP session). A session
    without one (another SDK shape, a test double) stands for itself."""
    return getattr(session, "_connection", None) or session


def subscription_bus() -> SubscriptionBus:
    """A bus for `MCPServer(subscriptions=…)` (public API): what is published reaches `subscriptions/listen`."""
    return InMemorySubscriptionBus()


__all__ = [
    "RawArguments",
    "SdkTool",
    "connection_of",
    "lowlevel_server",
    "raw_tool",
    "registered_tools",
    "subscription_bus",
]
