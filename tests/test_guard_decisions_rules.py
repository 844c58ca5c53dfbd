"""Which rule decides, with which words: guard/decisions.py table by table.

Every row is a policy, a call and the exact decision (verdict, the rule's JSON path, the text
the agent reads). The plan rows pin what a tool's plan spends: its counters' caps, increments
and scopes, as docs/policy.md's Counters section defines them.
"""

from __future__ import annotations

import json

import pytest

from guard.conditions import describe
from guard.decisions import (
    Decision,
    StateCounter,
    Verdict,
    build_plan,
    decide,
    gate_tool,
    plan_for,
    unknown_tool_reason,
)
from guard.policy import Condition, parse_text
from guard.wording import default_deny_reason

GT5 = {"path": "args.count", "op": "gt", "value": 5}
LTE5 = {"path": "args.count", "op": "lte", "value": 5}


def policy(tools: dict, default: str = "deny", **extra):
    return parse_text(json.dumps({"version": "1", "default": default, "tools": tools, **extra}))


def lazy(tools: dict, default: str = "deny", **extra):
    """A policy read in the test, not at import (a policy keeps its plans: one read at import would
    be planned once, by whatever code ran first)."""
    return lambda: policy(tools, default, **extra)


def words(condition: dict) -> str:
    return describe(Condition(**condition))


