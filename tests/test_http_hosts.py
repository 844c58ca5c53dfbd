"""DNS rebinding: `Host` and `Origin` are parsed strictly and compared on the parsed form.

The SDK's own check compares by prefix, so `Host: 127.0.0.1:1@evil.example` (and an `Origin` of the
same shape) passed; every hostile spelling below must be refused before MCP sees the request.
"""

from __future__ import annotations

import json
import os
import subprocess

import httpx2
import pytest
from starlette.testclient import TestClient

from guard.guard import Guard
from guard.policy import parse_policy
from odoo_mcp.config import ConfigError
from odoo_mcp.http.app import HttpSecurity, build_http_app, parse_allowed_hosts
from odoo_mcp.http.auth import token_digest
from odoo_mcp.server import build_server
from tests import zygote
from tests.harness import REPO
from tests.loopback import free_port, wait_for_port

HELLO = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
HEADERS = {"Authorization": "Bearer t", "Accept": "application/json, text/event-stream"}

HOSTILE_HOSTS = [
    "127.0.0.1:1@evil.example",
    "127.0.0.1:8765@evil.example:8765",
    "user@127.0.0.1:8765",
    "127.0.0.1:1%40evil.example",
    "127.0.0.1:8765/../evil",
    "127.0.0.1:8765?evil",
    "127.0.0.1:8765#evil",
    "127.0.0.1:8765\\@evil.example",
    "127.0.0.1:8765 evil.example",
    "127.0.0.1:8765,evil.example",
    "127.0.0.1:8765:1",
    "127.0.0.1:",
    "127.0.0.1:http",
    "127.0.0.1:99999",
    "127.0.0.1:08765",
    "localhost.:8765",
    "localhost:8765.evil.example",
    "[::1]:1@evil.example",
    "[::1%25eth0]:8765",
    "[::1]evil:8765",
    "",
]
HOSTILE_ORIGINS = [
    "http://127.0.0.1:1@evil.example",
    "http://localhost:8765.evil.example",
    "http://127.0.0.1:8765/path",
    "http://evil.example:8765",
    "null",
]


@pytest.fixture
def client():
    server = build_server(Guard(parse_policy({"version": "1", "default": "deny"})))
    app = build_http_app(server, "127.0.0.1", {token_digest("t"): "alice"}, HttpSecurity())
    with TestClient(app, base_url="http://127.0.0.1:8765") as running:
        yield running


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_a_hostile_host_header_is_refused(client, host):
    answer = client.post("/mcp", headers={**HEADERS, "Host": host}, json=HELLO)
    assert answer.status_code == 421, (host, answer.status_code, answer.text)


@pytest.mark.parametrize("origin", HOSTILE_ORIGINS)
def test_a_hostile_origin_is_refused(client, origin):
    answer = client.post("/mcp", headers={**HEADERS, "Origin": origin}, json=HELLO)
    assert answer.status_code == 403, (origin, answer.status_code, answer.text)


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:1", "[::1]:8765"])
def test_the_loopback_names_still_pass(client, host):
    answer = client.post("/mcp", headers={**HEADERS, "Host": host, "Origin": f"http://{host}"}, json=HELLO)
    assert answer.status_code == 200, (host, answer.text)


@pytest.mark.parametrize("raw", ["a.example:1@b.example", "a.example:x", "https://a.example", "a.example/mcp",
                                 "::1:8765", "a .example:1"])
def test_an_allowed_host_that_is_not_host_port_stops_the_start(raw):
    with pytest.raises(ConfigError, match="allowed hosts"):
        parse_allowed_hosts(raw)


def test_the_real_server_refuses_a_host_with_userinfo(tmp_path):
    (tmp_path / "policy.json").write_text(json.dumps({"version": "1", "default": "deny"}))
    (tmp_path / "tokens.json").write_text(json.dumps({"grants": {"alice": "sha256:" + token_digest("t")}}))
    port = free_port()
    env = {**os.environ, "ODOO_MCP_AUDIT_LOG": str(tmp_path / "audit.jsonl"), "ODOO_MCP_AUDIT_STDERR": "0"}
    process = subprocess.Popen(
        [*zygote.command("odoo_mcp"), "serve", "--http", "--port", str(port),
         "--policy", str(tmp_path / "policy.json"), "--tokens", str(tmp_path / "tokens.json")],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for_port(port, process)
        url = f"http://127.0.0.1:{port}/mcp"
        with httpx2.Client(timeout=30) as raw:
            hostile = raw.post(url, headers={**HEADERS, "Host": f"127.0.0.1:{port}@evil.example"}, json=HELLO)
            plain = raw.post(url, headers=HEADERS, json=HELLO)
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert hostile.status_code == 421, hostile.text
    assert plain.status_code == 200, plain.text
