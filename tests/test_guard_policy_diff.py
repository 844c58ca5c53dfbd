"""guard/policy_diff.py: what a new version of a policy changes (for the audit of a reload) and what it
leaves unsaid (refused). Pure, in process, table-driven; the reload itself is in tests/test_reload.py."""

from __future__ import annotations

import json

import pytest

from guard.policy import parse_policy, parse_text
from guard.policy_diff import Changes, changes, dropped


def policy(tools: dict, default: str = "deny"):
    return parse_policy({"version": "1", "default": default, "tools": tools})


CHANGES = [
    ("nothing changes", {"t1": {}}, {"t1": {}}, [], Changes()),
    ("a tool listed is newly allowed", {"t1": {}}, {"t1": {}, "t2": {}}, [], Changes(newly_allowed=["t2"])),
    ("a tool dropped is newly denied", {"t1": {}, "t2": {}}, {"t1": {}}, [], Changes(newly_denied=["t2"])),
    ("an allowed tool with other rules", {"t1": {}}, {"t1": {"action": "require_approval"}}, [],
     Changes(rules_changed=["t1"])),
    ("a denied tool's rules are not a change anyone can call", {"t1": {"action": "deny"}},
     {"t1": {"action": "deny", "reason": "no"}}, [], Changes()),
    ("the '*' rules", {"t1": {}}, {"t1": {}, "*": {"require": ["args.x"]}}, [], Changes(rules_changed=["*"])),
    ("a tool only the server knows", {}, {}, ["t9"], Changes()),
]


@pytest.mark.parametrize(("case", "old", "new", "known", "expected"), CHANGES, ids=[c[0] for c in CHANGES])
def test_what_a_swap_changes(case, old, new, known, expected):
    """(break: rules compared for a denied tool, a tool's rules compared with another's, or '*' missed)."""
    assert changes(policy(old), policy(new), known) == expected


def as_json(default: str = "allow", **fields):
    return parse_text(json.dumps({"version": "1", "default": default, **fields}))


CUT = "a file cut off while being written?"
EVERYTHING_DROPPED = [
    f"default: the policy in force says 'deny', the new file does not say it (so 'allow'): {CUT} Write default "
    "explicitly",
    "hide: the policy in force has it, the new file leaves it out",
    "all_tools: the policy in force has it, the new file leaves it out",
    f"tools.odoo_unlink: written with nothing under it, which would allow it unchecked where the policy in force "
    f"does not ({CUT} To mean it, write rules: [] explicitly)",
    f"tools.odoo_write: written with nothing under it, which would allow it unchecked where the policy in force "
    f"does not ({CUT} To mean it, write rules: [] explicitly)",
    "tools.odoo_create: gone, and default 'allow' would let it run unchecked where the policy in force has rules "
    "(to drop them, write the tool with rules: [] explicitly)",
]
YAML_CUT = "version: '1'\ntools:\n  odoo_unlink:\n  odoo_write:\n  odoo_read:\n"
GONE = "tools.t: gone, and default 'allow' would let it run unchecked where the policy in force has rules " \
       "(to drop them, write the tool with rules: [] explicitly)"
DROPPED = [
    ("a cut file drops all it can", lambda: as_json(
        "deny", hide=["odoo_x"], all_tools={"limits": [{"counter": "c", "window": "minute", "max": 5}]},
        tools={"odoo_unlink": {"action": "require_approval"}, "odoo_read": {}, "odoo_create": {"require": ["args.r"]}},
    ), lambda: parse_text(YAML_CUT), EVERYTHING_DROPPED),
    ("a tool the old policy let run unchecked, listed bare", lambda: as_json(tools={"odoo_read": {}}),
     lambda: parse_text("version: '1'\ndefault: allow\ntools:\n  odoo_read:\n"), []),
    ("hide written out empty", lambda: as_json(hide=["t"]), lambda: as_json(hide=[]), []),
    ("a hidden tool listed bare", lambda: as_json(hide=["odoo_write"]),
     lambda: parse_text("version: '1'\ndefault: allow\ntools:\n  odoo_write:\n"),
     ["hide: the policy in force has it, the new file leaves it out",
      f"tools.odoo_write: written with nothing under it, which would allow it unchecked where the policy in force "
      f"does not ({CUT} To mean it, write rules: [] explicitly)"]),
    ("default left unsaid in both", lambda: parse_text("version: '1'\ntools:\n  t:\n    rules: []\n"),
     lambda: parse_text("version: '1'\ntools:\n  t:\n    rules: []\n"), []),
    ("a listed tool with nothing to check, gone", lambda: as_json(tools={"t": {}}), lambda: as_json(), []),
    *[(f"a tool with only {kind}, gone", lambda rule=rule: as_json(tools={"t": rule}), lambda: as_json(), [GONE])
      for kind, rule in [
          ("an action", {"action": "require_approval"}),
          ("require", {"require": ["args.r"]}),
          ("deny_if", {"deny_if": [{"arg": "model", "op": "eq", "value": "x"}]}),
          ("limits", {"limits": [{"counter": "c", "window": "minute", "max": 5}]}),
          ("a rate limit", {"rate_limit": {"max": 2, "window": "hour"}}),
      ]],
    ("a tool with Intercept rules, gone", lambda: parse_text(
        "version: '1'\ndefault: allow\ntools:\n  t:\n    rules:\n      - name: twice\n        rate_limit: 2/day\n"),
     lambda: as_json(), [GONE]),
]


@pytest.mark.parametrize(("case", "old", "new", "problems"), DROPPED, ids=[d[0] for d in DROPPED])
def test_what_a_new_version_leaves_unsaid_is_named(case, old, new, problems):
    """(break: a kind of check not counted, a key said explicitly taken as dropped, or other words)."""
    assert dropped(old(), new()) == problems
