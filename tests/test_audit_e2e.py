"""The audit log through the real server over stdio: fail closed when it cannot grow, no secret in clear."""

from __future__ import annotations

import json
import os
import sys

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.harness import REPO, _to_result, guarded_server

pytestmark = pytest.mark.anyio

ALLOW_ALL = {"version": "1", "default": "allow"}


async def test_a_call_the_audit_log_cannot_record_is_not_run(tmp_path):
    """The audit file may not grow past 4 KiB (RLIMIT_FSIZE): calls run while their intent fits, then none."""
    files = tmp_path / "files"
    files.mkdir()
    audit = tmp_path / "audit.jsonl"
    (tmp_path / "policy.json").write_text(json.dumps(ALLOW_ALL))
    env = {**os.environ, "ODOO_MCP_POLICY": str(tmp_path / "policy.json"), "ODOO_MCP_AUDIT_LOG": str(audit),
           "ODOO_MCP_AUDIT_STDERR": "0", "ODOO_MCP_FILES_DIR": str(files), "PYTHONPATH": str(REPO)}
    # 8 blocks of 512 bytes; the echo server is the real server plus the guard_echo test tool.
    command = f"ulimit -f 8 && exec {sys.executable} -m tests.echo_server"
    params = StdioServerParameters(command="/bin/sh", args=["-c", command], env=env, cwd=str(REPO))
    answers = []
    with (tmp_path / "stderr").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), read_timeout_seconds=60) as client:
            for index in range(30):
                raw = await client.call_tool("guard_echo", {"text": "x", "save_path": f"made-{index}.txt"})
                answers.append(_to_result(raw))
    refused = [i for i, answer in enumerate(answers) if answer.tag == "AUDIT UNAVAILABLE"]
    assert refused, [answer.text for answer in answers]
    first = refused[0]
    assert refused == list(range(first, 30))  # once the log is full, nothing more runs
    assert all(not answer.is_error for answer in answers[:first])
    made = sorted(int(path.stem.split("-")[1]) for path in files.iterdir())
    assert made == list(range(first))  # every call that ran made its file; no refused call did
    lines = audit.read_text().split("\n")
    records = [json.loads(line) for line in lines[:-1]]  # every line but a torn last one is whole JSON
    intents = {r["arguments"]["save_path"] for r in records if r["event"] == "tool_intent"}
    assert intents >= {f"made-{index}.txt" for index in range(first)}  # each run call has its intent


async def test_no_secret_reaches_the_audit_log_in_clear(tmp_path):
    operator_password = "operator-secret-4711"
    env = {"ODOO_URL": "http://127.0.0.1:9", "ODOO_DB": "db", "ODOO_USERNAME": "admin",
           "ODOO_PASSWORD": operator_password}
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=env, echo=True) as server:
        await server.call("odoo_create", {"model": "res.users", "values": '{"login": "eve", "password": "pw-json-1"}'})
        await server.call("odoo_create", {"model": "res.users", "values": '[{"login": "x", "api_key": "key-json-2"}]'})
        await server.call("odoo_execute", {"model": "res.users", "method": "change_password",
                                           "args": ["old-positional-3", "new-positional-4"]})
        await server.call("guard_echo", {"text": f"the operator's is {operator_password}"})
        text = server.audit_path.read_text()
    for secret in ("pw-json-1", "key-json-2", "old-positional-3", "new-positional-4", operator_password):
        assert secret not in text, secret
    assert "eve" in text and "change_password" in text  # what was done stays readable


def test_a_server_that_cannot_open_its_audit_log_does_not_start(tmp_path):
    import subprocess

    (tmp_path / "policy.json").write_text(json.dumps(ALLOW_ALL))
    (tmp_path / "not-a-folder").write_text("")
    done = subprocess.run(
        [sys.executable, "-m", "odoo_mcp", "serve", "--policy", str(tmp_path / "policy.json"),
         "--audit-log", str(tmp_path / "not-a-folder" / "audit.jsonl")],
        cwd=REPO, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2
    assert "refusing to start: audit log" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
