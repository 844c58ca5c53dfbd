"""guard/guard.py: what the audit log says about a call — the intent written ahead, the outcome after.

In process (`Guard` + `wrap`, a real audit file): the operator reads these records to know who
called what, what the policy decided and by which rule, how the call ended, what it cost in
quota and which dedicated tool's rules also decided it. Every field is compared, so a record
that loses or garbles one is caught. A storage that fails is a real one: Redis on a closed port.
"""

from __future__ import annotations

import json
import time

import pytest

from guard.audit import AuditLog
from guard.guard import Guard
from guard.limiter import Limiter
from guard.policy import parse_text
from guard.spec import Caller, Equivalent, Risk, ToolArgs, ToolSpec

pytestmark = pytest.mark.anyio

CALLER = Caller("alice", "s1")


class Args(ToolArgs):
    n: int = 0
    wait: float = 0.0


async def work(args: Args, call) -> dict:
    if args.wait:
        time.sleep(args.wait)
    return {"n": args.n}


def equivalents(args: Args) -> list[Equivalent]:
    return [Equivalent("dedicated", {"n": args.n})]


WORK = ToolSpec("work", "test", Risk.WRITE, Args, work, "test")
GENERIC = ToolSpec("generic", "test", Risk.WRITE, Args, work, "test", equivalents=equivalents)


def guarded(tmp_path, policy: dict, limiter: Limiter | None = None) -> Guard:
    audit = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    guard = Guard(parse_text(json.dumps(policy)), audit=audit, limiter=limiter)
    guard.wrap(WORK)
    guard.wrap(GENERIC)
    return guard


def records(tmp_path) -> list[dict]:
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    out = []
    for line in lines:
        record = json.loads(line)
        for key in ("time", "seq", "prev", "hash", "level", "chain"):
            record.pop(key, None)
        out.append(record)
    return out


async def test_an_allowed_call_has_its_intent_and_its_outcome(tmp_path):
    policy = {"version": "1", "default": "deny",
              "tools": {"work": {"limits": [{"counter": "w", "window": "hour", "max": 5}]}}}  # fmt: skip
    guard = guarded(tmp_path, policy)
    result = await guard.tools["work"]({"n": 3, "wait": 0.02}, CALLER)
    assert (result.is_error, result.data) == (False, {"n": 3})
    intent, outcome = records(tmp_path)
    for record in (intent, outcome):
        [counter] = record["counters"]
        assert 0 < counter.pop("reset_in") <= 3600
    counters = [{"counter": "w", "max": 5, "window": "hour", "scope": "global", "remaining": 4}]
    assert intent.pop("call") == outcome.pop("call") and len(outcome) > 0
    assert intent == {
        "event": "tool_intent", "phase": "intent", "tool": "work", "grant": "alice", "session": "s1",
        "decision": "allow", "rule": "tools.work", "counters": counters, "arguments": {"n": 3, "wait": 0.02},
    }  # fmt: skip
    duration = outcome.pop("duration_ms")
    assert 20 <= duration < 60_000  # milliseconds, of this call (it waited 20 ms)
    assert outcome == {
        "event": "tool_call", "phase": "outcome", "tool": "work", "grant": "alice", "session": "s1",
        "decision": "allow", "rule": "tools.work", "reason": None, "outcome": "ok", "error": None,
        "counters": counters, "arguments": {"n": 3, "wait": 0.02}, "charged": True,
    }  # fmt: skip


async def test_a_refused_call_has_only_its_outcome_with_the_rule_and_the_reason(tmp_path):
    guard = guarded(tmp_path, {"version": "1", "default": "deny"})
    result = await guard.tools["work"]({"n": 1}, CALLER)
    assert result.is_error
    [outcome] = records(tmp_path)
    outcome.pop("call")
    outcome.pop("duration_ms")
    assert outcome == {
        "event": "tool_call", "phase": "outcome", "tool": "work", "grant": "alice", "session": "s1",
        "decision": "deny", "rule": "default", "reason": result.text.removeprefix("[POLICY DENIED] "),
        "outcome": "denied", "error": result.text, "counters": [], "arguments": {"n": 1}, "charged": False,
    }  # fmt: skip


