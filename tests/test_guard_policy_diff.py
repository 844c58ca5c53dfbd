"""guard/policy_diff.py: what a new version of a policy changes (for the audit of a reload) and what it
leaves unsaid (refused). Pure, in process, table-driven; the reload itself is in tests/test_reload.py."""

from __future__ import annotations

import pytest

from guard.policy import parse_policy
from guard.policy_diff import Changes, changes


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
