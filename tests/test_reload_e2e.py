"""Live reload through the real server: a policy rewritten in place, slowly, never lets a denied call run.

The server polls its policy every 0.05 s; a writer rewrites the file in place one line at a time,
pausing after each line long enough for the server to see every prefix stand still. Every line
prefix of an Intercept policy is a valid and looser one (cut before `default`: everything allowed;
cut after `guard_echo:`: the tool allowed unchecked). An agent calls the denied tool all along.
"""

from __future__ import annotations

import json
import os
import time

import anyio
import anyio.to_thread
import pytest
from mcp import Client
from mcp.client.stdio import stdio_client

from tests.harness import server_parameters

pytestmark = pytest.mark.anyio

POLICY = """\
version: "1"
description: "echo is off"
default: deny
tools:
  policy_status:
    rules: []
  guard_echo:
    rules:
      - name: "never"
        action: deny
        on_deny: "echo is off"
"""
NEW = POLICY.replace('"echo is off"\ndefault', '"echo is off, v2"\ndefault')

async def test_a_slow_rewrite_in_place_never_lets_a_denied_call_run(tmp_path):
    policy_path = tmp_path / "policy.yaml"
    policy_path.write_text(POLICY)
    audit = tmp_path / "audit.jsonl"
    env = {**os.environ, "ODOO_MCP_POLICY": str(policy_path), "ODOO_MCP_AUDIT_LOG": str(audit),
           "ODOO_MCP_AUDIT_STDERR": "0", "ODOO_MCP_POLICY_RELOAD": "0.05"}  # fmt: skip
    params = server_parameters(env, echo=True)

    def rewrite_slowly() -> None:
        with policy_path.open("r+", encoding="utf-8") as file:
            file.truncate(0)
            for line in NEW.splitlines(keepends=True):
                file.write(line)
                file.flush()
                time.sleep(0.2)  # several polls: this prefix stands still and is read

    answers: list[str] = []
    with (tmp_path / "stderr").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            done = anyio.Event()

            async def agent() -> None:
                while not done.is_set():
                    result = await client.call_tool("guard_echo", {"text": "x"})
                    answers.append(result.content[0].text if result.is_error else "ran")
                    await anyio.sleep(0.01)

            async def writer() -> None:
                await anyio.to_thread.run_sync(rewrite_slowly)
                done.set()

            async with anyio.create_task_group() as group:
                group.start_soon(agent)
                group.start_soon(writer)
            with anyio.fail_after(15):  # the whole new text is read in the end
                while (await client.call_tool("policy_status", {})).is_error:
                    await anyio.sleep(0.05)
            final = await client.call_tool("guard_echo", {"text": "x"})
    assert "ran" not in answers, f"a denied call ran during the rewrite ({answers.count('ran')} times)"
    assert len(answers) > 20
    assert final.content[0].text == "[POLICY DENIED] echo is off"
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert not [r for r in records if r.get("tool") == "guard_echo" and r.get("outcome") == "ok"]
    refused = [r for r in records if r["event"] == "policy_reload_refused"]
    assert any("default: the policy in force says 'deny'" in p for r in refused for p in r["problems"]), refused
    assert any(p.startswith("tools.guard_echo: written with nothing") for r in refused for p in r["problems"])
