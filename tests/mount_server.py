"""A small MCP server for the mount tests, started as `python -m tests.mount_server`.

Three tools with the three kinds of annotation a mounted tool may have: read-only, destructive,
and none at all.
"""

from __future__ import annotations

import mcp_types as types
from mcp.server.mcpserver import MCPServer

server = MCPServer("calc")


@server.tool(annotations=types.ToolAnnotations(read_only_hint=True))
def add(a: int, b: int) -> str:
    """Add two whole numbers."""
    return str(a + b)


@server.tool(annotations=types.ToolAnnotations(destructive_hint=True))
def wipe(target: str) -> str:
    """Pretend to wipe something."""
    return f"wiped {target}"


@server.tool()
def plain(text: str) -> str:
    """No annotations at all."""
    return text


if __name__ == "__main__":
    server.run("stdio")
