"""Every load-time refusal of guard/policy.py, word for word: the line `policy check` and a refused start print.

docs/policy.md ("What is refused when the policy loads") lists what stops a policy; the author reads
one line per problem, with the path into the document. Each row is one document and the exact lines.
"""

from __future__ import annotations

import pytest

from guard.policy import PolicyError, parse_policy


def t(**entry):
    """A document whose only tool `t` has `entry`."""
    return {"version": "1", "default": "deny", "tools": {"t": entry}}


REFUSED = [
    (
        "arg and path",
        t(require=[{"arg": "a", "path": "args.a", "op": "exists"}]),
        ["tools.t.require[0]: give the value's 'path' (args.x.y or state.<tool>.<counter>), or 'arg', not both"],
    ),
    (
        "neither arg nor path",
        t(require=[{"op": "exists"}]),
        ["tools.t.require[0]: give the value's 'path' (args.x.y or state.<tool>.<counter>), or 'arg', not both"],
    ),
    (
        "arg not dotted",
        t(require=[{"arg": "a..b", "op": "exists"}]),
        ["tools.t.require[0]: arg 'a..b' is not a dotted argument name"],
    ),
    (
        "exists with text",
        t(require=[{"path": "args.a", "op": "exists", "value": "yes"}]),
        ["tools.t.require[0]: op 'exists' takes true or false"],
    ),
    (
        "lt with a list",
        t(require=[{"path": "args.a", "op": "lt", "value": [1]}]),
        ["tools.t.require[0]: op 'lt' needs a numeric value (or, in require/deny_if, a string) to compare with"],
    ),
    (
        "lt with true",
        t(require=[{"path": "args.a", "op": "lt", "value": True}]),
        ["tools.t.require[0]: op 'lt' needs a numeric value (or, in require/deny_if, a string) to compare with"],
    ),
    (
        "len_gt negative",
        t(require=[{"path": "args.a", "op": "len_gt", "value": -1}]),
        ["tools.t.require[0]: op 'len_gt' needs a non-negative integer"],
    ),
    (
        "len_lte text",
        t(require=[{"path": "args.a", "op": "len_lte", "value": "3"}]),
        ["tools.t.require[0]: op 'len_lte' needs a non-negative integer"],
    ),
    (
        "len_gt true",
        t(require=[{"path": "args.a", "op": "len_gt", "value": True}]),
        ["tools.t.require[0]: op 'len_gt' needs a non-negative integer"],
    ),
    (
        "in without list",
        t(require=[{"path": "args.a", "op": "in", "value": "a"}]),
        ["tools.t.require[0]: op 'in' needs a list of values"],
    ),
    (
        "not_in without list",
        t(require=[{"path": "args.a", "op": "not_in", "value": 1}]),
        ["tools.t.require[0]: op 'not_in' needs a list of values"],
    ),
    (
        "regex number",
        t(require=[{"path": "args.a", "op": "regex", "value": 1}]),
        ["tools.t.require[0]: op 'regex' needs a regular expression string"],
    ),
    (
        "matches bad",
        t(require=[{"path": "args.a", "op": "matches", "value": "("}]),
        ["tools.t.require[0]: bad regular expression '(': missing ): ("],
    ),
    (
        "contains nothing",
        t(require=[{"path": "args.a", "op": "contains"}]),
        ["tools.t.require[0]: op 'contains' needs a value"],
    ),
    ("eq nothing", t(require=[{"path": "args.a", "op": "eq"}]), ["tools.t.require[0]: op 'eq' needs a value"]),
    ("neq nothing", t(require=[{"path": "args.a", "op": "neq"}]), ["tools.t.require[0]: op 'neq' needs a value"]),
    ("ne nothing", t(require=[{"path": "args.a", "op": "ne"}]), ["tools.t.require[0]: op 'ne' needs a value"]),
    (
        "bad path",
        t(require=[{"path": "arg.a", "op": "exists"}]),
        ["tools.t.require[0]: path must be args.<name>[.<key>…] or state.<tool>.<counter>, got 'arg.a'"],
    ),
    (
        "state path too deep",
        t(require=[{"path": "state.a.b.c", "op": "exists"}]),
        # a counter's name may hold a dot (as in Intercept): 'b.c' of tool a, which no rule counts
        ["tools.t.require[0].path: state.a.b.c is not counted by any rule (a state block with counter 'b.c' under "
         "tools.a)"],
    ),
    ("on_deny and reason", t(on_deny="a", reason="b"), ["tools.t: give on_deny or its alias reason, not both"]),
    (
        "increment both",
        t(
            rules=[
                {
                    "name": "r",
                    "conditions": [{"path": "args.a", "op": "exists"}],
                    "state": {"counter": "c", "window": "day", "increment": 1, "increment_from": "args.a"},
                }
            ]
        ),
        ["tools.t.rules[0].state: give increment or increment_from, not both"],
    ),
    (
        "rate_limit bad",
        t(rules=[{"name": "r", "rate_limit": "5/week"}]),
        ["tools.t.rules[0]: rate_limit must be N/minute, N/hour or N/day with N a positive integer, got '5/week'"],
    ),
    (
        "rate_limit zero",
        t(rules=[{"name": "r", "rate_limit": "0/hour"}]),
        ["tools.t.rules[0]: rate_limit must be N/minute, N/hour or N/day with N a positive integer, got '0/hour'"],
    ),
    (
        "rate_limit with conditions",
        t(rules=[{"name": "r", "rate_limit": "5/hour", "conditions": [{"path": "args.a", "op": "exists"}]}]),
        ["tools.t.rules[0]: rate_limit cannot be combined with conditions or state; use separate rules"],
    ),
    (
        "rate_limit with state",
        t(rules=[{"name": "r", "rate_limit": "5/hour", "state": {"counter": "c", "window": "day"}}]),
        ["tools.t.rules[0]: rate_limit cannot be combined with conditions or state; use separate rules"],
    ),
    (
        "rate_limit deny",
        t(rules=[{"name": "r", "rate_limit": "5/hour", "action": "deny"}]),
        ["tools.t.rules[0]: rate_limit cannot be used with action 'deny'"],
    ),
    (
        "deny with conditions",
        t(rules=[{"name": "r", "action": "deny", "conditions": [{"path": "args.a", "op": "exists"}]}]),
        ["tools.t.rules[0]: deny rules must not have conditions"],
    ),
    (
        "evaluate without",
        t(rules=[{"name": "r"}]),
        ["tools.t.rules[0]: evaluate rules must have at least one condition"],
    ),
    (
        "tools not object",
        {"version": "1", "default": "deny", "tools": []},
        ["tools: must be an object mapping tool names to rules"],
    ),
    (
        "duplicate state",
        t(rules=[{"name": "r", "rate_limit": "5/hour"}, {"name": "s", "rate_limit": "6/hour"}]),
        ["tools.t.rules[1]: duplicate state counter '_rate_hour' (also used by rules[0])"],
    ),
    (
        "state not counted",
        t(require=[{"path": "state.t.c", "op": "lt", "value": 1}]),
        [
            "tools.t.require[0].path: state.t.c is not counted by any rule "
            "(a state block with counter 'c' under tools.t)"
        ],
    ),
    (
        "global state not counted",
        t(deny_if=[{"path": "state._global.c", "op": "gt", "value": 1}]),
        [
            "tools.t.deny_if[0].path: state._global.c is not counted by any rule "
            "(a state block with counter 'c' under tools.*)"
        ],
    ),
    ("dup hide", {"version": "1", "default": "deny", "hide": ["a", "b", "a"]}, ["hide[2]: duplicate entry 'a'"]),
    ("unknown key", t(bogus=1), ["tools.t.bogus: unknown key"]),
    ("missing default", {"version": "1"}, ["default: required key is missing"]),
    ("not object", [1], ["(document): must be a JSON object"]),
    (
        "limit window",
        t(limits=[{"counter": "c", "window": "week", "max": 1}]),
        ["tools.t.limits[0].window: Input should be 'second', 'minute', 'hour' or 'day'"],
    ),
]


@pytest.mark.parametrize(("case", "document", "problems"), REFUSED, ids=[row[0] for row in REFUSED])
def test_a_broken_policy_is_refused_with_these_exact_lines(case, document, problems):
    with pytest.raises(PolicyError) as refused:
        parse_policy(document, "policy.json")
    assert refused.value.problems == problems
    assert str(refused.value) == "invalid policy policy.json:\n" + "\n".join(f"  - {p}" for p in problems)
