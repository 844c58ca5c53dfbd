"""Quota binds every call that reached its tool: the guard's reserve → run → commit/rollback, in process.

Intercept's rule: a call that reached the tool is charged, whatever the tool answered. Only a
call refused before its handler could have any effect gets its quota back. Each way a call can
end is tried against a policy that allows two calls: a charged failure leaves no room for a
third call (the handler is not reached again), a refund leaves both for the calls that follow.
"""

from __future__ import annotations

import errno
import json
import os

import anyio
import pytest

from guard.approvals.gate import Channel
from guard.audit import AuditLog
from guard.guard import Guard
from guard.policy import parse_text
from guard.spec import Caller, NotConfigured, PathRefused, Risk, ToolFailure, ToolSpec
from odoo_mcp.mounts import MountConfig, Mounts
from tests import zygote
from tests.echo_server import ECHO, EchoArgs
from tests.odoo_double import OdooDouble
from tests.sensitive_cases import in_process

pytestmark = pytest.mark.anyio


class FlakyArgs(EchoArgs):
    how: str = "ok"


REACHED: list[str] = []
"""What the handler was called for: its effects, as far as the test can tell."""


async def flaky(args: FlakyArgs, call) -> dict:
    """Ends the way `how` says."""
    REACHED.append(args.how)
    if args.how == "path":
        raise PathRefused("target_dir", "not a configured target")
    if args.how == "not_configured":
        raise NotConfigured("ODOO_MCP_FILES_DIR is not set")
    if args.how == "odoo":
        raise ToolFailure("Odoo said no")
    if args.how == "path_after_effect":
        raise PathRefused("instance", "moved while git ran", before_effect=False)
    if args.how == "crash":
        raise RuntimeError("boom")
    if args.how == "cancel":
        raise anyio.get_cancelled_exc_class()()
    return {"count": args.count}


FLAKY = ToolSpec(name="flaky", family="test", risk=Risk.WRITE, args=FlakyArgs, handler=flaky, description="test")

JSON_POLICY = {
    "version": "1",
    "default": "deny",
    "tools": {
        "flaky": {"rate_limit": {"max": 2, "window": "hour"}},
        "guard_echo": {"action": "require_approval", "rate_limit": {"max": 2, "window": "hour"}},
    },
}
WILDCARD_POLICY = {  # a cap on every call, meant to bound the load on Odoo: the calls Odoo rejects count too
    "version": "1",
    "default": "deny",
    "tools": {"*": {"rate_limit": {"max": 2, "window": "hour"}}, "flaky": {}, "guard_echo": {}},
}
YAML_POLICY = """
version: "1"
tools:
  flaky:
    rules:
      - name: two units
        conditions: [{path: state.flaky.units, op: lte, value: 2}]
        state: {counter: units, window: day, increment_from: args.count}
"""


def policy_text(spelling: str) -> str:
    return {"json": json.dumps(JSON_POLICY), "yaml": YAML_POLICY, "wildcard": json.dumps(WILDCARD_POLICY)}[spelling]


def guard_for(policy_text: str, audit: AuditLog | None = None) -> Guard:
    guard = Guard(parse_text(policy_text), audit=audit)
    guard.wrap(FLAKY)
    guard.wrap(ECHO)
    return guard


async def attempt(tool, how: str, caller: Caller):
    if how == "cancel":
        with pytest.raises(anyio.get_cancelled_exc_class()):
            await tool({"how": how, "count": 1}, caller)
        return None
    return await tool({"how": how, "count": 1}, caller)


@pytest.mark.parametrize("how", ["odoo", "path_after_effect", "crash", "cancel"])
@pytest.mark.parametrize("spelling", ["json", "yaml", "wildcard"])
async def test_a_call_that_reached_its_tool_is_charged_whatever_it_answered(how, spelling):
    guard = guard_for(policy_text(spelling))
    tool = guard.tools["flaky"]
    caller = Caller()
    REACHED.clear()
    for _ in range(2):
        failed = await attempt(tool, how, caller)
        assert failed is None or (failed.is_error and not failed.text.startswith("[RATE LIMITED]")), failed
    third = await tool({"how": how, "count": 1}, caller)
    assert third.text.startswith("[RATE LIMITED]"), third.text
    assert [how, how] == REACHED  # the limit of two held: the tool was not reached a third time