async def test_the_error_field_is_the_first_line_of_the_answer(tmp_path):
    async def two_lines(args, call):
        from guard.spec import ToolFailure

        raise ToolFailure("first line\nsecond line")

    guard = guarded(tmp_path, {"version": "1", "default": "allow"})
    guard.wrap(ToolSpec("two_lines", "test", Risk.READ, Args, two_lines, "test"))
    result = await guard.tools["two_lines"]({}, CALLER)
    assert result.text == "[TOOL ERROR] first line\nsecond line"
    assert records(tmp_path)[-1]["error"] == "[TOOL ERROR] first line"


async def test_a_call_decided_by_a_dedicated_tools_rules_names_it_in_both_records(tmp_path):
    policy = {"version": "1", "default": "allow",
              "tools": {"dedicated": {"deny_if": [{"path": "args.n", "op": "gt", "value": 5}]}}}  # fmt: skip
    guard = guarded(tmp_path, policy)
    assert not (await guard.tools["generic"]({"n": 1}, CALLER)).is_error
    refused = await guard.tools["generic"]({"n": 9}, CALLER)
    assert refused.text.startswith("[POLICY DENIED]")
    assert not (await guard.tools["work"]({"n": 9}, CALLER)).is_error
    got = [(r["event"], r.get("outcome"), r.get("equivalent_of")) for r in records(tmp_path)]
    assert got == [
        ("tool_intent", None, ["dedicated"]), ("tool_call", "ok", ["dedicated"]),
        ("tool_call", "denied", ["dedicated"]),
        ("tool_intent", None, None), ("tool_call", "ok", None),  # no equivalents: no key at all
    ]  # fmt: skip
    assert all("shadow" not in r for r in records(tmp_path))  # not in shadow mode: no shadow key


async def test_arguments_left_out_are_an_empty_object(tmp_path):
    guard = guarded(tmp_path, {"version": "1", "default": "allow"})
    result = await guard.tools["work"](None, CALLER)
    assert (result.is_error, result.data) == (False, {"n": 0})
    assert records(tmp_path)[-1]["arguments"] == {}


async def test_a_dead_counter_store_is_a_tagged_refusal_with_its_outcome(tmp_path):
    """Redis on a port nothing listens on: reading the counters fails, the call is refused with a tag."""
    policy = {"version": "1", "default": "deny", "tools": {"work": {"rules": [{
        "name": "budget", "conditions": [{"path": "state.work.n", "op": "lte", "value": 10}],
        "state": {"counter": "n", "window": "day", "increment_from": "args.n"}}]}}}  # fmt: skip
    guard = guarded(tmp_path, policy, Limiter("redis://127.0.0.1:9/0"))
    result = await guard.tools["work"]({"n": 1}, CALLER)
    assert result.text.startswith("[RATE LIMIT UNAVAILABLE] the rate-limit store could not be used (")
    assert result.text.endswith("); nothing was run")
    assert "(None)" not in result.text and "NoneType" not in result.text  # names what failed
    [outcome] = records(tmp_path)
    assert (outcome["outcome"], outcome["error"]) == ("rate_limit_unavailable", result.text)


async def test_an_intent_that_cannot_be_written_refuses_the_call_and_says_so(tmp_path):
    """A full disk for the intent record: nothing runs; the outcome record (best effort) says why."""
    written: list[bytes] = []

    def writer(descriptor: int, data: bytes) -> None:
        if b'"tool_intent"' in data:
            raise OSError(28, "No space left on device")
        written.append(data)

    audit = AuditLog(tmp_path / "audit.jsonl", stderr=False, writer=writer)
    guard = Guard(parse_text('{"version": "1", "default": "allow"}'), audit=audit)
    ran: list[int] = []

    async def effect(args, call):
        ran.append(args.n)

    guard.wrap(ToolSpec("effect", "test", Risk.WRITE, Args, effect, "test"))
    result = await guard.tools["effect"]({"n": 1}, CALLER)
    assert result.text == "[AUDIT UNAVAILABLE] the call could not be recorded in the audit log, so it was not run"
    assert ran == []
    [outcome] = [json.loads(line) for line in written]
    assert (outcome["event"], outcome["outcome"], outcome["charged"]) == ("tool_call", "audit_unavailable", False)


