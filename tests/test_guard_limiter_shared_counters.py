"""A counter is one thing: named twice for one call it is hit once; defined two ways it does not load.

In process: `Guard(policy)` with a tool whose handler counts its runs, and `parse_text` for the
load-time refusal. docs/policy.md: "every tool naming the same counter shares it (all
definitions must agree)".
"""

from __future__ import annotations

import json

import pytest

from guard.guard import Guard
from guard.limiter import Limiter
from guard.policy import Limit, PolicyError, parse_text
from guard.spec import Caller, Risk, ToolSpec
from tests.echo_server import EchoArgs

pytestmark = pytest.mark.anyio

SHARED = {"counter": "writes", "window": "hour", "max": 3, "scope": "grant"}

# Every place a call can meet the same counter a second time (break: Limiter.reserve hits each
# limit of the list, without `_unique`; the all-tools case also breaks `Limiter.check`).
NAMED_TWICE = [
    ("twice in the tool's own limits", {"guard_echo": {"limits": [SHARED, SHARED]}}, {}),
    ("the tool and '*'", {"guard_echo": {"limits": [SHARED]}, "*": {"limits": [SHARED]}}, {}),
    ("the tool and all_tools", {"guard_echo": {"limits": [SHARED]}}, {"all_tools": {"limits": [SHARED]}}),
    ("three times", {"guard_echo": {"limits": [SHARED, SHARED]}, "*": {"limits": [SHARED]}}, {}),
]


@pytest.mark.parametrize(("case", "tools", "extra"), NAMED_TWICE, ids=[c[0] for c in NAMED_TWICE])
async def test_a_counter_named_twice_for_one_call_is_hit_once(case, tools, extra):
    runs: list[int] = []
    spec = ToolSpec(name="guard_echo", family="test", risk=Risk.WRITE, args=EchoArgs,
                    handler=lambda args, call: runs.append(1) or "ok", description="t")
    guard = Guard(parse_text(json.dumps({"version": "1", "default": "deny", "tools": tools, **extra})))
    guard.wrap(spec)
    tool = guard.tools["guard_echo"]
    answers = [await tool({}, Caller(grant="alice")) for _ in range(4)]
    assert [a.is_error for a in answers] == [False, False, False, True], [a.text for a in answers]
    assert answers[3].text.startswith("[RATE LIMITED] writes: 3 per hour (grant)")
    assert len(runs) == 3


def test_the_audit_lists_a_counter_named_twice_once():
    """`states` (what the audit record shows) has one entry per counter, as `reserve` hits it once
    (break: `states` without `_unique`)."""
    limiter = Limiter()
    limit = Limit(**SHARED)
    caller = Caller(grant="alice")
    assert limiter.reserve([limit, limit], caller).taken  # one hit of three
    assert [state["remaining"] for state in limiter.states([limit, limit], caller)] == [2]
    limiter.reserve([limit], caller)
    limiter.reserve([limit], caller)
    assert limiter.check([limit, limit], caller) is not None
    assert limiter.check([Limit(counter="other", window="hour", max=1)], caller) is None


# A shared moving-window counter defined two different ways stops the load, naming both places
# (break: `_check_counters` compares only window and max, or nothing).
TWO_DEFINITIONS = [
    ("scope", {"scope": "session"}, "scope"),
    ("scope left to its default", {"scope": "global"}, "scope"),
    ("window", {"window": "minute"}, "window"),
    ("max", {"max": 4}, "max"),
]


@pytest.mark.parametrize(("case", "change", "key"), TWO_DEFINITIONS, ids=[c[0] for c in TWO_DEFINITIONS])
@pytest.mark.parametrize("where", ["two tools", "all_tools and a tool", "one tool twice"])
def test_a_shared_counter_defined_two_ways_is_refused_at_load(case, change, key, where):
    other = {**SHARED, **change}
    if where == "two tools":
        document = {"tools": {"a": {"limits": [SHARED]}, "b": {"limits": [other]}}}
        second = "tools.b.limits[0]"
    elif where == "all_tools and a tool":
        document = {"all_tools": {"limits": [SHARED]}, "tools": {"b": {"limits": [other]}}}
        second = "tools.b.limits[0]"
    else:
        document = {"tools": {"a": {"limits": [SHARED, other]}}}
        second = "tools.a.limits[1]"
    with pytest.raises(PolicyError) as refused:
        parse_text(json.dumps({"version": "1", "default": "deny", **document}))
    problems = refused.value.problems
    assert any(p.startswith(f"{second}.{key}: counter 'writes' is defined with {key}") for p in problems), problems
    assert len(refused.value.problems) == 1


def test_a_shared_counter_defined_the_same_way_twice_loads():
    policy = parse_text(json.dumps({"version": "1", "default": "deny",
                                    "tools": {"a": {"limits": [SHARED]}, "b": {"limits": [dict(SHARED)]}}}))
    assert policy.counters() == {"writes": Limit(**SHARED)}
