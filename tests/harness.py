"""End-to-end harness: the real server process over stdio, driven by the real `mcp` client.

    async with guarded_server(policy, tmp_path=tmp_path, env={...}) as server:
        result = await server.call("ee_link", {"modules": ["sale_subscription"]})
        assert not result.is_error, result.text
        records = server.audit_records()

`policy` is a dict (written to a file), or a path. `mode="legacy"` speaks the
handshake-era protocol (what most desktop clients speak), `"auto"` the newest. `echo=True` starts the server with the
test tool `guard_echo` added (tests/echo_server.py). The server's stderr goes to a file
(`server.stderr_text()`), its audit log to another (`server.audit_records()`).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests import zygote

REPO = Path(__file__).resolve().parent.parent


@dataclass
class ToolResult:
    """One call's answer as a user sees it."""

    text: str
    is_error: bool
    data: Any
    raw: types.CallToolResult

    @property
    def tag(self) -> str | None:
        """`POLICY DENIED` for `[POLICY DENIED] ...`, None for an untagged text."""
        if self.text.startswith("["):
            return self.text[1 : self.text.index("]")]
        return None


def _to_result(raw: types.CallToolResult) -> ToolResult:
    texts = [block.text for block in raw.content if isinstance(block, types.TextContent)]
    text = texts[0] if texts else ""
    data: Any = None  # the server sends JSON text (no structuredContent): decode it
    if not raw.is_error:
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = text
    return ToolResult(text=text, is_error=bool(raw.is_error), data=data, raw=raw)


@dataclass
class GuardedSession:
    client: Client
    audit_path: Path
    stderr_path: Path
    tmp_path: Path
    env: dict[str, str] = field(default_factory=dict)

    async def call(self, name: str, arguments: dict[str, Any] | None = None) -> ToolResult:
        return _to_result(await self.client.call_tool(name, arguments or {}))

    async def list_tools(self) -> list[types.Tool]:
        return list((await self.client.list_tools(cache_mode="refresh")).tools)

    async def tool_names(self) -> set[str]:
        return {tool.name for tool in await self.list_tools()}

    def audit_records(self, event: str | None = "tool_call") -> list[dict[str, Any]]:
        if not self.audit_path.exists():
            return []
        records = [json.loads(line) for line in self.audit_path.read_text().splitlines() if line.strip()]
        return [r for r in records if event is None or r.get("event") == event]

    def stderr_text(self) -> str:
        return self.stderr_path.read_text() if self.stderr_path.exists() else ""


def write_policy(policy: dict[str, Any] | str | Path, tmp_path: Path) -> Path:
    if isinstance(policy, Path):
        return policy
    path = tmp_path / "policy.json"
    path.write_text(policy if isinstance(policy, str) else json.dumps(policy))
    return path


def server_command(echo: bool) -> list[str]:
    """`python -m odoo_mcp serve` (or the echo server), forked from the test zygote (tests/zygote.py)."""
    return zygote.command("tests.echo_server") if echo else zygote.command("odoo_mcp", "serve")


def server_parameters(env: dict[str, str], *, echo: bool = False) -> StdioServerParameters:
    """How the `mcp` client starts the server (see `server_command`) with `env`, in the repository."""
    command = server_command(echo)
    return StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=str(REPO))


@asynccontextmanager
async def guarded_server(
    policy: dict[str, Any] | str | Path,
    *,
    tmp_path: Path,
    env: dict[str, str] | None = None,
    echo: bool = False,
    elicitation_callback: Any = None,
    mode: str = "auto",
) -> AsyncIterator[GuardedSession]:
    """Start the server with `policy` and `env` (over the current environment) and connect to it."""
    policy_path = write_policy(policy, tmp_path)
    audit_path = tmp_path / "audit.jsonl"
    stderr_path = tmp_path / "server.stderr"
    full_env = {
        **os.environ,
        "ODOO_MCP_POLICY": str(policy_path),
        "ODOO_MCP_AUDIT_LOG": str(audit_path),
        "ODOO_MCP_AUDIT_STDERR": "0",
        "PYTHONPATH": str(REPO),
        **(env or {}),
    }
    params = server_parameters(full_env, echo=echo)
    with stderr_path.open("w") as errlog:
        client = Client(
            stdio_client(params, errlog=errlog),
            elicitation_callback=elicitation_callback,
            read_timeout_seconds=60,
            mode=mode,
        )
        async with client:
            yield GuardedSession(client, audit_path, stderr_path, tmp_path, full_env)