@pytest.mark.parametrize("how", ["path", "not_configured"])
@pytest.mark.parametrize("spelling", ["json", "yaml", "wildcard"])
async def test_a_call_refused_before_any_effect_gets_its_quota_back(how, spelling):
    guard = guard_for(policy_text(spelling))
    tool = guard.tools["flaky"]
    caller = Caller()
    for _ in range(3):
        failed = await tool({"how": how, "count": 1}, caller)
        assert failed.is_error and not failed.text.startswith("[RATE LIMITED]"), failed.text
    assert not (await tool({"count": 1}, caller)).is_error
    assert not (await tool({"count": 1}, caller)).is_error
    assert (await tool({"count": 1}, caller)).text.startswith("[RATE LIMITED]")



@pytest.mark.parametrize("spelling", ["json", "yaml", "wildcard"])
async def test_a_call_whose_intent_cannot_be_written_gets_its_quota_back(tmp_path, spelling):
    full = [True]

    def disk(descriptor: int, data: bytes) -> None:
        if full[0]:
            raise OSError(errno.ENOSPC, "No space left on device")
        os.write(descriptor, data)

    guard = guard_for(policy_text(spelling), AuditLog(tmp_path / "audit.jsonl", stderr=False, writer=disk))
    tool, caller = guard.tools["flaky"], Caller()
    for _ in range(3):
        assert (await tool({"count": 1}, caller)).text.startswith("[AUDIT UNAVAILABLE]")
    full[0] = False
    assert not (await tool({"count": 1}, caller)).is_error
    assert not (await tool({"count": 1}, caller)).is_error
    assert (await tool({"count": 1}, caller)).text.startswith("[RATE LIMITED]")

async def test_every_intent_gets_an_outcome_and_the_outcome_says_whether_it_was_charged(tmp_path):
    audit = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    guard = guard_for(json.dumps(JSON_POLICY), audit)
    tool = guard.tools["flaky"]
    for how in ("cancel", "path", "ok"):
        await attempt(tool, how, Caller())
    audit.close()
    records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    intents = {r["call"] for r in records if r["event"] == "tool_intent"}
    outcomes = {r["call"]: r for r in records if r["event"] == "tool_call"}
    assert len(intents) == 3 and intents <= set(outcomes)  # no intent left without its outcome
    assert [(r["outcome"], r["charged"]) for r in outcomes.values()] == [
        ("cancelled", True), ("path_refused", False), ("ok", True),
    ]  # fmt: skip


async def test_a_call_counts_as_charged_even_where_no_counter_counted_it(tmp_path):
    """Replay spends a candidate policy's quota on the calls the record says were charged: a call that
    ran under a policy without limits must say so too."""
    audit = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    guard = guard_for('{"version": "1", "default": "allow"}', audit)
    await guard.tools["flaky"]({"how": "odoo"}, Caller())
    await guard.tools["flaky"]({"how": "path"}, Caller())
    audit.close()
    records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [(r["outcome"], r["charged"]) for r in records if r["event"] == "tool_call"] == [
        ("failed", True), ("path_refused", False),
    ]  # fmt: skip


async def test_approval_declined_or_pending_spends_nothing():
    guard = guard_for(json.dumps(JSON_POLICY))
    tool = guard.tools["guard_echo"]
    caller = Caller()

    async def declines(_question: str) -> bool:
        return False

    async def approves(_question: str) -> bool:
        return True

    declined, approved = Channel(ask=declines), Channel(ask=approves)
    for _ in range(3):
        assert (await tool({}, caller, declined)).text.startswith("[APPROVAL DECLINED]")
        deferred = Channel(defer=lambda _question, _state: {"ask": "later"})
        assert (await tool({}, caller, deferred)).pending == {"ask": "later"}
    assert not (await tool({}, caller, approved)).is_error
    assert not (await tool({}, caller, approved)).is_error
    assert (await tool({}, caller, approved)).text.startswith("[RATE LIMITED] rate_limit.guard_echo: 2 per hour")



