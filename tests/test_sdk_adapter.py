"""One contract per private part of the MCP SDK that `odoo_mcp/wire/sdk_adapter.py` relies on.

Each test reads the private part on a real `MCPServer` (or session) and says, when an SDK upgrade
moved it, which one and where to fix it — instead of the server failing somewhere downstream.
"""

from __future__ import annotations

import importlib.metadata

import anyio
import mcp_types as types
import pytest
from mcp import Client
from mcp.server.connection import Connection
from mcp.server.mcpserver import Context, MCPServer

from odoo_mcp.wire import sdk_adapter

SDK = f"mcp {importlib.metadata.version('mcp')}"


def moved(part: str) -> str:
    return f"{SDK} moved `{part}`: update odoo_mcp/wire/sdk_adapter.py"


def raw_echo_server() -> tuple[MCPServer, list[dict]]:
    """A server with one tool registered the way the guard's are: raw arguments, no signature validation."""
    seen: list[dict] = []

    async def echo(arguments: dict, ctx: Context) -> types.CallToolResult:
        seen.append(arguments)
        return types.CallToolResult(content=[types.TextContent(type="text", text="ok")])

    tool = sdk_adapter.raw_tool(
        echo,
        name="echo",
        description="echo",
        parameters={"type": "object", "properties": {"n": {"type": "integer"}}},
        annotations=types.ToolAnnotations(),
    )
    return MCPServer("contract", tools=[tool], subscriptions=sdk_adapter.subscription_bus()), seen


def test_tool_manager_lists_the_registered_functions():
    server, _ = raw_echo_server()
    try:
        tools = sdk_adapter.registered_tools(server)
    except AttributeError as exc:
        pytest.fail(f"{moved('MCPServer._tool_manager')} ({exc})")
    assert [(tool.name, tool.fn.__name__) for tool in tools] == [("echo", "echo")], moved("MCPServer._tool_manager")


def test_lowlevel_server_serves_streams_we_hand_it():
    server, _ = raw_echo_server()
    try:
        lowlevel = sdk_adapter.lowlevel_server(server)
    except AttributeError as exc:
        pytest.fail(f"{moved('MCPServer._lowlevel_server')} ({exc})")
    assert callable(getattr(lowlevel, "run", None)), moved("MCPServer._lowlevel_server")
    assert callable(getattr(lowlevel, "create_initialization_options", None)), moved("MCPServer._lowlevel_server")


def test_raw_tool_gets_the_arguments_untouched():
    """`Tool`/`FuncMetadata` with a pass-through argument model: wrong types and unknown names reach our
    function as sent (the SDK would refuse or drop them before the guard sees them)."""
    server, seen = raw_echo_server()

    async def scenario() -> None:
        async with Client(server) as client:
            result = await client.call_tool("echo", {"n": "not a number", "extra": [1]})
            assert not result.is_error, moved("Tool / FuncMetadata(arg_model=…)")

    try:
        anyio.run(scenario)
    except (TypeError, ImportError) as exc:
        pytest.fail(f"{moved('Tool / FuncMetadata(arg_model=…)')} ({exc})")
    assert seen == [{"n": "not a number", "extra": [1]}], moved("Tool / FuncMetadata(arg_model=…)")


def test_session_connection_is_the_connection_behind_the_request():
    """Each request's session object carries the SDK's `Connection` as `_connection` (what the
    list-changed bookkeeping keys on); without it the adapter would fall back to the session itself."""
    connections: list[object] = []

    async def whoami(ctx: Context) -> str:
        connections.append(sdk_adapter.connection_of(ctx.session))
        return "ok"

    server = MCPServer("contract")
    server.add_tool(whoami)

    async def scenario() -> None:
        async with Client(server) as client:
            await client.call_tool("whoami", {})
            await client.call_tool("whoami", {})

    anyio.run(scenario)
    assert [type(connection) for connection in connections] == [Connection, Connection], moved(
        "ServerSession._connection"
    )


def test_the_subscription_bus_is_public_api():
    """Not a private part: `MCPServer(subscriptions=bus)` is the SDK's documented seam; this pins that it stays one."""
    bus = sdk_adapter.subscription_bus()
    assert callable(bus.publish)
    MCPServer("contract", subscriptions=bus)
