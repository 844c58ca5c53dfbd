"""The pure parts of HTTP sessions: the grant-bound registry, Host checks per bind, session counters per grant."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from guard.guard import Guard
from guard.limiter import Limiter
from guard.policy import Limit, parse_policy
from guard.spec import Caller
from odoo_mcp.config import ConfigError
from odoo_mcp.http.app import HttpSecurity, build_http_app, parse_allowed_hosts, parse_session_cap, transport_security
from odoo_mcp.http.auth import token_digest
from odoo_mcp.http.sessions import GrantSessions
from odoo_mcp.server import build_server
from tools.status.policy_status import counter_storage


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_belongs_to_the_grant_it_was_issued_to():
    sessions = GrantSessions(max_per_grant=2)
    sessions.issued("s1", "alice")
    assert sessions.owner("s1") == "alice"
    assert sessions.owner("never-issued") is None
    sessions.forget("s1")
    assert sessions.owner("s1") is None


def test_the_cap_counts_sessions_being_opened():
    sessions = GrantSessions(max_per_grant=2)
    sessions.issued("s1", "alice")
    sessions.opening("alice", +1)  # a second initialize still in flight
    assert not sessions.may_open("alice")
    assert sessions.may_open("bob")
    sessions.opening("alice", -1)
    assert sessions.may_open("alice")


def test_idle_sessions_expire_like_the_sdks_but_never_while_a_request_runs():
    clock = Clock()
    sessions = GrantSessions(max_per_grant=1, idle_timeout=60, clock=clock)
    sessions.issued("streaming", "alice")
    sessions.begin("streaming")  # a GET stream held open
    clock.now += 3600
    assert sessions.owner("streaming") == "alice"
    sessions.end("streaming")
    clock.now += 59
    assert not sessions.may_open("alice")
    clock.now += 2
    assert sessions.may_open("alice")
    assert sessions.owner("streaming") is None


@pytest.mark.parametrize(
    ("bind", "configured", "accepted", "refused"),
    [
        ("127.0.0.1", (), ["127.0.0.1:8765", "localhost:1"], ["evil.example:8765", "10.0.0.5:8765"]),
        ("10.0.0.5", (), ["10.0.0.5:8765", "127.0.0.1:8765"], ["evil.example:8765", "10.0.0.50:8765"]),
        ("0.0.0.0", (), ["localhost:8765"], ["0.0.0.0:8765", "evil.example:8765"]),
        ("::", (), ["[::1]:8765"], ["evil.example:8765"]),
        ("0.0.0.0", ("mcp.example:443",), ["mcp.example:443"], ["mcp.example:444", "127.0.0.1:8765"]),
    ],
)
def test_host_checks_are_on_for_every_bind(bind, configured, accepted, refused):
    settings = transport_security(bind, configured)
    assert settings.enable_dns_rebinding_protection

    def allowed(host: str) -> bool:
        return any(host == entry or (entry.endswith(":*") and host.startswith(entry[:-1])) for entry in
                   settings.allowed_hosts)

    assert [host for host in accepted if not allowed(host)] == []
    assert [host for host in refused if allowed(host)] == []


def test_bad_http_settings_stop_the_start():
    assert parse_allowed_hosts(" a.example:1 , b.example:* ") == ("a.example:1", "b.example:*")
    for raw in ("https://a.example", "a.example/mcp"):
        with pytest.raises(ConfigError):
            parse_allowed_hosts(raw)
    assert parse_session_cap(None) == 16
    for raw in ("0", "-1", "many"):
        with pytest.raises(ConfigError):
            parse_session_cap(raw)


def test_a_non_loopback_bind_refuses_a_foreign_host_header():
    """The SDK protects only loopback binds by itself; the app this server runs protects every bind."""
    server = build_server(Guard(parse_policy({"version": "1", "default": "deny"})))
    app = build_http_app(server, "10.0.0.5", {token_digest("t"): "alice"}, HttpSecurity())
    headers = {"Authorization": "Bearer t", "Accept": "application/json, text/event-stream"}
    hello = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello}
    with TestClient(app, base_url="http://10.0.0.5:8765") as client:
        refused = client.post("/mcp", headers={**headers, "Host": "evil.example:8765"}, json=body)
        assert refused.status_code == 421
        answer = client.post("/mcp", headers=headers, json=body)
        assert answer.status_code == 200, answer.text
        assert answer.headers["mcp-session-id"]


def test_session_counters_of_two_grants_never_share_a_key():
    limiter = Limiter()
    limit = Limit(counter="per_session", window="hour", max=1, scope="session")
    assert limiter.acquire([limit], Caller(grant="alice", session="same")) is None
    assert limiter.acquire([limit], Caller(grant="bob", session="same")) is None
    assert limiter.acquire([limit], Caller(grant="alice", session="same")) is not None


def test_policy_status_says_whether_counters_outlive_the_process():
    assert counter_storage("memory://")["storage"] == "memory"
    assert "each stdio launch is a new process" in counter_storage("memory://")["lasts"]
    shared = counter_storage("redis://:hunter2@127.0.0.1:6379/0")
    assert shared["storage"] == "redis" and "hunter2" not in str(shared)