DECISIONS = [
    # (case, policy, tool, arguments, verdict, rule, reason)
    ("hidden", lazy({"t": {}}, hide=["t"]), "t", {}, Verdict.DENY, "hide", "unknown tool 't'"),
    ("hide '*' hides every tool", lazy({"t": {}}, hide=["*"]), "t", {}, Verdict.DENY, "hide", "unknown tool 't'"),
    ("default deny, unlisted", lazy({"u": {}}), "t", {}, Verdict.DENY, "default", default_deny_reason("t")),
    ("'*' lists nothing", lazy({"*": {}}), "t", {}, Verdict.DENY, "default", default_deny_reason("t")),
    ("default allow, unlisted", lazy({}, "allow"), "t", {}, Verdict.ALLOW, "default", ""),
    ("listed", lazy({"t": {}}), "t", {}, Verdict.ALLOW, "tools.t", ""),
    (
        "action deny",
        lazy({"t": {"action": "deny"}}),
        "t",
        {},
        Verdict.DENY,
        "tools.t.action",
        "'t' is denied by this policy",
    ),
    (
        "action deny, on_deny",
        lazy({"t": {"action": "deny", "on_deny": "no"}}),
        "t",
        {},
        Verdict.DENY,
        "tools.t.action",
        "no",
    ),
    (
        "action deny, reason",
        lazy({"t": {"action": "deny", "reason": "old"}}),
        "t",
        {},
        Verdict.DENY,
        "tools.t.action",
        "old",
    ),
    (
        "deny rule after an evaluate rule",
        lazy({"t": {"rules": [{"name": "small", "conditions": [LTE5]}, {"name": "never", "action": "deny"}]}}),
        "t",
        {"count": 1},
        Verdict.DENY,
        "tools.t.rules[1]",
        'Denied by rule "never"',
    ),
    (
        "deny rule with on_deny",
        lazy({"t": {"rules": [{"name": "never", "action": "deny", "on_deny": "nope"}]}}),
        "t",
        {},
        Verdict.DENY,
        "tools.t.rules[0]",
        "nope",
    ),
    (
        "'*' deny",
        lazy({"t": {}, "*": {"action": "deny"}}),
        "t",
        {},
        Verdict.DENY,
        "tools.*.action",
        "'t' is denied by this policy",
    ),
    (
        "'*' deny rule",
        lazy({"t": {}, "*": {"rules": [{"name": "x", "action": "deny"}]}}),
        "t",
        {},
        Verdict.DENY,
        "tools.*.rules[0]",
        'Denied by rule "x"',
    ),
    (
        "own deny before '*' deny",
        lazy({"t": {"action": "deny", "on_deny": "own"}, "*": {"action": "deny"}}),
        "t",
        {},
        Verdict.DENY,
        "tools.t.action",
        "own",
    ),
    (
        "require fails",
        lazy({"t": {"require": [LTE5]}}),
        "t",
        {"count": 9},
        Verdict.DENY,
        "tools.t.require[0]",
        f"'t' is allowed only when {words(LTE5)}",
    ),
    (
        "require fails, second entry",
        lazy({"t": {"require": ["text", LTE5]}}),
        "t",
        {"count": 9, "text": "a"},
        Verdict.DENY,
        "tools.t.require[1]",
        f"'t' is allowed only when {words(LTE5)}",
    ),
    (
        "require fails, message",
        lazy({"t": {"require": [LTE5], "on_deny": "small only"}}),
        "t",
        {"count": 9},
        Verdict.DENY,
        "tools.t.require[0]",
        "small only",
    ),
    (
        "deny_if holds",
        lazy({"t": {"deny_if": [GT5]}}),
        "t",
        {"count": 9},
        Verdict.DENY,
        "tools.t.deny_if[0]",
        f"'t' is refused when {words(GT5)}",
    ),
    (
        "deny_if holds, message",
        lazy({"t": {"deny_if": [GT5], "reason": "too many"}}),
        "t",
        {"count": 9},
        Verdict.DENY,
        "tools.t.deny_if[0]",
        "too many",
    ),
    ("deny_if does not hold", lazy({"t": {"deny_if": [GT5]}}), "t", {"count": 1}, Verdict.ALLOW, "tools.t", ""),
    (
        "evaluate rule fails",
        lazy({"t": {"rules": [{"name": "small", "conditions": [LTE5]}]}}),
        "t",
        {"count": 9},
        Verdict.DENY,
        "tools.t.rules[0]",
        'Denied by rule "small"',
    ),
    (
        "evaluate rule fails, on_deny",
        lazy({"t": {"rules": [{"name": "s", "conditions": [LTE5], "on_deny": "m"}]}}),
        "t",
        {"count": 9},
        Verdict.DENY,
        "tools.t.rules[0]",
        "m",
    ),
    (
        "'*' conditions after the tool's",
        lazy({"t": {"require": [LTE5]}, "*": {"deny_if": [GT5]}}),
        "t",
        {"count": 9},
        Verdict.DENY,
        "tools.t.require[0]",
        f"'t' is allowed only when {words(LTE5)}",
    ),
    (
        "'*' deny_if",
        lazy({"t": {}, "*": {"deny_if": [GT5]}}),
        "t",
        {"count": 9},
        Verdict.DENY,
        "tools.*.deny_if[0]",
        f"'t' is refused when {words(GT5)}",
    ),
    ("own approval", lazy({"t": {"action": "require_approval"}}), "t", {}, Verdict.APPROVAL, "tools.t.action", ""),
    (
        "own approval, message",
        lazy({"t": {"action": "require_approval", "on_deny": "ask"}}),
        "t",
        {},
        Verdict.APPROVAL,
        "tools.t.action",
        "ask",
    ),
    (
        "own approval before '*''s",
        lazy(
            {
                "t": {"action": "require_approval", "on_deny": "own"},
                "*": {"action": "require_approval", "on_deny": "all"},
            }
        ),
        "t",
        {},
        Verdict.APPROVAL,
        "tools.t.action",
        "own",
    ),
    (
        "'*' approval",
        lazy({"t": {}, "*": {"action": "require_approval"}}),
        "t",
        {},
        Verdict.APPROVAL,
        "tools.*.action",
        "",
    ),
    (
        "unlisted, '*' approval",
        lazy({"*": {"action": "require_approval"}}, "allow"),
        "t",
        {},
        Verdict.APPROVAL,
        "tools.*.action",
        "",
    ),
]


@pytest.mark.parametrize(
    ("case", "policy", "tool", "arguments", "verdict", "rule", "reason"), DECISIONS, ids=[row[0] for row in DECISIONS]
)
def test_the_deciding_rule_and_its_words(case, policy, tool, arguments, verdict, rule, reason):
    decision = decide(policy(), tool, arguments)
    assert (decision.verdict, decision.rule, decision.reason) == (verdict, rule, reason)
    assert decision.message == reason
    assert decision.allowed is (verdict is not Verdict.DENY)


def test_an_unknown_tool_reads_like_a_hidden_one():
    decision = decide(policy({"t": {}}), "nope", {}, known=False)
    assert (decision.verdict, decision.rule, decision.reason) == (Verdict.DENY, "unknown", unknown_tool_reason("nope"))
    assert unknown_tool_reason("nope") == "unknown tool 'nope'"


