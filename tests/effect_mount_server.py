"""A small MCP server to mount, started as `python -m tests.effect_mount_server`.

Its one tool leaves a mark (a line appended to a file), then takes its time: the quota tests
cancel a mounted call after the mounted server did its work (tests/test_guard_quota.py).
"""

from __future__ import annotations

import anyio
from mcp.server.mcpserver import MCPServer

server = MCPServer("effects")


@server.tool()
async def mark(path: str) -> str:
    """Append a line to `path`, then wait a minute (the caller gives up before)."""
    with open(path, "a", encoding="utf-8") as file:
        file.write("effect\n")
    await anyio.sleep(60)
    return "done"


if __name__ == "__main__":
    server.run("stdio")
