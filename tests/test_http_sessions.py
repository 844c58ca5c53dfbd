"""Streamable HTTP sessions: only ids the server issued, bound to their grant, capped per grant.

One server process for the module (each test uses its own grant or counter, so they do not
interfere), driven by the real `mcp` client and raw HTTP where an attacker would not use a client.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from odoo_mcp.http.auth import token_digest
from odoo_mcp.http.sessions import session_label
from tests import zygote
from tests.harness import REPO
from tests.loopback import free_port, wait_for_port

pytestmark = pytest.mark.anyio

GRANTS = ["alice", "bob", "carol", "dave", "erin"]
POLICY = {
    "version": "1",
    "default": "deny",
    "tools": {
        "policy_status": {
            "limits": [{"counter": "status_per_session", "window": "hour", "max": 2, "scope": "session"}]
        }
    },
}
LEGACY = "2025-11-25"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("http_sessions")
    (tmp / "policy.json").write_text(json.dumps(POLICY))
    tokens = {g: "sha256:" + token_digest(f"{g}-token") for g in GRANTS}
    (tmp / "tokens.json").write_text(json.dumps({"grants": tokens}))
    port = free_port()
    env = {**os.environ, "ODOO_MCP_AUDIT_LOG": str(tmp / "audit.jsonl"), "ODOO_MCP_AUDIT_STDERR": "0",
           "ODOO_MCP_HTTP_MAX_SESSIONS_PER_GRANT": "2"}
    process = subprocess.Popen(
        [*zygote.command("odoo_mcp"), "serve", "--http", "--port", str(port),
         "--policy", str(tmp / "policy.json"), "--tokens", str(tmp / "tokens.json")],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    wait_for_port(port, process)
    yield f"http://127.0.0.1:{port}/mcp", tmp / "audit.jsonl"
    process.terminate()
    process.communicate(timeout=10)


def audit(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def client_for(url: str, grant: str, mode: str = "auto", hooks: dict | None = None, seen: list | None = None) -> Client:
    """The real client; `seen` collects the session ids the server answered with."""

    async def remember(response: httpx2.Response) -> None:
        if seen is not None and "mcp-session-id" in response.headers:
            seen.append(response.headers["mcp-session-id"])

    events = {"request": [], "response": [remember], **(hooks or {})}
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {grant}-token"}, timeout=30, event_hooks=events)
    return Client(streamable_http_client(url, http_client=http), mode=mode)


def status(result) -> dict:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


async def test_a_forged_session_id_per_request_does_not_reset_the_session_limit(server):
    """2026-07-28 has no sessions: a fresh Mcp-Session-Id per request is ignored, the grant is the scope."""
    url, _ = server

    async def forge(request: httpx2.Request) -> None:
        request.headers["Mcp-Session-Id"] = uuid.uuid4().hex

    async with client_for(url, "alice", hooks={"request": [forge]}) as alice:
        first = status(await alice.call_tool("policy_status", {}))
        status(await alice.call_tool("policy_status", {}))
        third = await alice.call_tool("policy_status", {})
    assert first["session"] == "http-alice"
    assert first["counter_storage"]["storage"] == "memory"  # and the agent is told counters restart with it
    assert "start again when it restarts" in first["counter_storage"]["lasts"]
    assert third.is_error
    assert third.content[0].text.startswith("[RATE LIMITED] status_per_session: 2 per hour (session)")


async def test_one_grants_session_counter_never_limits_another_grant(server):
    """Both grants send the same made-up session id: each has its own session counter."""
    url, _ = server

    async def same_id(request: httpx2.Request) -> None:
        request.headers["Mcp-Session-Id"] = "shared-made-up-id"

    async with client_for(url, "bob", hooks={"request": [same_id]}) as bob:
        for _ in range(2):
            status(await bob.call_tool("policy_status", {}))
        assert (await bob.call_tool("policy_status", {})).is_error
    async with client_for(url, "dave", hooks={"request": [same_id]}) as dave:
        assert status(await dave.call_tool("policy_status", {}))["grant"] == "dave"


async def test_another_grants_session_id_is_refused_and_audited(server):
    url, audit_path = server
    seen: list[str] = []
    async with client_for(url, "carol", "legacy", seen=seen) as carol:
        mine = status(await carol.call_tool("policy_status", {}))
        session_id = seen[0]
        assert mine["session"] == session_id  # the id the server issued, used as the session scope
        headers = {"Authorization": "Bearer erin-token", "Mcp-Session-Id": session_id,
                   "Mcp-Protocol-Version": LEGACY, "Accept": "application/json, text/event-stream"}
        call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "policy_status", "arguments": {}}}
        async with httpx2.AsyncClient(timeout=30) as raw:
            used = await raw.post(url, headers=headers, json=call)
            deleted = await raw.delete(url, headers=headers)
        assert (used.status_code, deleted.status_code) == (404, 404)
        again = status(await carol.call_tool("policy_status", {}))  # carol's session survived erin's DELETE
        assert again["session"] == session_id
    refused = [r for r in audit(audit_path) if r["event"] == "session_refused" and r["grant"] == "erin"]
    assert [r["reason"] for r in refused] == ["session belongs to another grant"] * 2
    assert {r["session_label"] for r in refused} == {session_label(session_id)}  # which session was tried
    calls = [r for r in audit(audit_path) if r["event"] == "tool_call" and r["grant"] == "erin"]
    assert calls == []  # nothing ran for erin


async def test_an_id_the_server_never_issued_is_refused(server):
    url, audit_path = server
    headers = {"Authorization": "Bearer dave-token", "Mcp-Session-Id": "0" * 32, "Mcp-Protocol-Version": LEGACY,
               "Accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient(timeout=30) as raw:
        answer = await raw.post(url, headers=headers, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert answer.status_code == 404
    assert any(r["event"] == "session_refused" and r["reason"] == "session not found" for r in audit(audit_path))


async def test_a_grant_holds_at_most_the_configured_number_of_sessions(server):
    url, audit_path = server
    async with client_for(url, "erin", "legacy") as one, client_for(url, "erin", "legacy") as two:
        status(await one.call_tool("policy_status", {}))
        status(await two.call_tool("policy_status", {}))
        with pytest.raises(Exception):  # noqa: B017 - the client surfaces the 429 as a transport error
            async with client_for(url, "erin", "legacy") as three:
                await three.call_tool("policy_status", {})
        async with client_for(url, "alice", "legacy") as other:  # another grant is not affected
            status(await other.call_tool("policy_status", {}))
    async with client_for(url, "erin", "legacy") as again:  # the two closed (DELETE): room again
        status(await again.call_tool("policy_status", {}))
    refused = [r for r in audit(audit_path) if r["event"] == "session_refused" and r["grant"] == "erin"]
    assert any(r["reason"] == "too many open sessions (2 per grant)" for r in refused)


async def test_host_header_is_checked_on_every_bind(server):
    """DNS rebinding: a Host the server was not configured for is refused (421) before anything else."""
    url, _ = server
    async with httpx2.AsyncClient(timeout=30) as raw:
        answer = await raw.post(url, headers={"Host": "evil.example", "Authorization": "Bearer alice-token",
                                              "Accept": "application/json, text/event-stream"},
                                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert answer.status_code == 421