async def test_a_human_is_not_asked_about_a_call_its_limits_would_refuse():
    guard = guard_for(json.dumps(JSON_POLICY))
    tool = guard.tools["guard_echo"]
    questions: list[str] = []

    async def approves(question: str) -> bool:
        questions.append(question)
        return True

    for _ in range(2):
        assert not (await tool({}, Caller(), Channel(ask=approves))).is_error
    assert len(questions) == 2
    refused = await tool({}, Caller(), Channel(ask=approves))
    assert refused.text.startswith("[RATE LIMITED] rate_limit.guard_echo: 2 per hour")
    assert len(questions) == 2  # refused before the question: nobody approves a call that cannot run

def login_limit(tool: str) -> dict:
    counter = {"counter": "logins", "window": "minute", "max": 5, "scope": "grant"}
    return {"version": "1", "default": "deny", "tools": {tool: {"limits": [counter]}}}


def login_arguments(tool: str, double: OdooDouble, guess: str) -> dict:
    if tool == "odoo_web_login":
        return {"login": "admin", "password": guess}
    return {"alias": "brute", "url": double.url, "db": double.db, "username": "admin", "password": guess}


@pytest.mark.parametrize("tool", ["odoo_web_login", "odoo_connect"])
async def test_fifty_wrong_passwords_reach_odoo_five_times_under_five_a_minute(tmp_path, tool):
    """The brute force the limit is for: every refused login counts, so Odoo sees five attempts."""
    with OdooDouble() as double:
        tried: list[str] = []
        authenticate = double.database.authenticate

        def counted(db: str, login: str, secret: str, **how):
            tried.append(secret)
            return authenticate(db, login, secret, **how)

        double.database.authenticate = counted  # the double counts what reached it
        env = {"ALLOWED_ODOO_URLS": double.url}
        async with in_process(login_limit(tool), double, "jsonrpc", tmp_path / "files", **env) as guard:
            answers = [
                (await guard.tools[tool](login_arguments(tool, double, f"guess{n}"), Caller())).text
                for n in range(50)
            ]
    assert len([secret for secret in tried if secret.startswith("guess")]) == 5
    assert all(not text.startswith("[RATE LIMITED]") for text in answers[:5]), answers[:5]
    assert all(text.startswith("[RATE LIMITED] logins: 5 per minute (grant)") for text in answers[5:]), answers[5]


async def test_a_cancelled_mounted_call_keeps_its_quota_and_gets_its_outcome_record(tmp_path):
    """The mounted server did the work before the client gave up: seven cancelled calls under a
    limit of two make two effects, and every intent record has its outcome (`cancelled`)."""
    mounts = Mounts([MountConfig("fx", command=tuple(zygote.command("tests.effect_mount_server")))])
    mounts.start()
    try:
        assert mounts.failed == {}
        audit = AuditLog(tmp_path / "audit.jsonl", stderr=False)
        policy = {"version": "1", "default": "deny",
                  "tools": {"fx__mark": {"rate_limit": {"max": 2, "window": "hour"}}}}  # fmt: skip
        guard = Guard(parse_text(json.dumps(policy)), audit=audit)
        for spec in mounts.specs():
            guard.wrap(spec)
        marks = tmp_path / "marks"

        def effects() -> int:
            return len(marks.read_text().splitlines()) if marks.exists() else 0

        answers = []
        for _ in range(7):
            before = effects()
            answered: list = []
            async with anyio.create_task_group() as group:

                async def one(answered: list = answered) -> None:
                    answered.append(await guard.tools["fx__mark"]({"path": str(marks)}, Caller()))

                group.start_soon(one)
                with anyio.fail_after(20):
                    while not answered and effects() == before:
                        await anyio.sleep(0.01)
                group.cancel_scope.cancel()  # the client gives up: after the effect, or after the refusal
            answers += [result.text for result in answered]
        audit.close()
    finally:
        mounts.close()
    assert effects() == 2
    assert len(answers) == 5 and all(text.startswith("[RATE LIMITED]") for text in answers), answers
    records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    intents = [r["call"] for r in records if r["event"] == "tool_intent"]
    outcomes = {r["call"]: r["outcome"] for r in records if r["event"] == "tool_call"}
    assert len(intents) == 2 and [outcomes.get(call) for call in intents] == ["cancelled", "cancelled"]