async def test_arguments_that_are_not_an_object_are_refused_and_recorded(tmp_path):
    guard = guarded(tmp_path, {"version": "1", "default": "allow"})
    result = await guard.tools["work"]([1, 2], CALLER)
    assert (result.is_error, result.text) == (True, "[INVALID ARGUMENTS] (arguments): must be an object")
    [outcome] = records(tmp_path)
    assert (outcome["outcome"], outcome["decision"], outcome["rule"]) == ("invalid", "allow", "default")


async def test_a_refusal_of_the_canonical_step_is_answered_and_recorded(tmp_path):
    from guard.spec import InvalidArguments

    def canonical(args, call):
        raise InvalidArguments("n: Odoo cannot store this")

    guard = guarded(tmp_path, {"version": "1", "default": "allow"})
    guard.wrap(ToolSpec("stored", "test", Risk.WRITE, Args, work, "test", canonical=canonical))
    result = await guard.tools["stored"]({"n": 1}, CALLER)
    assert (result.is_error, result.text) == (True, "[INVALID ARGUMENTS] n: Odoo cannot store this")
    [outcome] = records(tmp_path)
    assert (outcome["outcome"], outcome["decision"], outcome["error"]) == ("invalid", "allow", result.text)


async def test_a_refusal_after_the_decision_records_the_decision(tmp_path):
    """The counter store fails once the policy has decided: the record keeps what was decided, by which rule."""
    policy = {"version": "1", "default": "deny",
              "tools": {"work": {"limits": [{"counter": "w", "window": "hour", "max": 5}]}}}  # fmt: skip
    guard = guarded(tmp_path, policy, Limiter("redis://127.0.0.1:9/0"))
    result = await guard.tools["work"]({"n": 1}, CALLER)
    assert result.text.startswith("[RATE LIMIT UNAVAILABLE]")
    [outcome] = records(tmp_path)
    assert (outcome["outcome"], outcome["decision"], outcome["rule"], outcome["counters"]) == (
        "rate_limit_unavailable", "allow", "tools.work", [])


async def test_a_failure_of_the_guard_itself_is_tagged_recorded_and_logged(tmp_path, capsys):
    """The tool's equivalents step breaks (the guard runs it before any handler): nothing runs, the answer is
    tagged, the record keeps the tool gate's decision, stderr has the traceback."""

    def broken(args):
        return 1 / 0

    guard = guarded(tmp_path, {"version": "1", "default": "allow"})
    ran: list[int] = []

    async def effect(args, call):
        ran.append(1)

    guard.wrap(ToolSpec("fragile", "test", Risk.WRITE, Args, effect, "test", equivalents=broken))
    result = await guard.tools["fragile"]({"n": 1}, CALLER)
    assert (result.is_error, result.text) == (
        True, "[INTERNAL ERROR] the guard could not decide on fragile (ZeroDivisionError); nothing was run")
    assert ran == []
    [outcome] = records(tmp_path)
    assert (outcome["outcome"], outcome["decision"], outcome["rule"], outcome["error"]) == (
        "guard_error", "allow", "default", result.text)
    err = capsys.readouterr().err
    assert "guard failed on fragile:" in err and "ZeroDivisionError" in err


