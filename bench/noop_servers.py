"""Stdio servers with the same no-op tool: a bare MCPServer, and our server behind the guard.

`python -m bench.noop_servers bare` — the baseline.
`python -m bench.noop_servers guarded POLICY AUDIT_LOG` — the product as deployed: the whole
catalogue, the policy given, the audit log written to a file.
`python -m bench.noop_servers minimal POLICY` — the guard's floor: only the no-op tool, no audit sink.
`python -m bench.noop_servers stdlib WAIT_MS` / `sdk WAIT_MS` — the protocol layer's floor (see
`bench/bench_floor.py`): a `read` tool that waits WAIT_MS (as for Odoo) and answers 8,000
characters, served by a stdlib JSON-RPC loop, and by a bare MCPServer on this project's stdio.
`python -m bench.noop_servers guard-sdk WAIT_MS` / `guard-fast WAIT_MS` — the same tool behind the
guard (no audit sink) on this server's stdio, every call through the SDK, or answered without the
SDK's per-message path (`odoo_mcp/wire/fast_call.py`).
"""

from __future__ import annotations

import json
import sys
import time
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


ANSWER = "x" * 8000
"""About the size of the peer benchmark's answer (100 partners, three fields)."""


def stdlib(wait_ms: float) -> None:
    """MCP over stdio on the stdlib alone (what a server without the SDK does): the floor of the protocol layer.

    Blocking, line by line: `initialize`, `tools/list`, `tools/call` of one tool; notifications
    are read and ignored. Not a server to use: enough of the protocol for the `mcp` client.
    """
    tool = {"name": "read", "description": "Wait, then answer (benchmark tool).", "inputSchema": {"type": "object"}}
    for line in sys.stdin.buffer:
        message = json.loads(line)
        if "id" not in message:
            continue
        method = message.get("method")
        if method == "initialize":
            result: dict = {"protocolVersion": message["params"]["protocolVersion"], "capabilities": {"tools": {}},
                            "serverInfo": {"name": "stdlib", "version": "0"}}
        elif method == "tools/list":
            result = {"tools": [tool]}
        elif method == "tools/call":
            time.sleep(wait_ms / 1000)
            result = {"content": [{"type": "text", "text": ANSWER}], "isError": False}
        else:
            result = {}
        sys.stdout.buffer.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}).encode() + b"\n")
        sys.stdout.buffer.flush()


def sdk(wait_ms: float) -> None:
    """The same tool on a bare MCPServer served by `odoo_mcp.wire.stdio` (as this server is): the SDK's floor.

    A sync tool, so the SDK runs it in a worker thread, as the guard runs a blocking Odoo call.
    """
    from odoo_mcp.wire.stdio import run_stdio

    server = MCPServer("sdk", log_level="WARNING")

    @server.tool(structured_output=False)  # one text block, as the stdlib loop and this server answer
    def read() -> str:
        """Wait, then answer (benchmark tool)."""
        time.sleep(wait_ms / 1000)
        return ANSWER

    run_stdio(None, lambda: server, early=False)  # no guard: nothing to answer before the SDK


class ReadArgs(ToolArgs):
    pass


def guarded_read(wait_ms: float, fast: bool) -> None:
    """The same tool behind the guard (allowed, no audit sink), on this server's stdio, with every
    `tools/call` through the SDK (`fast` off) or answered by `odoo_mcp.wire.fast_call` (on)."""
    from guard.guard import Guard
    from guard.policy import parse_policy
    from odoo_mcp.server import build_server
    from odoo_mcp.wire.stdio import run_stdio

    def read(args: ReadArgs, call: Call) -> str:
        """Wait, then answer (benchmark tool)."""
        time.sleep(wait_ms / 1000)
        return ANSWER

    guard = Guard(parse_policy({"version": "1", "default": "deny", "tools": {"read": {}}}))
    guard.wrap(ToolSpec("read", "bench", Risk.READ, ReadArgs, read, "Wait, then answer (benchmark tool)."))
    run_stdio(guard, lambda: build_server(guard), early=False, fast=fast)


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        bare()
    elif sys.argv[1] == "stdlib":
        stdlib(float(sys.argv[2]))
    elif sys.argv[1] == "sdk":
        sdk(float(sys.argv[2]))
    elif sys.argv[1] in ("guard-sdk", "guard-fast"):
        guarded_read(float(sys.argv[2]), fast=sys.argv[1] == "guard-fast")
    elif sys.argv[1] == "minimal":
        minimal(sys.argv[2])
    else:
        guarded(sys.argv[2], sys.argv[3])
