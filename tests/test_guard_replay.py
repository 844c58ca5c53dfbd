"""guard/replay.py: what a candidate policy would have decided on the calls the audit log recorded.

Moved from tests/test_teams_units.py. The candidate policies are built inside each test (a
`lambda` per row), not at import: mutmut imports the tests once, and a policy built then would
keep the plans the original code cached (docs/development.md, "Mutation testing").
"""

from __future__ import annotations

import json

import pytest

from guard.policy import parse_text
from guard.replay import ALLOWED, ASK, DENIED, LIMITED, replay


def record(tool, t, outcome="ok", grant="g", session="s", **fields):
    return {"event": "tool_call", "tool": tool, "time": t, "outcome": outcome, "grant": grant,
            "session": session, "arguments": fields.pop("arguments", {}), **fields}  # fmt: skip


def policy(tools, default="allow", **extra):
    """The candidate policy, made when the test runs (not at import)."""
    return lambda: parse_text(json.dumps({"version": "1", "default": default, "tools": tools, **extra}))


REPLAY_CASES = [
    # (candidate, records, expected changes as (record index, before, after, rule))
    (policy({}), [record("a", 1), record("a", 2)], []),
    (policy({"a": {"action": "deny"}}), [record("a", 1), record("b", 2)], [(1, ALLOWED, DENIED, "tools.a.action")]),
    (
        policy({"a": {"limits": [{"counter": "c", "window": 60, "max": 2, "scope": "grant"}]}}),
        [record("a", 1), record("a", 2), record("a", 3), record("a", 62), record("a", 63, grant="h")],
        [(3, ALLOWED, LIMITED, "c")],
    ),
    (  # a call that reached its tool is charged, whatever it answered: the third call does not fit
        policy({"a": {"limits": [{"counter": "c", "window": 60, "max": 2, "scope": "grant"}]}}),
        [record("a", 1), record("a", 2, outcome="failed"), record("a", 3)],
        [(3, ALLOWED, LIMITED, "c")],
    ),
    (  # ... as the outcome record says (`charged`): a refusal before any effect gave its quota back
        policy({"a": {"limits": [{"counter": "c", "window": 60, "max": 2, "scope": "grant"}]}}),
        [record("a", 1), record("a", 2, outcome="failed", charged=False), record("a", 3, outcome="cancelled")],
        [],
    ),
    (  # a cancelled call had reached its tool
        policy({"a": {"limits": [{"counter": "c", "window": 60, "max": 1, "scope": "grant"}]}}),
        [record("a", 1, outcome="cancelled", charged=True), record("a", 2)],
        [(2, ALLOWED, LIMITED, "c")],
    ),
    (  # recorded out of order: replayed in time order
        policy({"a": {"limits": [{"counter": "c", "window": 60, "max": 1, "scope": "session"}]}}),
        [record("a", 5), record("a", 1), record("a", 3, session="t")],
        [(1, ALLOWED, LIMITED, "c")],
    ),
    (
        policy({"a": {"deny_if": [{"path": "args.n", "op": "gt", "value": 5}]}}),
        [record("a", 1, arguments={"n": 9}), record("a", 2, arguments={"n": 1})],
        [(1, ALLOWED, DENIED, "tools.a.deny_if[0]")],
    ),
    (  # denied before, allowed now
        policy({}),
        [record("a", 1, outcome="denied", rule="default", decision="deny")],
        [(1, DENIED, ALLOWED, "default")],
    ),
    (  # shadow records count as what that policy would have done
        policy({}),
        [record("a", 1, shadow=[{"would": "would_limit", "rule": "c"}])],
        [(1, LIMITED, ALLOWED, "c")],
    ),
    (policy({"a": {"action": "require_approval"}}), [record("a", 1)], [(1, ALLOWED, ASK, "tools.a.action")]),
    (policy({}, hide=["a"]), [record("a", 1)], [(1, ALLOWED, DENIED, "hide")]),
    (policy({}), [record("a", 1, outcome="invalid"), {"event": "tool_intent", "tool": "a", "time": 1}], []),
]


@pytest.mark.parametrize(("candidate", "records", "expected"), REPLAY_CASES)
def test_replay_reports_exactly_the_changed_calls(candidate, records, expected):
    report = replay(candidate(), records)
    got = [
        (c.call.index, c.call.before, c.after, c.after_rule if c.after != ALLOWED else c.call.before_rule)
        for c in report.changes
    ]
    assert got == expected
    assert report.total == sum(1 for r in records if r["event"] == "tool_call")


def test_replay_counts_intercept_counters_on_the_simulated_clock():
    candidate = parse_text(
        'version: "1"\ntools:\n  a:\n    rules:\n      - name: budget\n'
        "        conditions: [{path: state.a.units, op: lte, value: 10}]\n"
        "        state: {counter: units, window: minute, increment_from: args.n}\n",
        "p.yaml",
        spelling="yaml",
    )
    records = [record("a", 60, arguments={"n": 6}), record("a", 61, arguments={"n": 6}),
               record("a", 120, arguments={"n": 6})]  # fmt: skip  (a new calendar minute)
    report = replay(candidate, records)
    assert [(c.call.index, c.after) for c in report.changes] == [(2, LIMITED)]




def test_the_report_groups_changes_and_shows_a_few_examples_of_each():
    """What `odoo-mcp policy replay` prints: one line per (transition, tool, rule), then examples."""
    from datetime import datetime

    candidate = policy({"a": {"action": "deny"}, "b": {"limits": [{"counter": "c", "window": 60, "max": 1}]}})()
    long_text = "x" * 150
    records = [record("a", 100 + n, grant=f"g{n}", arguments={"n": n}) for n in range(4)]
    records += [record("b", 200), record("b", 201, arguments={"text": long_text}), record("c", 202)]
    records += [record("d", 203, outcome="invalid")]
    report = replay(candidate, records)

    def stamp(t: float) -> str:
        return datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")

    assert report.render() == "\n".join([
        "8 recorded calls replayed: 5 would change, 2 unchanged, 1 skipped (no policy decision recorded)",
        "  allowed → denied  a  (rule tools.a.action): 4",
        f"      #1 {stamp(100)} grant=g0 session=s args={{\"n\":0}}",
        f"      #2 {stamp(101)} grant=g1 session=s args={{\"n\":1}}",
        f"      #3 {stamp(102)} grant=g2 session=s args={{\"n\":2}}",
        "  allowed → limited  b  (rule c): 1",
        f"      #6 {stamp(201)} grant=g session=s args={{\"text\":\"{'x' * 90}…",
    ])
    assert report.render(examples=1).count("      #") == 2


def test_a_change_to_allowed_is_grouped_by_the_rule_that_refused_before():
    records = [record("a", 1, outcome="denied", rule="tools.a.action", decision="deny"),
               record("a", 2, outcome="denied", rule="default", decision="deny")]  # fmt: skip
    report = replay(policy({})(), records)
    assert list(report.groups()) == [("denied → allowed", "a", "default"), ("denied → allowed", "a", "tools.a.action")]