@pytest.mark.parametrize(
    ("policy", "listed", "callable_"),
    [
        ({"version": "1", "default": "allow"}, ["generic", "work"], ["generic", "work"]),
        ({"version": "1", "default": "deny", "tools": {"work": {}}}, ["generic", "work"], ["work"]),
        ({"version": "1", "default": "deny", "list": "allowed", "tools": {"work": {}}}, ["work"], ["work"]),
        ({"version": "1", "default": "allow", "hide": ["work"]}, ["generic"], ["generic"]),
        ({"version": "1", "default": "deny", "list": "allowed", "mode": "shadow", "hide": ["work"]},
         ["generic", "work"], ["generic", "work"]),  # shadow: everything listed and run, refusals only recorded
    ],
)
async def test_what_tools_list_shows_and_what_an_unlisted_name_gets(tmp_path, policy, listed, callable_):
    guard = guarded(tmp_path, policy)
    assert [tool.name for tool in guard.listed()] == listed
    assert [name for name in ("generic", "nothing", "work") if guard.lists(name)] == listed
    for name in ("generic", "work"):
        answer = await guard.tools[name]({}, CALLER)
        assert answer.is_error is (name not in callable_), answer.text


async def test_a_call_to_an_unknown_name_is_refused_and_recorded(tmp_path):
    guard = guarded(tmp_path, {"version": "1", "default": "allow", "hide": ["work"]})
    unknown = guard.refuse_unexposed("nothing", {"a": 1}, CALLER)
    hidden = guard.refuse_unexposed("work", None, CALLER)
    assert (unknown.is_error, unknown.text) == (True, "[POLICY DENIED] unknown tool 'nothing'")
    assert hidden.is_error and hidden.text.startswith("[POLICY DENIED] ")
    first, second = records(tmp_path)
    assert {k: first[k] for k in ("event", "tool", "grant", "session", "outcome", "decision", "rule", "arguments",
                                  "error", "charged")} == {
        "event": "tool_call", "tool": "nothing", "grant": "alice", "session": "s1", "outcome": "denied",
        "decision": "deny", "rule": "unknown", "arguments": {"a": 1}, "error": unknown.text, "charged": False,
    }  # fmt: skip
    assert (second["tool"], second["rule"], second["outcome"]) == ("work", "hide", "denied")


async def test_a_call_over_its_limit_records_what_remains_of_each_counter(tmp_path):
    policy = {"version": "1", "default": "deny",
              "tools": {"work": {"limits": [{"counter": "w", "window": "hour", "max": 1}]}}}  # fmt: skip
    guard = guarded(tmp_path, policy)
    assert not (await guard.tools["work"]({}, CALLER)).is_error
    limited = await guard.tools["work"]({}, CALLER)
    assert limited.text.startswith("[RATE LIMITED] w: 1 per hour")
    outcome = records(tmp_path)[-1]
    [counter] = outcome["counters"]
    assert (outcome["outcome"], counter["counter"], counter["remaining"]) == ("rate_limited", "w", 0)


async def test_a_store_that_dies_before_the_refund_costs_quota_never_the_answer(tmp_path, capsys):
    """The handler refuses before any effect, so its quota is to be given back — but Redis has just died
    (killed by the handler itself: a real failure, at the worst moment). The agent still gets the
    handler's answer; the operator reads on stderr that a reservation could not be given back."""
    import shutil
    import subprocess

    from guard.spec import PathRefused
    from tests.loopback import free_port, wait_for_port

    port = free_port()
    redis = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
                              "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for_port(port, redis, timeout=10)

        async def refuses_after_the_store_died(args, call):
            redis.kill()
            redis.wait(timeout=10)
            raise PathRefused("target", "not a configured target")

        policy = {"version": "1", "default": "deny",
                  "tools": {"dies": {"limits": [{"counter": "d", "window": "hour", "max": 5}]}}}  # fmt: skip
        guard = guarded(tmp_path, policy, Limiter(f"redis://127.0.0.1:{port}/0"))
        guard.wrap(ToolSpec("dies", "test", Risk.WRITE, Args, refuses_after_the_store_died, "test"))
        result = await guard.tools["dies"]({}, CALLER)
    finally:
        if redis.poll() is None:
            redis.kill()
            redis.wait(timeout=10)
    assert result.text == "[PATH REFUSED] target: not a configured target"
    err = capsys.readouterr().err
    assert "rate-limit store: could not give back a reservation (" in err
    assert "(NoneType)" not in err
    outcome = records(tmp_path)[-1]
    assert (outcome["outcome"], outcome["charged"]) == ("path_refused", False)


