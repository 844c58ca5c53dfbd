"""initialize and the first tools/list are answered before the SDK is loaded, and say exactly
what the SDK says; the session then goes on through the SDK as if nothing happened."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

from odoo_mcp.wire.handshake import HANDSHAKE_VERSIONS
from tests.harness import REPO

POLICY = {"version": "1", "default": "deny", "hide": ["odoo_unlink"], "tools": {"policy_status": {}}}


def session(tmp_path: Path, version: str, early: bool) -> list[dict[str, Any]]:
    """Raw JSON-RPC lines over a real server's pipes: initialize, initialized, tools/list, a call."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(POLICY))
    env = {**os.environ, "ODOO_MCP_POLICY": str(policy), "ODOO_MCP_AUDIT_STDERR": "0",
           "ODOO_MCP_EARLY_ANSWERS": "1" if early else "0"}
    requests = [
        {"jsonrpc": "2.0", "id": 0, "method": "initialize",
         "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "odoo_unlink", "arguments": {}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {}},
    ]
    server = subprocess.Popen([sys.executable, "-m", "odoo_mcp", "serve"], cwd=REPO, env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert server.stdin is not None and server.stdout is not None
    answers: list[dict[str, Any]] = []
    buffer = b""
    try:
        server.stdin.write(b"".join(json.dumps(r).encode() + b"\n" for r in requests))
        server.stdin.flush()
        deadline = time.monotonic() + 60
        while len(answers) < 4:
            ready, _, _ = select.select([server.stdout], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"no answer after {answers}"
            chunk = os.read(server.stdout.fileno(), 1 << 20)
            assert chunk, "the server closed its stdout"
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            answers += [json.loads(line) for line in lines if line.strip()]
    finally:
        server.stdin.close()
        server.wait(30)
    return sorted(answers, key=lambda answer: answer["id"])  # concurrent requests may be answered in any order


def test_the_early_answers_are_the_sdks_answers(tmp_path):
    early = session(tmp_path, "2025-06-18", early=True)
    sdk = session(tmp_path, "2025-06-18", early=False)
    assert [a["id"] for a in early] == [0, 1, 2, 3]  # the initialize is answered once
    assert early == sdk
    initialize, listed, call, listed_again = early
    assert initialize["result"]["protocolVersion"] == "2025-06-18"
    names = {tool["name"] for tool in listed["result"]["tools"]}
    assert "policy_status" in names and "odoo_unlink" not in names  # the policy's view, hidden tools left out
    assert listed_again == {**listed, "id": 3}  # the SDK lists the same tools afterwards
    assert call["result"]["isError"] is True  # the session goes on through the SDK and the guard
    assert call["result"]["content"][0]["text"].startswith("[POLICY DENIED]")


def test_a_revision_not_answered_early_is_left_to_the_sdk(tmp_path):
    answers = session(tmp_path, "1999-01-01", early=True)
    assert answers[0]["result"]["protocolVersion"] == LATEST_HANDSHAKE_VERSION
    assert [a["id"] for a in answers] == [0, 1, 2, 3]


def test_the_early_path_knows_the_sdks_handshake_revisions():
    assert tuple(HANDSHAKE_PROTOCOL_VERSIONS) == HANDSHAKE_VERSIONS


class _Pipe:
    """Stands in for the asyncio StreamWriter under `_Writer`: collects what reaches the client."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.sent.append(data)


@pytest.mark.anyio
async def test_the_sdks_answers_to_replayed_requests_are_not_sent_twice():
    from odoo_mcp.wire.stdio import _Writer

    pipe = _Pipe()
    writer = _Writer(pipe)  # type: ignore[arg-type]
    listed = {"tools": [{"name": "a"}]}
    writer._answered = {0: {"protocolVersion": "2025-06-18"}, 1: listed}
    await writer.write(json.dumps({"jsonrpc": "2.0", "id": 0, "result": {"protocolVersion": "2025-06-18"}}) + "\n")
    await writer.write(json.dumps({"jsonrpc": "2.0", "id": 1, "result": listed}) + "\n")
    assert pipe.sent == []  # both were answered early, with the same answers
    later = json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"content": []}}) + "\n"
    await writer.write(later)  # an id already dropped once is an ordinary answer again
    assert pipe.sent == [later.encode()]


@pytest.mark.anyio
async def test_a_list_that_changed_before_the_sdk_took_over_is_announced():
    from odoo_mcp.wire.stdio import _Writer

    pipe = _Pipe()
    writer = _Writer(pipe)  # type: ignore[arg-type]
    writer._answered = {1: {"tools": [{"name": "a"}, {"name": "b"}]}}
    await writer.write(json.dumps({"jsonrpc": "2.0", "id": 1, "result": {"tools": [{"name": "a"}]}}) + "\n")
    assert [json.loads(line) for line in pipe.sent] == [
        {"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}
    ]
