"""Two stdio servers with the same no-op tool: one bare MCPServer, one behind the guard.

`python -m bench.noop_servers bare|guarded POLICY AUDIT_LOG` — used by bench_guard.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mcp.server.mcpserver import MCPServer

from guard.spec import Call, Risk, ToolArgs, ToolSpec
from odoo_mcp.config import Settings


class NoopArgs(ToolArgs):
    value: int = 0


def noop(args: NoopArgs, call: Call) -> str:
    """Return the value (benchmark tool)."""
    return str(args.value)


async def noop_async(args: NoopArgs, call: Call) -> str:
    """Return the value (benchmark tool)."""
    return str(args.value)


NOOP = ToolSpec("noop", "bench", Risk.READ, NoopArgs, noop_async, "Return the value (benchmark tool).")


def bare() -> None:
    server = MCPServer("bare", log_level="WARNING")

    @server.tool()
    async def noop(value: int = 0) -> str:
        """Return the value (benchmark tool)."""
        return str(value)

    server.run("stdio")


def guarded(policy: str, audit_log: str) -> None:
    from odoo_mcp.cli import run_server

    settings = Settings(policy_path=Path(policy), audit_log=Path(audit_log), audit_stderr=False)
    run_server(settings, extra_specs=[NOOP])


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        bare()
    else:
        guarded(sys.argv[2], sys.argv[3])
