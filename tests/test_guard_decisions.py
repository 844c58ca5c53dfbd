"""What `guard.decide` answers: rule order, wildcard and hide, default posture, counters, messages."""

from __future__ import annotations

import json

import pytest

import guard
from guard.policy import parse_text

INTERCEPT = """
version: "1"
default: {default}
hide: [{hide}]
tools:
  create_charge:
    rules:
      - name: max single charge
        conditions:
          - {{path: args.amount, op: lte, value: 50000}}
        on_deny: Single charge cannot exceed $500.00
      - name: daily spend cap
        conditions:
          - {{path: state.create_charge.daily_spend, op: lte, value: 100000}}
        on_deny: Daily spending cap reached
        state: {{counter: daily_spend, window: day, increment_from: args.amount}}
      - name: allowed currencies
        conditions:
          - {{path: args.currency, op: in, value: [usd, eur]}}
  delete_customer:
    rules:
      - name: check first
        conditions:
          - {{path: args.id, op: gt, value: 0}}
      - name: block destructive action
        action: deny
        on_deny: Customer deletion is not permitted via AI agents
  read_file:
    rules: []
  "*":
    rules:
      - name: no secrets anywhere
        conditions:
          - {{path: args.note, op: regex, value: "^[^#]*$"}}
        on_deny: no hashes in notes
      - name: global rate limit
        rate_limit: 60/minute
"""


def intercept(default: str = "allow", hide: str = "") -> guard.Policy:
    return parse_text(INTERCEPT.format(default=default, hide=hide), spelling="yaml")


