"""What the server says of itself in a handshake, and how a handshake request is recognised.

Standard library only, on purpose: the launcher (`odoo_mcp.launch`) answers `initialize` from
here before anything else of the server is imported, and `fast_start` does the same once the
guard is built. `tests/test_stdio_early_answers.py` compares these answers with the MCP SDK's,
field for field, so a change on either side is caught.
"""

from __future__ import annotations

from typing import Any

from odoo_mcp import __version__

SERVER_NAME = "odoo-guard-mcp"
INSTRUCTIONS = (
    "Odoo tools behind a policy guard. Call policy_status first to see which tools you may call, "
    "why others are denied and how much of each rate limit remains. Refusals start with a tag "
    "such as [POLICY DENIED], [RATE LIMITED] or [INVALID ARGUMENTS]."
)

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


def is_initialized_notification(message: Any) -> bool:
    return isinstance(message, dict) and message.get("method") == "notifications/initialized"


def is_first_page_request(message: Any) -> bool:
    """`tools/list` without a cursor: the request answered early."""
    if not isinstance(message, dict) or message.get("method") != "tools/list" or "id" not in message:
        return False
    params = message.get("params")
    return params is None or (isinstance(params, dict) and not params.get("cursor"))


def response(request_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}
