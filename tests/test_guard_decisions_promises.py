"""What docs/policy.md promises about `"*"` and about the order of deny conditions and approval.

In process (`Guard(policy)` and a tool whose handler counts its runs): a `"*"` rule asking
for approval asks a human for every tool; a call a deny condition refuses never reaches the
human (deny conditions come before approval); the first example of docs/policy.md, read from
the page itself in both spellings, caps every call of a session at 60 a minute through `"*"`.
Each test names the one-line break of the code it catches.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from guard.approvals.gate import Channel
from guard.guard import Guard
from guard.policy import parse_text
from guard.spec import Caller, Risk, ToolSpec
from tests.echo_server import EchoArgs

pytestmark = pytest.mark.anyio

DOCS = Path(__file__).resolve().parent.parent / "docs" / "policy.md"


class Counted:
    """A tool handler that only counts how often it ran (what "the call ran" means to a user)."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, args: EchoArgs, call) -> dict:
        self.runs += 1
        return {"ran": self.runs}


def guarded(policy: dict | str, name: str = "guard_echo") -> tuple[Guard, Counted]:
    handler = Counted()
    guard = Guard(parse_text(policy if isinstance(policy, str) else json.dumps(policy)))
    guard.wrap(ToolSpec(name=name, family="test", risk=Risk.WRITE, args=EchoArgs, handler=handler, description="t"))
    return guard, handler


class Human:
    """An approver reached through the call (elicitation): records each question, answers `yes`."""

    def __init__(self, yes: bool) -> None:
        self.yes = yes
        self.questions: list[str] = []

    async def ask(self, question: str) -> bool:
        self.questions.append(question)
        return self.yes

    def channel(self) -> Channel:
        return Channel(ask=self.ask)


# A "*" entry whose action is require_approval: every tool's call asks (break: build_plan ignores
# the "*" layer's action, or gate_arguments never returns plan.approval).
WILDCARD_APPROVAL = [
    (
        "default allow, tool unlisted",
        {"version": "1", "default": "allow", "tools": {"*": {"action": "require_approval"}}},
    ),
    (
        "tool listed with no rule of its own",
        {"version": "1", "default": "deny", "tools": {"guard_echo": {}, "*": {"action": "require_approval"}}},
    ),
    ("with an on_deny message", {"version": "1", "default": "allow",
                                       "tools": {"*": {"action": "require_approval", "on_deny": "ask first"}}}),
]


@pytest.mark.parametrize(("case", "policy"), WILDCARD_APPROVAL, ids=[c[0] for c in WILDCARD_APPROVAL])
async def test_a_wildcard_require_approval_asks_a_human_before_any_tool_runs(case, policy):
    guard, handler = guarded(policy)
    tool = guard.tools["guard_echo"]
    no = Human(yes=False)
    declined = await tool({"text": "hello"}, Caller(), no.channel())
    assert declined.is_error and declined.text.startswith("[APPROVAL DECLINED]"), declined.text
    assert len(no.questions) == 1 and "guard_echo" in no.questions[0]
    assert handler.runs == 0
    yes = Human(yes=True)
    approved = await tool({"text": "hello"}, Caller(), yes.channel())
    assert not approved.is_error, approved.text
    assert len(yes.questions) == 1 and handler.runs == 1


# Deny conditions are decided before approval: no human is asked about a call the policy refuses
# anyway (break: gate_arguments returns plan.approval before looking at the checks).
DENY_BEFORE_APPROVAL = [
    ("own deny_if, own approval", {"guard_echo": {
        "action": "require_approval", "deny_if": [{"path": "args.count", "op": "gt", "value": 5}]}}),
    ("own require, own approval", {"guard_echo": {
        "action": "require_approval", "require": [{"path": "args.count", "op": "lte", "value": 5}]}}),
    ("own evaluate rule, own approval", {"guard_echo": {"action": "require_approval", "rules": [
        {"name": "small", "conditions": [{"path": "args.count", "op": "lte", "value": 5}]}]}}),
    ("'*' deny_if, own approval", {"guard_echo": {"action": "require_approval"},
                                   "*": {"deny_if": [{"path": "args.count", "op": "gt", "value": 5}]}}),
    ("own deny_if, '*' approval", {"guard_echo": {"deny_if": [{"path": "args.count", "op": "gt", "value": 5}]},
                                   "*": {"action": "require_approval"}}),
]


@pytest.mark.parametrize(("case", "tools"), DENY_BEFORE_APPROVAL, ids=[c[0] for c in DENY_BEFORE_APPROVAL])
async def test_a_call_a_deny_condition_refuses_never_reaches_the_human(case, tools):
    guard, handler = guarded({"version": "1", "default": "deny", "tools": tools})
    tool = guard.tools["guard_echo"]
    human = Human(yes=True)
    refused = await tool({"count": 9}, Caller(), human.channel())
    assert refused.text.startswith("[POLICY DENIED]"), refused.text
    assert human.questions == [] and handler.runs == 0
    allowed = await tool({"count": 1}, Caller(), human.channel())  # the same rules let a small call be asked
    assert not allowed.is_error, allowed.text
    assert len(human.questions) == 1 and handler.runs == 1


def docs_example(spelling: str) -> str:
    """The policy of "The same policy in both spellings" in docs/policy.md, as the page shows it."""
    section = DOCS.read_text(encoding="utf-8").split("## The same policy in both spellings", 1)[1]
    return re.search(rf"```{spelling}\n(.*?)```", section, re.S).group(1)


@pytest.mark.parametrize("spelling", ["json", "yaml"])
async def test_the_wildcard_rate_limit_of_the_first_docs_example_caps_every_call(spelling):
    """`"*"`: 60 calls a minute (JSON: a moving window per session; YAML: `rate_limit: 60/minute`,
    a UTC minute). Break: `limits_for` drops the "*" limits, or build_plan drops the "*" layer."""
    text = docs_example(spelling)
    assert '"*"' in text and "60" in text  # the example this test is about is still the page's
    for _attempt in range(3):  # a YAML minute counter resets at :00 UTC: a loop across it is run again
        minute = int(time.time() // 60)
        guard, handler = guarded(text, name="odoo_search_read")
        tool = guard.tools["odoo_search_read"]
        caller = Caller(grant="alice", session="s1")
        answers = [await tool({}, caller) for _ in range(61)]
        if int(time.time() // 60) == minute:
            break
    assert [a.is_error for a in answers[:60]] == [False] * 60
    assert answers[60].text.startswith("[RATE LIMITED]"), answers[60].text
    assert ("all_calls" if spelling == "json" else "state._global._rate_minute") in answers[60].text
    assert handler.runs == 60
    if spelling == "json":  # per session: another session of the same grant has its own 60
        assert not (await tool({}, Caller(grant="alice", session="s2"))).is_error
