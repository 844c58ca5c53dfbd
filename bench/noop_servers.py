"""Stdio servers with the same no-op tool: a bare MCPServer, and our server behind the guard.

`python -m bench.noop_servers bare` — the baseline.
`python -m bench.noop_servers guarded POLICY AUDIT_LOG` — the product as deployed: the whole
catalogue, the policy given, the audit log written to a file.
`python -m bench.noop_servers minimal POLICY` — the guard's floor: only the no-op tool, no audit sink.
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


def minimal(policy: str) -> None:
    from guard.guard import Guard
    from guard.policy import load_policy
    from odoo_mcp.server import build_server

    guard = Guard(load_policy(Path(policy)))
    guard.wrap(NOOP)
    build_server(guard).run("stdio")


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        bare()
    elif sys.argv[1] == "minimal":
        minimal(sys.argv[2])
    else:
        guarded(sys.argv[2], sys.argv[3])