CASES = [
    # (default, hide, tool, arguments, counters, allowed, rule, message)
    ("allow", "", "create_charge", {"amount": 100, "currency": "usd", "note": "ok"}, None, True,
     "tools.create_charge", ""),
    ("allow", "", "create_charge", {"amount": 100, "currency": "usd"}, None, False, "tools.*.rules[0]",
     "no hashes in notes"),  # "*"'s condition on a missing note fails, so its rule denies
    ("allow", "", "create_charge", {"amount": 60000, "currency": "usd"}, None, False,
     "tools.create_charge.rules[0]", "Single charge cannot exceed $500.00"),
    ("allow", "", "create_charge", {"amount": 100, "currency": "gbp"}, None, False,
     "tools.create_charge.rules[2]", 'Denied by rule "allowed currencies"'),
    ("allow", "", "create_charge", {"currency": "usd"}, None, False, "tools.create_charge.rules[0]",
     "Single charge cannot exceed $500.00"),  # a missing value fails its condition: fail closed
    ("allow", "", "create_charge", {"amount": "100", "currency": "usd"}, None, False,
     "tools.create_charge.rules[0]", "Single charge cannot exceed $500.00"),  # a type mismatch too
    # counters: conditions on state read them; without them they hold (the limiter enforces caps)
    ("allow", "", "create_charge", {"amount": 1, "currency": "usd"}, {"state.create_charge.daily_spend": 100001},
     False, "tools.create_charge.rules[1]", "Daily spending cap reached"),
    ("allow", "", "create_charge", {"amount": 1, "currency": "usd", "note": "ok"},
     {"state.create_charge.daily_spend": 100000}, True, "tools.create_charge", ""),
    ("allow", "", "create_charge", {"amount": 1, "currency": "usd", "note": "ok"}, {"state._global._rate_minute": 61},
     False, "tools.*.rules[1]", "Rate limit of 60 per minute reached. Try again later."),
    # deny rules come before any evaluate rule, even one written earlier
    ("allow", "", "delete_customer", {"id": -1}, None, False, "tools.delete_customer.rules[1]",
     "Customer deletion is not permitted via AI agents"),
    # wildcard rules come after the tool's own, and apply to unlisted tools under default allow
    ("allow", "", "create_charge", {"amount": 60000, "currency": "usd", "note": "#x"}, None, False,
     "tools.create_charge.rules[0]", "Single charge cannot exceed $500.00"),
    ("allow", "", "read_file", {"note": "#1"}, None, False, "tools.*.rules[0]", "no hashes in notes"),
    ("allow", "", "read_file", {"note": "fine"}, None, True, "tools.read_file", ""),
    ("allow", "", "unlisted", {"note": "#1"}, None, False, "tools.*.rules[0]", "no hashes in notes"),
    ("allow", "", "unlisted", {"note": "ok"}, None, True, "default", ""),
    # under default deny, "*" rescues no unlisted tool
    ("deny", "", "unlisted", {"note": "ok"}, None, False, "default",
     "'unlisted' is not allowed by this policy (default: deny); to allow it, add \"unlisted\" under \"tools\""),
    ("deny", "", "read_file", {"note": "ok"}, None, True, "tools.read_file", ""),
    # hide wins over everything, and says no more than for an unknown tool
    ("allow", "read_file", "read_file", {}, None, False, "hide", "unknown tool 'read_file'"),
    ("allow", '"*"', "create_charge", {"amount": 1, "currency": "usd"}, None, False, "hide",
     "unknown tool 'create_charge'"),
    ("deny", "unlisted", "unlisted", {}, None, False, "hide", "unknown tool 'unlisted'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("default", "hide", "tool", "arguments", "counters", "allowed", "rule", "message"),
    CASES,
    ids=[f"{c[0]}/{c[1] or '-'}/{c[2]}/{c[3]}/{c[4]}" for c in CASES],
)
def test_intercept_decisions(default, hide, tool, arguments, counters, allowed, rule, message):
    decision = guard.decide(intercept(default, hide), tool, arguments, counters)
    assert (decision.allowed, decision.rule, decision.message) == (allowed, rule, message)


HOSTED = {
    "version": "1",
    "default": "deny",
    "tools": {
        "odoo_write": {
            "on_deny": "credit limits are set by finance",
            "deny_if": [{"path": "args.values.credit_limit", "op": "exists", "value": True}],
        },
        "odoo_create": {"require": ["args.values.name", {"arg": "values.active", "op": "neq", "value": False}]},
        "odoo_unlink": {"action": "deny", "reason": "never delete"},
        "ee_link": {"action": "require_approval", "on_deny": "a human decides"},
        "odoo_read": {},
        "*": {"deny_if": [{"path": "args.model", "op": "in", "value": ["res.users"]}], "on_deny": "no users"},
    },
}

HOSTED_CASES = [
    ("odoo_write", {"values": {"credit_limit": 5}}, False, "tools.odoo_write.deny_if[0]",
     "credit limits are set by finance"),
    ("odoo_write", {"values": [{"name": "a"}, {"credit_limit": 5}]}, False, "tools.odoo_write.deny_if[0]",
     "credit limits are set by finance"),
    ("odoo_write", {"values": '[{"name": "a"}, {"credit_limit": 5}]'}, False, "tools.odoo_write.deny_if[0]",
     "credit limits are set by finance"),
    ("odoo_write", {"values": [{"name": "a"}]}, True, "tools.odoo_write", ""),
    ("odoo_create", {"values": {"name": "a", "active": True}}, True, "tools.odoo_create", ""),
    ("odoo_create", {"values": {"name": "a"}}, False, "tools.odoo_create.require[1]",
     "'odoo_create' is allowed only when values.active is not false"),  # absent: the condition cannot hold
    ("odoo_create", {"values": {"name": "a", "active": None}}, False, "tools.odoo_create.require[1]",
     "'odoo_create' is allowed only when values.active is not false"),
    ("odoo_create", {"values": [{"name": "a"}, {"active": True}]}, False, "tools.odoo_create.require[0]",
     "'odoo_create' is allowed only when values.name is given"),
    ("odoo_unlink", {}, False, "tools.odoo_unlink.action", "never delete"),
    ("ee_link", {"modules": ["x"]}, True, "tools.ee_link.action", "a human decides"),
    ("odoo_read", {"model": "res.users"}, False, "tools.*.deny_if[0]", "no users"),
    ("odoo_read", {"model": "res.partner"}, True, "tools.odoo_read", ""),
    ("odoo_search", {"model": "res.partner"}, False, "default", "'odoo_search' is not allowed by this policy "
     "(default: deny); to allow it, add \"odoo_search\" under \"tools\""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("tool", "arguments", "allowed", "rule", "message"), HOSTED_CASES, ids=[f"{c[0]}/{c[1]}" for c in HOSTED_CASES]
)
def test_hosted_json_decisions(tool, arguments, allowed, rule, message):
    decision = guard.decide(guard.load_policy(json.dumps(HOSTED)), tool, arguments)
    assert (decision.allowed, decision.rule, decision.message) == (allowed, rule, message)


def test_approval_is_a_verdict_of_its_own():
    decision = guard.decide(guard.load_policy(json.dumps(HOSTED)), "ee_link", {})
    assert decision.verdict is guard.Verdict.APPROVAL


def test_unknown_tool_and_tool_only_questions():
    policy = intercept()
    assert guard.decide(policy, "nope", {}, known=False).rule == "unknown"
    assert guard.decide(policy, "delete_customer", None).rule == "tools.delete_customer.rules[1]"
    assert guard.decide(policy, "create_charge", None).allowed  # arguments not looked at


@pytest.mark.parametrize(
    ("text", "unlisted_allowed"),
    [
        ("version: '1'\ntools: {}\n", True),
        ("version: '1'\ndefault: deny\ntools: {}\n", False),
        ('{"version": "1", "default": "allow"}', True),
        ('{"version": "1", "default": "deny"}', False),
    ],
)
def test_default_posture(text, unlisted_allowed):
    assert guard.decide(guard.load_policy(text), "anything", {}).allowed is unlisted_allowed
