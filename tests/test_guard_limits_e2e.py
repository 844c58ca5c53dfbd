"""Rate limits as a user meets them, through the real client over stdio."""

from __future__ import annotations

import re
import time

import anyio
import pytest

from tests.addons_helpers import copy_stub, stub_env
from tests.harness import guarded_server

pytestmark = pytest.mark.anyio


def limit(counter: str, window, maximum: int, scope: str = "global") -> dict:
    return {"counter": counter, "window": window, "max": maximum, "scope": scope}


async def test_shared_counter_between_two_tools(tmp_path):
    policy = {
        "version": "1",
        "default": "deny",
        "tools": {
            "guard_echo": {"limits": [limit("shared", "minute", 3)]},
            "policy_status": {"limits": [limit("shared", "minute", 3)]},
        },
    }
    async with guarded_server(policy, tmp_path=tmp_path, echo=True) as server:
        assert not (await server.call("guard_echo")).is_error
        assert not (await server.call("policy_status")).is_error
        assert not (await server.call("guard_echo")).is_error
        refused = await server.call("policy_status")
        assert refused.text.startswith("[RATE LIMITED] shared: 3 per minute (global), retry in ")
        assert (await server.call("guard_echo")).tag == "RATE LIMITED"


async def test_all_tools_limit_counts_every_call_and_status_reports_it(tmp_path):
    policy = {
        "version": "1",
        "default": "allow",
        "all_tools": {"limits": [limit("everything", "hour", 4, "session")]},
        "tools": {"guard_echo": {"limits": [limit("echo_only", "hour", 10, "grant")]}},
    }
    async with guarded_server(policy, tmp_path=tmp_path, echo=True) as server:
        await server.call("guard_echo")
        await server.call("guard_echo")
        status = await server.call("policy_status")
        counters = {c["counter"]: c for c in status.data["counters"]}
        assert counters["everything"]["remaining"] == 1  # two echoes and this status call
        assert counters["echo_only"]["remaining"] == 8
        assert not (await server.call("guard_echo")).is_error
        refused = await server.call("guard_echo")
        assert refused.text.startswith("[RATE LIMITED] everything: 4 per hour (session)")
        # all-or-nothing: the refused call did not use up echo_only
        record = server.audit_records()[-1]
        assert record["outcome"] == "rate_limited"
        assert {c["counter"]: c["remaining"] for c in record["counters"]}["echo_only"] == 7


async def test_integer_window_resets_when_it_passes(tmp_path):
    policy = {"version": "1", "default": "deny", "tools": {"guard_echo": {"limits": [limit("burst", 1, 2)]}}}
    async with guarded_server(policy, tmp_path=tmp_path, echo=True) as server:
        assert not (await server.call("guard_echo")).is_error
        counted = time.monotonic()  # the first hit was counted before its answer came back
        assert not (await server.call("guard_echo")).is_error
        refused = await server.call("guard_echo")
        assert refused.text == "[RATE LIMITED] burst: 2 per 1 s (global), retry in 1 s"
        await anyio.sleep(max(0.0, 1.05 - (time.monotonic() - counted)))
        assert not (await server.call("guard_echo")).is_error