async def test_an_invalid_call_is_recorded_as_invalid(tmp_path):
    guard = guarded(tmp_path, {"version": "1", "default": "allow"})
    result = await guard.tools["work"]({"n": "many"}, CALLER)
    assert result.text.startswith("[INVALID ARGUMENTS] n: ")
    assert records(tmp_path)[-1]["outcome"] == "invalid"


async def test_a_guard_built_without_an_audit_log_writes_nothing_and_hands_its_runtime_over(capsys):
    seen: list = []

    async def handler(args, call):
        seen.append(call.runtime)

    guard = Guard(parse_text('{"version": "1", "default": "allow"}'), runtime="the-runtime")
    guard.wrap(ToolSpec("quiet", "test", Risk.READ, Args, handler, "test"))
    guard.wrap(ToolSpec("family", "test", Risk.READ, Args, handler, "test"), "its-family")
    assert not (await guard.tools["quiet"]({}, CALLER)).is_error
    assert not (await guard.tools["family"]({}, CALLER)).is_error
    assert seen == ["the-runtime", "its-family"]
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""
    with pytest.raises(ValueError, match=r"^tool 'quiet' is wrapped twice$"):
        guard.wrap(ToolSpec("quiet", "test", Risk.READ, Args, handler, "test"))
    from guard.guard import GuardedTool

    with pytest.raises(TypeError, match=r"^GuardedTool is created by Guard\.wrap only$"):
        GuardedTool(guard, WORK, object())


async def test_a_tool_that_crashes_is_answered_without_its_details_charged_and_logged(tmp_path, capsys):
    async def crashes(args, call):
        raise RuntimeError("secret internal detail")

    policy = {"version": "1", "default": "deny",
              "tools": {"crashes": {"limits": [{"counter": "c", "window": "hour", "max": 5}]}}}  # fmt: skip
    guard = guarded(tmp_path, policy)
    guard.wrap(ToolSpec("crashes", "test", Risk.WRITE, Args, crashes, "test"))
    result = await guard.tools["crashes"]({}, CALLER)
    assert (result.is_error, result.text) == (
        True, "[INTERNAL ERROR] crashes failed unexpectedly (RuntimeError); see the server log")
    outcome = records(tmp_path)[-1]
    [counter] = outcome["counters"]
    assert (outcome["outcome"], outcome["decision"], outcome["charged"], counter["remaining"]) == (
        "crashed", "allow", True, 4)
    err = capsys.readouterr().err
    assert "tool crashes crashed:" in err and "secret internal detail" in err  # the operator's log has it all


async def test_a_counter_whose_amount_is_unusable_refuses_the_call_by_its_rule(tmp_path):
    policy = {"version": "1", "default": "deny", "tools": {"work": {"rules": [{
        "name": "budget", "conditions": [{"path": "state.work.units", "op": "lte", "value": 10}],
        "state": {"counter": "units", "window": "day", "increment_from": "args.n"}}]}}}  # fmt: skip
    guard = guarded(tmp_path, policy)
    result = await guard.tools["work"]({"n": -3}, CALLER)  # a negative amount: nothing to count
    assert result.is_error and result.text.startswith("[POLICY DENIED] "), result.text
    outcome = records(tmp_path)[-1]
    assert (outcome["outcome"], outcome["decision"], outcome["rule"], outcome["error"]) == (
        "denied", "deny", "tools.work.rules[0]", result.text)
    assert "tool_intent" not in [r["event"] for r in records(tmp_path)]
