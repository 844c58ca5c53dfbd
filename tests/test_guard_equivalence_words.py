"""guard/equivalence.py in words and counts: what a refusal or an approval through the generic door
says, and which dedicated tools' limits a call spends. Pure, in process; rows found by `make mutants`."""

from __future__ import annotations

from guard.decisions import Decision, Verdict
from guard.equivalence import combine, equivalent_counters, equivalent_limits, once_per_tool
from guard.policy import Limit, parse_policy, parse_text
from guard.spec import Equivalent

POLICY = parse_policy({
    "version": "1",
    "default": "allow",
    "tools": {
        "*": {"require": ["args.ticket"]},
        "odoo_unlink": {"action": "require_approval", "reason": "a human checks unlinks"},
        "odoo_write": {"require": ["args.reason"]},
        "odoo_x": {"rate_limit": {"max": 2, "window": "hour"}},
    },
})
ALLOWED = Decision(Verdict.ALLOW, "tools.odoo_execute", "")


def test_an_approval_through_the_generic_door_keeps_the_dedicated_tools_reason():
    """The human is asked with the dedicated tool's words (break: the approval built without them)."""
    decision = combine(POLICY, "odoo_execute", ALLOWED, [Equivalent("odoo_unlink", {"ticket": "T1"})])
    assert decision == Decision(Verdict.APPROVAL, "tools.odoo_unlink.action", "a human checks unlinks")


def test_refusals_name_the_generic_tool_and_what_it_cannot_tell():
    """(break: the generic tool's name or the unknown arguments lost from the words)."""
    incomplete = combine(POLICY, "odoo_execute", ALLOWED, [Equivalent("odoo_write", {}, complete=False)])
    assert incomplete.reason == ("odoo_execute here does what odoo_write does: the conditions on 'odoo_write' "
                                 "cannot be checked on odoo_execute's arguments; call 'odoo_write' itself")
    unknown = combine(POLICY, "odoo_execute", ALLOWED,
                      [Equivalent("odoo_write", {"ticket": "T1"}, unknown=("reason", "arch"))])
    assert (unknown.rule, unknown.reason) == (
        "tools.odoo_write.require[0]",
        "odoo_execute here does what odoo_write does: the conditions on 'odoo_write' read its 'reason/arch', "
        "which odoo_execute only computes when it runs; call 'odoo_write' itself",
    )


def test_an_own_condition_after_a_wildcard_one_still_reads_the_unknown():
    """The "*" rule's check comes first in the plan and is not the tool's own (break: the search
    stops at the first check that is not the tool's own)."""
    decision = combine(POLICY, "odoo_execute", ALLOWED, [Equivalent("odoo_write", {"ticket": "T1"},
                                                                    unknown=("reason",))])
    assert decision.verdict is Verdict.DENY and decision.rule == "tools.odoo_write.require[0]"


def test_each_dedicated_tool_is_counted_once_in_order():
    """(break: every equivalent counted as the first tool's)."""
    calls = [Equivalent("a", {}), Equivalent("b", {}), Equivalent("a", {"x": 1})]
    assert [(e.tool, e.arguments) for e in once_per_tool(calls)] == [("a", {}), ("b", {})]


def test_a_dedicated_tools_rate_limit_counts_under_its_own_name():
    """(break: the limit's counter built without the tool's name)."""
    assert equivalent_limits(POLICY, [Equivalent("odoo_x", {})]) == [
        Limit(counter="rate_limit.odoo_x", window="hour", max=2, scope="session")
    ]


def test_a_call_through_the_generic_door_spends_each_dedicated_tools_own_counters_once():
    """The dedicated tools' Intercept counters, each with that tool's arguments; the "*" rule's counter
    is the call's own, not the dedicated tool's (break: counters dropped, doubled or taken from "*")."""
    policy = parse_text(
        "version: '1'\ntools:\n"
        "  '*':\n    rules:\n      - name: everything\n        rate_limit: 100/day\n"
        "  odoo_pay:\n    rules:\n      - name: twice a day\n        rate_limit: 2/day\n"
        "  odoo_other:\n    rules:\n      - name: thrice\n        rate_limit: 3/day\n"
    )
    calls = [Equivalent("odoo_pay", {"amount": 3}), Equivalent("odoo_other", {}), Equivalent("odoo_pay", {"amount": 9})]
    assert [(counter.path, counter.cap, arguments) for counter, arguments in equivalent_counters(policy, calls)] == [
        ("state.odoo_pay._rate_day", 2, {"amount": 3}),
        ("state.odoo_other._rate_day", 3, {}),
    ]
