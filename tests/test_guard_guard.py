"""Whatever breaks, a call gets a tagged answer and an audit record: long names, deep JSON, odd arguments, no Redis."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests import zygote
from tests.harness import REPO, guarded_server
from tests.loopback import free_port, wait_for_port

pytestmark = pytest.mark.anyio

ALLOW_ALL = {"version": "1", "default": "allow"}


async def test_paths_and_json_that_break_the_checks_are_refused_with_a_tag(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    env = {"ODOO_MCP_FILES_DIR": str(files)}
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, echo=True, env=env) as server:
        long_name = await server.call("guard_echo", {"text": "x", "save_path": "a" * 300})
        long_folder = await server.call("guard_echo", {"text": "x", "save_path": "b" * 300 + "/c.txt"})
        deep = await server.call("guard_echo", {"values": "[" * 100_000 + "]" * 100_000})
        deep_inside = await server.call("guard_echo", {"values": {"a": "{" * 50_000}})
        records = server.audit_records()
    assert long_name.text == "[PATH REFUSED] save_path: a name in the path is too long"
    assert long_folder.text == "[PATH REFUSED] save_path: a name in the path is too long"
    assert deep.text == "[INVALID ARGUMENTS] values: JSON text nested too deeply"
    assert not deep_inside.is_error  # a string that merely looks like JSON is a string: echoed, and audited
    assert [r["outcome"] for r in records] == ["path_refused", "path_refused", "invalid", "ok"]
    assert list(files.iterdir()) == []


def _rpc(process: subprocess.Popen, message: dict) -> dict | None:
    process.stdin.write((json.dumps(message) + "\n").encode())
    process.stdin.flush()
    if "id" not in message:
        return None
    while True:
        answer = json.loads(process.stdout.readline())
        if answer.get("id") == message["id"]:
            return answer


def test_arguments_that_are_not_an_object_get_a_tag_and_a_record(tmp_path):
    """The real `mcp` client will not send them, so this speaks JSON-RPC over stdio by hand."""
    (tmp_path / "policy.json").write_text(json.dumps(ALLOW_ALL))
    audit = tmp_path / "audit.jsonl"
    env = {**os.environ, "ODOO_MCP_POLICY": str(tmp_path / "policy.json"), "ODOO_MCP_AUDIT_LOG": str(audit),
           "ODOO_MCP_AUDIT_STDERR": "0"}
    process = subprocess.Popen([*zygote.command("tests.echo_server")], cwd=REPO, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        hello = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}
        _rpc(process, {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": hello})
        _rpc(process, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        texts = []
        for index, arguments in enumerate([[1, 2], "text", 5]):
            answer = _rpc(process, {"jsonrpc": "2.0", "id": index + 1, "method": "tools/call",
                                    "params": {"name": "guard_echo", "arguments": arguments}})
            assert answer is not None and "result" in answer, answer
            assert answer["result"]["isError"] is True
            texts.append(answer["result"]["content"][0]["text"])
    finally:
        process.stdin.close()
        process.wait(timeout=10)
    assert texts == ["[INVALID ARGUMENTS] (arguments): must be an object"] * 3
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [r["outcome"] for r in records if r["event"] == "tool_call"] == ["invalid"] * 3


@pytest.fixture
def redis_server(tmp_path):
    binary = shutil.which("redis-server")
    assert binary, "redis-server is required (installed by .ci/run / the Makefile's test target)"
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, process, timeout=10)
    yield f"redis://127.0.0.1:{port}/0", process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


async def test_a_dead_rate_limit_store_refuses_calls_with_a_tag(tmp_path, redis_server):
    url, redis = redis_server
    policy = {"version": "1", "default": "deny",
              "tools": {"guard_echo": {"limits": [{"counter": "echo", "window": "hour", "max": 50}]}}}
    async with guarded_server(policy, tmp_path=tmp_path, echo=True, env={"ODOO_MCP_LIMITS_STORAGE": url}) as server:
        assert not (await server.call("guard_echo", {"text": "while redis runs"})).is_error
        redis.kill()
        redis.wait(timeout=10)
        down = await server.call("guard_echo", {"text": "after redis died"})
        records = server.audit_records()
    assert down.text.startswith("[RATE LIMIT UNAVAILABLE] the rate-limit store could not be used (")
    assert down.text.endswith("nothing was run")
    assert [r["outcome"] for r in records] == ["ok", "rate_limit_unavailable"]
