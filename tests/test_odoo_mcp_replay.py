"""odoo_mcp/commands/replay.py: what a candidate policy would have decided on the calls the audit log recorded.

Moved from tests/test_teams_units.py. The candidate policies are built inside each test (a
`lambda` per row), not at import: mutmut imports the tests once, and a policy built then would
keep the plans the original code cached (docs/development.md, "Mutation testing").
"""

from __future__ import annotations

import json

import pytest

from guard.policy import parse_text
from odoo_mcp.commands.replay import ALLOWED, ASK, DENIED, LIMITED, replay


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
    (  # every approval outcome was an ask, whether or not the record kept the decision
        policy({}),
        [record("a", 1, outcome="approval_declined"), record("a", 2, outcome="approval_pending")],
        [(1, ASK, ALLOWED, None), (2, ASK, ALLOWED, None)],
    ),
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


def budget_per_minute():
    """An Intercept counter: at most 10 units a calendar minute, each call spending its `n`."""
    return parse_text(
        'version: "1"\ntools:\n  a:\n    rules:\n      - name: budget\n'
        "        conditions: [{path: state.a.units, op: lte, value: 10}]\n"
        "        state: {counter: units, window: minute, increment_from: args.n}\n",
        "p.yaml",
        spelling="yaml",
    )


def test_replay_counts_intercept_counters_on_the_simulated_clock():
    candidate = budget_per_minute()
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


def budget(cap: int = 10) -> object:
    """An Intercept counter: at most `cap` units of `args.n` a calendar minute."""
    return lambda: parse_text(
        'version: "1"\ntools:\n  a:\n    rules:\n      - name: budget\n'
        f"        conditions: [{{path: state.a.units, op: lte, value: {cap}}}]\n"
        "        state: {counter: units, window: minute, increment_from: args.n}\n",
        "p.yaml",
        spelling="yaml",
    )


AMOUNT_CASES = [
    # (amounts sent in one minute, what each becomes under a budget of 10 units)
    ([10], [None]),  # exactly the cap: allowed (unchanged)
    ([4, 4, 4], [None, None, LIMITED]),  # the units add up
    ([0, 10], [None, None]),  # nothing spent is fine
    ([0.5, 9.5], [None, LIMITED]),  # a part of a unit counts as a whole one
    ([-1], [DENIED]),  # unusable amounts: the guard refuses them
    ([True], [DENIED]),
    (["5"], [DENIED]),
    ([float("inf")], [DENIED]),
    ([...], [DENIED]),  # no amount at all
]


@pytest.mark.parametrize(("amounts", "expected"), AMOUNT_CASES)
def test_counter_amounts_are_spent_as_the_guard_spends_them(amounts, expected):
    records = [record("a", 60 + i, arguments={} if n is ... else {"n": n}) for i, n in enumerate(amounts)]
    report = replay(budget()(), records)
    after = {c.call.index: c.after for c in report.changes}
    assert [after.get(i + 1) for i in range(len(amounts))] == expected
    assert all(c.after_rule == "tools.a.rules[0]" for c in report.changes)  # the counter's rule


RECORDED_CASES = [
    # (one recorded call, what the recorded policy decided, by which rule) — the candidate allows everything
    (record("a", 1, outcome="rate_limited", rule="r",
            counters=[{"counter": "x", "remaining": 1}, {"counter": "c", "remaining": 0},
                      {"counter": "d", "remaining": 0}]), LIMITED, "c"),
    (record("a", 1, outcome="rate_limited", rule="r", counters=[{"counter": "x", "remaining": 2}]), LIMITED, "r"),
    (record("a", 1, outcome="approval_pending", rule="q", decision="allow"), ASK, "q"),
    (record("a", 1, outcome="ok", rule="q", decision="require_approval"), ASK, "q"),
    (record("a", 1, rule="r", shadow=[{"would": "would_ask", "rule": "s"}]), ASK, "s"),
    (record("a", 1, rule="r", shadow=[{"would": "would_frobnicate", "rule": "s"}]), DENIED, "s"),
]  # fmt: skip


@pytest.mark.parametrize(("recorded", "before", "rule"), RECORDED_CASES)
def test_what_the_recorded_policy_decided_is_read_from_the_record(recorded, before, rule):
    [change] = replay(policy({})(), [recorded]).changes
    assert (change.call.before, change.call.before_rule, change.after) == (before, rule, ALLOWED)


