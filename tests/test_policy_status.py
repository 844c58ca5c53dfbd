"""`policy_status` as an agent reads it: what it may call, what is denied and why, in an answer
whose size follows what the policy says rather than the size of the catalogue.

In process: the whole catalogue assembled as `serve` does (`build_guard`), the tool called with
its context; the answer measured as the server sends it (the guard's JSON text).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from foundation import fastjson
from guard.policy import parse_policy
from guard.spec import Call, Caller
from odoo_mcp.config import Settings
from odoo_mcp.families import all_specs
from odoo_mcp.server import build_guard
from tools.status.policy_status import NOT_LISTED, PolicyStatusArgs, StatusContext, policy_status

CATALOGUE = sorted(spec.name for spec in all_specs())


@pytest.fixture
def status(tmp_path: Path):
    """`status(policy, tool=None)` → the answer an agent gets, and the text the server sends."""
    runtimes = []

    def ask(document: dict, tool: str | None = None, caller: Caller | None = None):
        settings = Settings(policy_path=tmp_path / "policy.json", audit_log=tmp_path / "audit.jsonl")
        guard, runtime = build_guard(settings, parse_policy(document))
        runtimes.append(runtime)
        answer = policy_status(PolicyStatusArgs(tool=tool), Call(caller=caller or Caller(),
                                                                   runtime=StatusContext(guard)))
        return answer, fastjson.dumps(answer)

    yield ask
    for runtime in runtimes:
        runtime.close()


def only(*allowed: str, **extra) -> dict:
    return {"version": "1", "default": "deny", **extra, "tools": {name: {} for name in allowed}}


def test_one_allowed_tool_answers_in_two_kilobytes(status):
    answer, text = status(only("policy_status"))
    assert len(text.encode()) <= 2048, len(text.encode())
    assert answer["allowed"] == [{"tool": "policy_status", "risk": "read"}]
    assert answer["not_listed"] == {"count": len(CATALOGUE) - 1, "by_family": answer["not_listed"]["by_family"],
                                    "reason": NOT_LISTED}
    assert sum(answer["not_listed"]["by_family"].values()) == len(CATALOGUE) - 1
    assert answer["not_listed"]["by_family"]["odoo"] >= 20


def test_the_answer_grows_with_what_is_allowed_not_with_the_catalogue(status):
    """No tool the policy merely leaves out is named: the size does not follow the catalogue."""
    _, small = status(only("policy_status"))
    _, larger = status(only("policy_status", "odoo_search_read", "odoo_read", "ee_modules"))
    for name in CATALOGUE:
        if name != "policy_status":
            assert f'"{name}"' not in small
    assert len(small) < len(larger) < len(small) + 3 * 120


def test_rule_denials_are_grouped_by_reason(status):
    document = {"version": "1", "default": "allow", "tools": {
        "odoo_unlink": {"action": "deny"},
        "odoo_write": {"action": "deny"},
        "ee_link": {"action": "deny", "on_deny": "ask the integrator"},
        "ee_unlink": {"action": "deny", "on_deny": "ask the integrator"},
        "odoo_create": {"action": "deny", "on_deny": "read-only server"},
    }}
    answer, _ = status(document)
    groups = {group["reason"]: group["tools"] for group in answer["denied"]}
    assert groups == {
        'denied by this policy ("action": "deny")': ["odoo_unlink", "odoo_write"],
        "ask the integrator": ["ee_link", "ee_unlink"],
        "read-only server": ["odoo_create"],
    }
    assert "not_listed" not in answer  # default allow: nothing is denied for being left out
    assert len(answer["allowed"]) == len(CATALOGUE) - 5


def test_one_tool_in_detail(status):
    limit = {"counter": "writes", "window": "minute", "max": 3, "scope": "grant"}
    document = {"version": "1", "default": "deny", "hide": ["ee_deploy"], "tools": {
        "policy_status": {},
        "odoo_write": {"action": "require_approval", "limits": [limit],
                       "deny_if": [{"path": "args.model", "op": "in", "value": ["res.users"]}]},
        "odoo_unlink": {"action": "deny", "on_deny": "never here"},
    }}
    write, _ = status(document, "odoo_write")
    assert write["allowed"] is True and write["needs_approval"] is True and write["family"] == "odoo"
    assert write["refused_when"] and "res.users" in write["refused_when"][0]
    assert [(c["counter"], c["remaining"], c["max"]) for c in write["counters"]] == [("writes", 3, 3)]
    unlink, _ = status(document, "odoo_unlink")
    assert unlink == {"tool": "odoo_unlink", "allowed": False, "risk": "destructive", "family": "odoo",
                      "rule": "tools.odoo_unlink.action", "reason": "never here"}
    create, _ = status(document, "odoo_create")
    assert create["allowed"] is False and create["rule"] == "default"
    assert 'add "odoo_create" under "tools"' in create["reason"]
    hidden, _ = status(document, "ee_deploy")
    unknown, _ = status(document, "no_such_tool")
    assert hidden == {"tool": "ee_deploy", "allowed": False, "reason": "unknown tool 'ee_deploy'"}
    assert unknown["reason"] == "unknown tool 'no_such_tool'"  # a hidden tool reads exactly like an unknown one


def test_counters_report_what_remains_for_this_caller(status):
    limit = {"counter": "status", "window": "hour", "max": 5, "scope": "grant"}
    answer, _ = status({"version": "1", "default": "deny", "tools": {"policy_status": {"limits": [limit]}}})
    assert answer["allowed"] == [{"tool": "policy_status", "risk": "read", "counters": ["status"]}]
    assert [(c["counter"], c["remaining"]) for c in answer["counters"]] == [("status", 5)]
