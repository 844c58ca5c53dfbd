"""Streamable HTTP: each bearer token maps to a grant; no token, no access."""

from __future__ import annotations

import json
import os
import subprocess

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from odoo_mcp.cli import main
from odoo_mcp.http.auth import token_digest
from tests import zygote
from tests.harness import REPO
from tests.loopback import free_port, wait_for_port

pytestmark = pytest.mark.anyio

POLICY = {
    "version": "1",
    "default": "deny",
    "tools": {
        "policy_status": {"limits": [{"counter": "status_per_grant", "window": "hour", "max": 2, "scope": "grant"}]}
    },
}


@pytest.fixture
def http_server(tmp_path):
    (tmp_path / "policy.json").write_text(json.dumps(POLICY))
    (tmp_path / "tokens.json").write_text(
        json.dumps({"grants": {"alice": "sha256:" + token_digest("alice-token"), "bob": "bob-token"}})
    )
    port = free_port()
    env = {**os.environ, "ODOO_MCP_AUDIT_LOG": str(tmp_path / "audit.jsonl"), "ODOO_MCP_AUDIT_STDERR": "0"}
    process = subprocess.Popen(
        [*zygote.command("odoo_mcp"), "serve", "--http", "--port", str(port),
         "--policy", str(tmp_path / "policy.json"), "--tokens", str(tmp_path / "tokens.json")],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    wait_for_port(port, process)
    yield f"http://127.0.0.1:{port}/mcp", tmp_path / "audit.jsonl"
    process.terminate()
    out, _ = process.communicate(timeout=10)
    assert out == b""  # nothing on stdout, ever


def client_for(url: str, token: str | None, mode: str = "auto") -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=30))
    return Client(transport, mode=mode)


async def test_requests_without_a_known_token_are_refused(http_server):
    url, audit = http_server
    async with httpx2.AsyncClient() as raw:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic YWxpY2U6eA=="}):
            answer = await raw.post(url, headers=headers, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
            assert answer.status_code == 401
            assert answer.headers["www-authenticate"].startswith("Bearer")
    assert not audit.exists() or "tool_call" not in audit.read_text()


async def test_each_token_is_its_own_grant_with_its_own_counter(http_server):
    url, audit = http_server
    async with client_for(url, "alice-token") as alice, client_for(url, "bob-token") as bob:
        first = await alice.call_tool("policy_status", {})
        assert json.loads(first.content[0].text)["grant"] == "alice"
        await alice.call_tool("policy_status", {})
        limited = await alice.call_tool("policy_status", {})
        assert limited.is_error
        assert limited.content[0].text.startswith("[RATE LIMITED] status_per_grant: 2 per hour (grant)")
        other = await bob.call_tool("policy_status", {})
        assert not other.is_error
        assert json.loads(other.content[0].text)["grant"] == "bob"
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    calls = [(r["grant"], r["outcome"]) for r in records if r["event"] == "tool_call"]
    assert calls == [("alice", "ok"), ("alice", "ok"), ("alice", "rate_limited"), ("bob", "ok")]
    assert "alice-token" not in audit.read_text()
    assert "bob-token" not in audit.read_text()


def test_http_without_tokens_refuses_to_start(tmp_path, monkeypatch, capsys):
    (tmp_path / "policy.json").write_text(json.dumps(POLICY))
    monkeypatch.delenv("ODOO_MCP_HTTP_TOKENS", raising=False)
    assert main(["serve", "--http", "--policy", str(tmp_path / "policy.json")]) == 2
    assert "no token, no access" in capsys.readouterr().err


async def test_two_connections_of_one_grant_are_two_sessions(http_server):
    """Handshake-era connections carry an MCP session id: each is its own `session` scope."""
    url, _ = http_server
    async with client_for(url, "alice-token", "legacy") as first, client_for(url, "alice-token", "legacy") as second:
        one = json.loads((await first.call_tool("policy_status", {})).content[0].text)
        two = json.loads((await second.call_tool("policy_status", {})).content[0].text)
    assert one["grant"] == two["grant"] == "alice"
    assert one["session"] != two["session"]
    assert not one["session"].startswith("http-")


async def test_sessionless_protocol_counts_the_session_scope_per_grant(http_server):
    """2026-07-28 has no MCP session: the `session` scope falls back to the grant (stricter, never looser)."""
    url, _ = http_server
    async with client_for(url, "alice-token") as first:
        one = json.loads((await first.call_tool("policy_status", {})).content[0].text)
    assert one["session"] == "http-alice"