def test_without_arguments_only_the_tool_gate_answers():
    tools = {"t": {"require": [LTE5], "action": "require_approval"}}
    assert decide(policy(tools), "t", None) == Decision(Verdict.ALLOW, "tools.t")
    assert gate_tool(policy(tools, "allow"), "u", known=True) == Decision(Verdict.ALLOW, "default")
    assert decide(policy({"t": {"action": "deny"}}), "t", None).rule == "tools.t.action"


def test_counters_decide_when_given():
    yaml = """
version: "1"
tools:
  t:
    rules:
      - name: five a day
        conditions: [{path: state.t.n, op: lt, value: 5}]
        state: {counter: n, window: day}
"""
    loaded = parse_text(yaml, spelling="yaml")
    assert decide(loaded, "t", {}, {"state.t.n": 4}).allowed
    refused = decide(loaded, "t", {}, {"state.t.n": 5})
    assert (refused.rule, refused.reason) == ("tools.t.rules[0]", 'Denied by rule "five a day"')
    assert decide(loaded, "t", {}).allowed  # no counters: the limiter enforces the cap


PLAN_YAML = """
version: "1"
tools:
  t:
    rules:
      - name: units a day
        conditions: [{path: state.t.units, op: lt, value: 100}, {path: args.count, op: gte, value: 0}]
        state: {counter: units, window: day, increment_from: args.values.qty, scope: grant}
        on_deny: too many units
      - name: calls an hour
        conditions: [{path: state.t.calls, op: lte, value: 7}, {path: state.t.calls, op: lt, value: 3}]
        state: {counter: calls, window: hour, increment: 2}
      - name: counted only
        conditions: [{path: args.count, op: gte, value: 0}]
        state: {counter: seen, window: minute}
      - name: twice a minute
        rate_limit: 2/minute
  "*":
    rules:
      - name: all calls
        rate_limit: 9/hour
"""


def test_a_plan_spends_each_counter_as_its_rule_says():
    plan = build_plan(parse_text(PLAN_YAML, spelling="yaml"), "t")
    assert plan.counters == (
        StateCounter("state.t.units", "day", 99, 1, ("values", "qty"), "grant", "tools.t.rules[0]", "too many units"),
        StateCounter("state.t.calls", "hour", 7, 2, None, "global", "tools.t.rules[1]", None),
        StateCounter("state.t.seen", "minute", None, 1, None, "global", "tools.t.rules[2]", None),
        StateCounter(
            "state.t._rate_minute",
            "minute",
            2,
            1,
            None,
            "global",
            "tools.t.rules[3]",
            "Rate limit of 2 per minute reached. Try again later.",
        ),
        StateCounter(
            "state._global._rate_hour",
            "hour",
            9,
            1,
            None,
            "global",
            "tools.*.rules[0]",
            "Rate limit of 9 per hour reached. Try again later.",
        ),
    )
    assert plan.state_paths == ("state.t.units", "state.t.calls", "state.t._rate_minute", "state._global._rate_hour")
    assert [c.seconds for c in plan.counters] == [86400, 3600, 60, 60, 3600]
    assert plan.listed and plan.deny is None and plan.approval is None


def test_a_plan_lists_moving_window_limits_and_is_kept_per_policy():
    loaded = policy(
        {
            "t": {"rate_limit": {"max": 2, "window": 60}},
            "*": {"limits": [{"counter": "all", "window": "minute", "max": 9}]},
        },
        all_tools={"limits": [{"counter": "first", "window": "hour", "max": 3}]},
    )
    plan = plan_for(loaded, "t")
    assert [limit.counter for limit in plan.limits] == ["first", "rate_limit.t", "all"]
    assert plan_for(loaded, "t") is plan
    assert plan_for(loaded, "u").listed is False


def test_a_deny_if_on_a_counter_reads_the_counters():
    """deny_if on `state.…` is decided on the counters given, not as if there were none (which holds)."""
    loaded = policy({"t": {
        "deny_if": [{"path": "state.t.n", "op": "gt", "value": 5}],
        "rules": [{"name": "counted", "conditions": [{"path": "args.count", "op": "gte", "value": 0}],
                   "state": {"counter": "n", "window": "day"}}],
    }})  # fmt: skip
    assert decide(loaded, "t", {"count": 1}, {"state.t.n": 1}).allowed
    refused = decide(loaded, "t", {"count": 1}, {"state.t.n": 9})
    assert (refused.allowed, refused.rule) == (False, "tools.t.deny_if[0]")
