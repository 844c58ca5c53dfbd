"""Quota binds a cancelled mounted call, through the real server and the real MCP client.

A mounted server's tool leaves a mark, then takes its time; the client cancels each call once the
mark is there (the mounted server did the work). Under a limit of two, two marks may be made
however many calls the client cancels, and every intent record gets its outcome (`cancelled`).
"""

from __future__ import annotations

import json

import anyio
import pytest

from tests import zygote
from tests.harness import guarded_server

pytestmark = pytest.mark.anyio

POLICY = {"version": "1", "default": "deny", "tools": {"fx__mark": {"rate_limit": {"max": 2, "window": "hour"}}}}


async def test_cancelled_mounted_calls_keep_their_quota_and_get_their_outcome(tmp_path):
    mounts = {"mounts": {"fx": {"command": [*zygote.command("tests.effect_mount_server")]}}}
    (tmp_path / "mounts.json").write_text(json.dumps(mounts))
    marks = tmp_path / "marks"

    def effects() -> int:
        return len(marks.read_text().splitlines()) if marks.exists() else 0

    answers: list[str] = []
    async with guarded_server(
        POLICY, tmp_path=tmp_path, env={"ODOO_MCP_MOUNTS": str(tmp_path / "mounts.json")}
    ) as server:
        for _ in range(7):
            before, answered = effects(), len(answers)
            async with anyio.create_task_group() as group:

                async def one() -> None:
                    answers.append((await server.call("fx__mark", {"path": str(marks)})).text)

                group.start_soon(one)
                with anyio.fail_after(30):
                    while len(answers) == answered and effects() == before:
                        await anyio.sleep(0.01)
                group.cancel_scope.cancel()  # the client gives up once the mounted server has done the work
        with anyio.move_on_after(10):  # the server writes each outcome once the cancellation reached it
            while len(server.audit_records()) < 7:
                await anyio.sleep(0.05)
        records = server.audit_records(None)
    assert effects() == 2
    assert len(answers) == 5 and all(
        text.startswith("[RATE LIMITED] rate_limit.fx__mark: 2 per hour") for text in answers
    )
    intents = [r["call"] for r in records if r["event"] == "tool_intent"]
    outcomes = {r["call"]: (r["outcome"], r["charged"]) for r in records if r["event"] == "tool_call"}
    assert [outcomes.get(call) for call in intents] == [("cancelled", True), ("cancelled", True)]