async def test_exactly_max_of_200_concurrent_calls_pass(tmp_path):
    maximum = 37
    policy = {"version": "1", "default": "deny", "tools": {"guard_echo": {"limits": [limit("crowd", "hour", maximum)]}}}
    async with guarded_server(policy, tmp_path=tmp_path, echo=True) as server:
        results = []

        async def one(index: int) -> None:
            results.append(await server.call("guard_echo", {"count": index}))

        async with anyio.create_task_group() as group:
            for index in range(200):
                group.start_soon(one, index)
        allowed = [r for r in results if not r.is_error]
        limited = [r for r in results if r.tag == "RATE LIMITED"]
        assert len(results) == 200
        assert len(allowed) == maximum
        assert len(limited) == 200 - maximum
        audit = server.audit_records()
        assert len(audit) == 200
        assert sum(r["outcome"] == "ok" for r in audit) == maximum


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_approval_asks_the_human_through_elicitation(tmp_path, mode):
    policy = {
        "version": "1",
        "default": "deny",
        "tools": {"guard_echo": {"action": "require_approval", "limits": [limit("approved", "hour", 5)]}},
    }
    questions: list[str] = []
    answers = iter(["accept", "decline"])

    import mcp_types as types

    async def human(_context, params):
        questions.append(params.message)
        action = next(answers)
        return types.ElicitResult(action=action, content={"approve": True} if action == "accept" else None)

    async with guarded_server(policy, tmp_path=tmp_path, echo=True, elicitation_callback=human, mode=mode) as server:
        yes = await server.call("guard_echo", {"text": "ship it", "secret_token": "tok-XYZ"})
        assert not yes.is_error, yes.text
        no = await server.call("guard_echo", {"text": "again"})
        assert no.text == "[APPROVAL DECLINED] the user declined 'guard_echo'"
        assert "guard_echo" in questions[0]
        assert "tok-XYZ" not in questions[0]
        # a declined call used no quota
        status_counter = server.audit_records()[-1]
        assert status_counter["outcome"] == "approval_declined"
    async with guarded_server(policy, tmp_path=tmp_path, echo=True) as server:
        no_ui = await server.call("guard_echo", {"text": "x"})
        assert no_ui.text.startswith("[APPROVAL PENDING] ap_")  # out of band: see tests/test_approvals_e2e.py


async def test_scopes_grant_session_global_across_server_processes(tmp_path, redis_url):
    """Three stdio servers share one Redis store: alice twice (two sessions), bob once."""
    policy = {
        "version": "1",
        "default": "deny",
        "tools": {
            "guard_echo": {"limits": [limit("per_session", "hour", 2, "session")]},
            "policy_status": {"limits": [limit("per_grant", "hour", 3, "grant")]},
            "ee_search": {"limits": [limit("whole_server", "hour", 4, "global")]},
        },
    }

    stub = copy_stub(tmp_path)

    def env(grant: str) -> dict[str, str]:
        return {"ODOO_MCP_GRANT": grant, "ODOO_MCP_LIMITS_STORAGE": redis_url, **stub_env(stub)}

    async def tags(server, tool, times, arguments=None):
        return [(await server.call(tool, arguments or {})).tag for _ in range(times)]

    (tmp_path / "a1").mkdir()
    (tmp_path / "a2").mkdir()
    (tmp_path / "b").mkdir()
    async with (
        guarded_server(policy, tmp_path=tmp_path / "a1", echo=True, env=env("alice")) as alice1,
        guarded_server(policy, tmp_path=tmp_path / "a2", echo=True, env=env("alice")) as alice2,
        guarded_server(policy, tmp_path=tmp_path / "b", echo=True, env=env("bob")) as bob,
    ):
        # session: each process is its own session, 2 each
        assert await tags(alice1, "guard_echo", 3) == [None, None, "RATE LIMITED"]
        assert await tags(alice2, "guard_echo", 3) == [None, None, "RATE LIMITED"]
        assert await tags(bob, "guard_echo", 2) == [None, None]
        # grant: alice's two sessions share 3; bob has his own 3
        assert await tags(alice1, "policy_status", 2) == [None, None]
        assert await tags(alice2, "policy_status", 2) == [None, "RATE LIMITED"]
        assert await tags(bob, "policy_status", 3) == [None, None, None]
        # global: every caller of every process shares 4 (only calls that ran count:
        # ee_search answers from the stub's Enterprise checkout)
        search = {"query": "sale"}
        first = await tags(alice1, "ee_search", 2, search) + await tags(bob, "ee_search", 2, search)
        assert first == [None, None, None, None]
        last = await alice2.call("ee_search", search)
        assert re.match(r"\[RATE LIMITED\] whole_server: 4 per hour \(global\), retry in \d+ s", last.text)