def test_records_with_iso_times_missing_fields_and_other_events_are_read():
    records = [
        {"event": "tool_intent", "tool": "a", "time": "2026-01-01T00:00:03Z"},
        {"event": "tool_call", "tool": "a", "time": "2026-01-01T00:00:02Z", "outcome": "ok"},
        {"event": "tool_call", "tool": "a", "time": "2026-01-01T00:00:01+00:00", "outcome": "ok",
         "grant": "g", "session": "s", "arguments": "***"},
        {"event": "tool_call", "tool": "a", "time": 1767225600.5, "outcome": "invalid"},
        {"event": "tool_call", "time": 1, "outcome": "ok"},  # no tool: not a call
    ]  # fmt: skip
    report = replay(policy({"a": {"action": "deny"}})(), records)
    calls = [c.call for c in report.changes]
    assert [c.index for c in calls] == [4, 3, 2]  # in time order
    assert [(c.grant, c.session, c.arguments) for c in calls] == [("", "", {}), ("g", "s", {}), ("", "", {})]
    assert (report.total, report.unchanged, report.skipped) == (3, 0, 0)


def test_calls_that_never_reached_a_decision_are_skipped_and_the_rest_counted():
    records = [record("a", 1, outcome="invalid"), record("a", 2, outcome="path_refused"), record("a", 3),
               record("a", 4), record("b", 5, outcome="denied", decision="deny", rule="default")]  # fmt: skip
    report = replay(policy({"b": {"action": "deny"}})(), records)
    assert (report.total, report.skipped, report.unchanged, len(report.changes)) == (5, 2, 3, 0)


def test_tools_the_server_does_not_have_and_normalised_arguments():
    """`known` says which tools exist; `normalise` gives the arguments the tool's validation would (defaults)."""
    seen: list[tuple[str, dict]] = []

    def normalise(tool: str, arguments: dict) -> dict:
        seen.append((tool, dict(arguments)))
        return {"n": 9, **arguments}

    candidate = policy({"a": {"deny_if": [{"path": "args.n", "op": "gt", "value": 5}]}})()
    records = [record("a", 1), record("a", 2, arguments={"n": 1}), record("gone", 3)]
    report = replay(candidate, records, known=lambda name: name != "gone", normalise=normalise)
    assert [(c.call.index, c.after, c.after_rule) for c in report.changes] == [
        (1, DENIED, "tools.a.deny_if[0]"), (3, DENIED, "unknown"),
    ]  # fmt: skip
    assert seen == [("a", {}), ("a", {"n": 1})]


def test_calls_that_waited_for_approval_spend_the_quota_they_were_charged():
    candidate = policy({"a": {"action": "require_approval",
                              "limits": [{"counter": "c", "window": 60, "max": 1, "scope": "grant"}]}})()  # fmt: skip
    asked = dict(outcome="ok", decision="require_approval")
    records = [record("a", 1, charged=True, **asked), record("a", 2, charged=True, **asked),
               record("a", 100, outcome="approval_pending", decision="require_approval", charged=False),
               record("a", 101, charged=True, **asked)]  # fmt: skip
    report = replay(candidate, records)
    assert [(c.call.index, c.after, c.after_rule) for c in report.changes] == [(2, LIMITED, "c")]


def test_report_examples_keep_text_as_written_and_cut_only_past_100_characters():
    candidate = policy({"a": {"action": "deny"}})()
    exactly = {"t": "x" * 92}  # {"t":"xx…x"} is exactly 100 characters: shown whole
    records = [record("a", 1, arguments={"name": "Zoë", "n": 1}), record("a", 2, arguments=exactly)]
    lines = replay(candidate, records).render().splitlines()
    assert lines[2].endswith(' args={"name":"Zoë","n":1}')
    assert lines[3].endswith(f' args={{"t":"{"x" * 92}"}}')


def test_a_change_from_a_refusal_that_named_no_rule_is_grouped_under_a_dash():
    report = replay(policy({})(), [record("a", 1, outcome="denied", decision="deny")])
    assert list(report.groups()) == [("denied → allowed", "a", "-")]


def test_replay_denies_a_call_whose_counted_argument_is_unusable_as_the_guard_does():
    candidate = budget_per_minute()
    records = [record("a", 60, arguments={"n": -1}), record("a", 61, arguments={}), record("a", 62, arguments={"n": 1})]
    report = replay(candidate, records)
    rule = "tools.a.rules[0]"
    assert [(c.call.index, c.after, c.after_rule) for c in report.changes] == [(1, DENIED, rule), (2, DENIED, rule)]
