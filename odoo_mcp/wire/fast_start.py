"""The first two answers of a stdio session, given before the MCP SDK is imported.

Importing the SDK (its protocol types for every revision, its server and client) is most of a
cold start. A desktop client waits on every launch for `initialize` and the first `tools/list`
only, and both answers are fixed by what the process already has without the SDK: the server's
name, version and instructions, its capabilities (`handshake`), and the guard's visible tools
(`listing.listed_tool`). So `odoo_mcp.wire.stdio` answers those two here, then imports the SDK and
hands it the session: the lines read so far (`initialize`, `notifications/initialized`, the
`tools/list`) are replayed to it, so its session state and the list it remembers having shown
(for `tools/list_changed` after a policy reload) are what the client saw; its own answers to
those requests are not sent a second time, and should its list differ from the early one (a
reload in between), the client is told its list changed.

Earlier still, before the guard is built, the launcher (`odoo_mcp.launch`) answers both from the
list kept by the last start with the same code, policy, arguments and environment
(`listing_cache`); the same replay then hands the session over.

Only the handshake-era `initialize` of a protocol revision listed in `handshake` is answered
early; anything else (another revision, a 2026-07-28 request without handshake, any other first
request) goes to the SDK untouched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from odoo_mcp.wire.listed_schema import listed_tool

if TYPE_CHECKING:
    from guard.guard import Guard


def early_tools_list(guard: Guard) -> dict[str, Any]:
    """The tools/list result: every tool the guard lists (not hidden; under "list": "allowed", callable),
    as the SDK lists it."""
    return {"tools": [listed_tool(tool.spec) for tool in guard.listed()]}
