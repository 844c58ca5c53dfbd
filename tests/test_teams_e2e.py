"""Serving a team, through real processes: replicas sharing Redis, per-grant policies, live
reload under load, shadow mode and its replay, and Redis going away and coming back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from odoo_mcp.grants import token_digest
from tests import zygote
from tests.harness import REPO, guarded_server, server_parameters
from tests.loopback import free_port, wait_for_port

pytestmark = pytest.mark.anyio

STATUS_LIMIT = {"counter": "status", "window": "hour", "max": 3, "scope": "grant"}
DEFAULT_POLICY = {"version": "1", "default": "deny", "tools": {"policy_status": {"limits": [STATUS_LIMIT]}}}
ALICE_POLICY = {
    "version": "1",
    "default": "allow",
    "hide": ["odoo_unlink"],
    "tools": {"policy_status": {"limits": [STATUS_LIMIT]}},
}

def http_client(url: str, token: str) -> Client:
    transport = streamable_http_client(
        url, http_client=httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    )
    return Client(transport)


def start_replica(tmp_path: Path, redis_url: str, name: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "ODOO_MCP_AUDIT_LOG": str(tmp_path / f"audit-{name}.jsonl"),
        "ODOO_MCP_AUDIT_STDERR": "0",
        "ODOO_MCP_LIMITS_STORAGE": redis_url,
    }
    process = subprocess.Popen(
        [*zygote.command("odoo_mcp"), "serve", "--http", "--stateless", "--port", str(port),
         "--policy", str(tmp_path / "policy.json"), "--tokens", str(tmp_path / "tokens.json")],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    wait_for_port(port, process)
    return process, f"http://127.0.0.1:{port}/mcp"


async def test_two_stateless_replicas_share_one_per_grant_limit_and_each_grant_has_its_policy(tmp_path, redis_url):
    (tmp_path / "policy.json").write_text(json.dumps(DEFAULT_POLICY))
    (tmp_path / "alice.json").write_text(json.dumps(ALICE_POLICY))
    grants = {
        "alice": {"token": "sha256:" + token_digest("alice-token"), "policy": "alice.json"},
        "bob": "sha256:" + token_digest("bob-token"),
    }
    (tmp_path / "tokens.json").write_text(json.dumps({"grants": grants}))
    replicas = [start_replica(tmp_path, redis_url, name) for name in ("a", "b")]
    try:
        urls = [url for _, url in replicas]
        outcomes = []
        for index in range(8):  # alternate replicas, as a load balancer without affinity would
            async with http_client(urls[index % 2], "alice-token") as alice:
                result = await alice.call_tool("policy_status", {})
                outcomes.append("ok" if not result.is_error else result.content[0].text.split("]")[0] + "]")
                if not result.is_error:
                    status = json.loads(result.content[0].text)
                    assert (status["grant"], status["session"]) == ("alice", "http-alice")  # scope = the grant
                    assert status["default"] == "allow"  # alice's own policy
        assert outcomes == ["ok"] * 3 + ["[RATE LIMITED]"] * 5

        async with http_client(urls[0], "alice-token") as alice, http_client(urls[1], "bob-token") as bob:
            alice_names = {tool.name for tool in (await alice.list_tools()).tools}
            bob_names = {tool.name for tool in (await bob.list_tools()).tools}
            assert "odoo_unlink" in bob_names and "odoo_unlink" not in alice_names
            assert alice_names < bob_names
            bob_search = await bob.call_tool("ee_search", {"query": "sale"})
            alice_search = await alice.call_tool("ee_search", {"query": "sale"})
            assert bob_search.content[0].text.startswith("[POLICY DENIED] 'ee_search' is not allowed by this policy")
            assert not alice_search.content[0].text.startswith("[POLICY DENIED]")
            bob_status = await bob.call_tool("policy_status", {})  # bob's own counter, bob's policy
            assert not bob_status.is_error and json.loads(bob_status.content[0].text)["default"] == "deny"
        await handshake_client_moves_between_replicas(urls)
    finally:
        for process, _ in replicas:
            process.terminate()
            process.wait(timeout=10)
    records = [
        json.loads(line) for name in ("a", "b") for line in (tmp_path / f"audit-{name}.jsonl").read_text().splitlines()
    ]
    alice_status = [r["outcome"] for r in records if r["event"] == "tool_call" and r["grant"] == "alice"
                    and r["tool"] == "policy_status"]  # fmt: skip
    assert sorted(alice_status) == ["ok"] * 3 + ["rate_limited"] * 5


async def handshake_client_moves_between_replicas(urls: list[str]) -> None:
    """A handshake-era client (2025-06-18) initializes on one replica and calls on the other: with
    --stateless no session id is issued, so the second replica answers instead of 'unknown session'."""
    headers = {"Authorization": "Bearer bob-token", "Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": "2025-06-18"}  # fmt: skip
    hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello}
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "policy_status", "arguments": {}}}
    async with httpx2.AsyncClient(timeout=30) as raw:
        first = await raw.post(urls[0], headers=headers, json=init)
        assert first.status_code == 200 and "mcp-session-id" not in first.headers
        second = await raw.post(urls[1], headers=headers, json=call)
        assert second.status_code == 200, second.text
        assert '\\"grant\\":\\"bob\\"' in second.text.replace(" ", "")


ECHO_OPEN = {"version": "1", "default": "allow", "tools": {"guard_echo": {}}}


async def test_reload_under_load_fails_no_call_refuses_a_broken_file_and_announces_a_changed_list(tmp_path):
    policy_path = tmp_path / "policy.json"
    policy_path.write_text(json.dumps(ECHO_OPEN))
    env = {
        **os.environ,
        "ODOO_MCP_POLICY": str(policy_path),
        "ODOO_MCP_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
        "ODOO_MCP_AUDIT_STDERR": "0",
        "ODOO_MCP_POLICY_RELOAD": "0.1",
    }
    params = server_parameters(env, echo=True)
    audit = tmp_path / "audit.jsonl"

    def events(name: str) -> int:
        return sum(1 for line in audit.read_text().splitlines() if f'"event":"{name}"' in line.replace(" ", ""))

    async def wait_for(name: str, count: int) -> None:
        with anyio.fail_after(15):
            while events(name) < count:
                await anyio.sleep(0.05)

    with (tmp_path / "stderr").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            failures: list[str] = []
            calls = 0
            stop = anyio.Event()

            async def load() -> None:
                nonlocal calls
                while not stop.is_set():
                    result = await client.call_tool("guard_echo", {"text": "x"})
                    calls += 1
                    if result.is_error:
                        failures.append(result.content[0].text)

            async with anyio.create_task_group() as group:
                group.start_soon(load)
                await client.list_tools()
                for version in range(3):  # good policies, each a different text
                    policy_path.write_text(json.dumps({**ECHO_OPEN, "description": f"v{version}"}))
                    await wait_for("policy_reloaded", version + 1)
                policy_path.write_text('{"version": "1", "default": "allow", "tools": {"odoo_serch": {}}}')
                await wait_for("policy_reload_refused", 1)
                await anyio.sleep(0.3)  # calls go on under the old policy
                stop.set()
            assert failures == [] and calls > 20

            async with client.listen(tools_list_changed=True) as subscription:
                policy_path.write_text(json.dumps({**ECHO_OPEN, "hide": ["guard_echo"]}))
                with anyio.fail_after(10):
                    async for _event in subscription:  # told without making a request
                        break
            refused = await client.call_tool("guard_echo", {"text": "x"})
            assert refused.content[0].text == "[POLICY DENIED] unknown tool 'guard_echo'"
            assert "guard_echo" not in {tool.name for tool in (await client.list_tools()).tools}
    stderr = (tmp_path / "stderr").read_text()
    assert "not reloaded, the old policy stays" in stderr and "odoo_serch" in stderr


SHADOW = {
    "version": "1",
    "default": "allow",
    "mode": "shadow",
    "tools": {
        "guard_echo": {
            "deny_if": [{"path": "args.text", "op": "eq", "value": "drop"}],
            "rate_limit": {"max": 2, "window": "hour"},
        }
    },
}
CANDIDATE = {"version": "1", "default": "allow", "tools": {"guard_echo": {"rate_limit": {"max": 3, "window": "hour"}}}}


async def test_shadow_refuses_nothing_audits_would_be_refusals_and_replay_reports_the_changes(tmp_path):
    texts = ["a", "drop", "b", "c"]
    async with guarded_server(SHADOW, tmp_path=tmp_path, echo=True) as server:
        for text in texts:
            result = await server.call("guard_echo", {"text": text})
            assert not result.is_error, result.text
        status = json.loads((await server.call("policy_status")).text)
        assert status["mode"] == "shadow" and "shadow" in status
        records = server.audit_records()
    echo = [r for r in records if r["tool"] == "guard_echo"]
    assert [[w["would"] for w in r.get("shadow", [])] for r in echo] == [
        [], ["would_deny"], ["would_limit"], ["would_limit"]
    ]
    assert echo[1]["shadow"][0]["rule"] == "tools.guard_echo.deny_if[0]"
    assert all(r["outcome"] == "ok" and r["time"] and r["session"] and r["arguments"] for r in echo)

    (tmp_path / "candidate.json").write_text(json.dumps(CANDIDATE))
    done = subprocess.run(
        [*zygote.command("odoo_mcp"), "policy", "replay", str(tmp_path / "candidate.json"),
         str(tmp_path / "audit.jsonl"), "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    report = json.loads(done.stdout)
    changed = [(c["tool"], c["before"], c["after"]) for c in report["changes"]]
    assert changed == [("guard_echo", "denied", "allowed"), ("guard_echo", "limited", "allowed")]
    assert report["total"] == len(texts) + 1  # and the policy_status call, unchanged


def start_redis(port: int, tmp_path: Path) -> subprocess.Popen:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is required"
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_port(port, process, timeout=10)
    return process


async def test_redis_going_away_fails_limited_tools_closed_and_recovery_is_automatic(tmp_path):
    port = free_port()
    redis = start_redis(port, tmp_path)
    policy = {
        "version": "1",
        "default": "allow",
        "tools": {"guard_echo": {"limits": [{"counter": "echo", "window": "hour", "max": 100, "scope": "grant"}]}},
    }
    env = {"ODOO_MCP_LIMITS_STORAGE": f"redis://127.0.0.1:{port}/0"}
    try:
        async with guarded_server(policy, tmp_path=tmp_path, env=env, echo=True) as server:
            assert not (await server.call("guard_echo", {"text": "1"})).is_error
            redis.terminate()
            redis.wait(timeout=10)
            down = await server.call("guard_echo", {"text": "2"})
            assert down.text.startswith("[RATE LIMIT UNAVAILABLE]")
            unlimited = await server.call("odoo_connections")
            assert not unlimited.text.startswith("[RATE LIMIT UNAVAILABLE]"), unlimited.text
            status = await server.call("policy_status")
            assert not status.is_error and json.loads(status.text)["counters"].startswith("unavailable")
            redis = start_redis(port, tmp_path)
            back = await server.call("guard_echo", {"text": "3"})
            assert not back.is_error, back.text
            outcomes = [r["outcome"] for r in server.audit_records() if r["tool"] == "guard_echo"]
            assert outcomes == ["ok", "rate_limit_unavailable", "ok"]
    finally:
        redis.terminate()
        redis.wait(timeout=10)


async def test_a_handshake_era_client_is_told_its_list_changed_at_its_next_request(tmp_path):
    import mcp_types as types

    policy_path = tmp_path / "policy.json"
    policy_path.write_text(json.dumps(ECHO_OPEN))
    env = {**os.environ, "ODOO_MCP_POLICY": str(policy_path), "ODOO_MCP_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
           "ODOO_MCP_AUDIT_STDERR": "0", "ODOO_MCP_POLICY_RELOAD": "0.1"}  # fmt: skip
    told = anyio.Event()

    async def on_message(message) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            told.set()

    params = server_parameters(env, echo=True)
    with (tmp_path / "stderr").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), message_handler=on_message, mode="legacy") as client:
            assert "guard_echo" in {tool.name for tool in (await client.list_tools()).tools}
            policy_path.write_text(json.dumps({**ECHO_OPEN, "description": "same list"}))
            with anyio.fail_after(15):
                while "policy_reloaded" not in (tmp_path / "audit.jsonl").read_text():
                    await anyio.sleep(0.05)
            await client.call_tool("policy_status", {})
            assert not told.is_set()  # the list did not change: no notice
            policy_path.write_text(json.dumps({**ECHO_OPEN, "hide": ["guard_echo"]}))
            with anyio.fail_after(15):
                while (tmp_path / "audit.jsonl").read_text().count("policy_reloaded") < 2:
                    await anyio.sleep(0.05)
            await client.call_tool("policy_status", {})
            with anyio.fail_after(5):
                await told.wait()
