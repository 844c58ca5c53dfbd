"""The first two answers of a stdio session, given before the MCP SDK is imported.

Importing the SDK (its protocol types for every revision, its server and client) is most of a
cold start. A desktop client waits on every launch for `initialize` and the first `tools/list`
only, and both answers are fixed by what the process already has without the SDK: the server's
name, version and instructions, its capabilities, and the guard's visible tools
(`listing.listed_tool`). So `odoo_mcp.stdio` answers those two here, then imports the SDK and
hands it the session: the lines read so far (`initialize`, `notifications/initialized`, the
`tools/list`) are replayed to it, so its session state and the list it remembers having shown
(for `tools/list_changed` after a policy reload) are what the client saw; its own answers to
those requests are not sent a second time, and should its list differ from the early one (a
reload in between), the client is told its list changed.

Only the handshake-era `initialize` of a protocol revision listed here is answered early;
anything else (another revision, a 2026-07-28 request without handshake, any other first
request) goes to the SDK untouched. A test compares these answers with the SDK's, field for
field, so a change on either side is caught.
"""

from __future__ import annotations

from typing import Any

from guard.guard import Guard
from odoo_mcp import __version__
from odoo_mcp.assembly import INSTRUCTIONS, SERVER_NAME
from odoo_mcp.listing import listed_tool

HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
"""The SDK's `mcp_types.version.HANDSHAKE_PROTOCOL_VERSIONS` (a test keeps them equal)."""

CAPABILITIES: dict[str, Any] = {
    "prompts": {"listChanged": False},
    "resources": {"subscribe": False, "listChanged": False},
    "tools": {"listChanged": False},
}
"""What `MCPServer` advertises for this server (a test keeps it equal to the SDK's answer)."""


def early_initialize(message: Any) -> dict[str, Any] | None:
    """The result of a handshake `initialize` this module can answer, else None (the SDK answers)."""
    if not isinstance(message, dict) or message.get("method") != "initialize" or "id" not in message:
        return None
    params = message.get("params")
    if not isinstance(params, dict) or params.get("protocolVersion") not in HANDSHAKE_VERSIONS:
        return None
    client = params.get("clientInfo")
    if not isinstance(params.get("capabilities"), dict) or not isinstance(client, dict):
        return None
    if not isinstance(client.get("name"), str) or not isinstance(client.get("version"), str):
        return None
    return {
        "protocolVersion": params["protocolVersion"],
        "capabilities": CAPABILITIES,
        "serverInfo": {"name": SERVER_NAME, "version": __version__},
        "instructions": INSTRUCTIONS,
    }


def is_first_page_request(message: Any) -> bool:
    """`tools/list` without a cursor: the request answered early."""
    if not isinstance(message, dict) or message.get("method") != "tools/list" or "id" not in message:
        return False
    params = message.get("params")
    return params is None or (isinstance(params, dict) and not params.get("cursor"))


def early_tools_list(guard: Guard) -> dict[str, Any]:
    """The tools/list result: every tool the guard lists (not hidden; under "list": "allowed", callable),
    as the SDK lists it."""
    return {"tools": [listed_tool(tool.spec) for tool in guard.listed()]}


def response(request_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}
