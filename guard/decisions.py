"""The decision engine: one pure function from (policy, tool, arguments) to a `Decision`.

No clock, no I/O, no counters: limits are the limiter's job, so the engine can be
tested exhaustively on plain values. A decision names the rule that decided (as a
JSON path into the policy, or `default` / `hide` / `unknown`) and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from guard.conditions import describe, holds
from guard.policy import Policy
from guard.wording import default_deny_reason


class Verdict(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    APPROVAL = "require_approval"


@dataclass(frozen=True)
class Decision:
    """What the policy says about one call, and which rule said it."""

    verdict: Verdict
    rule: str
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.verdict is not Verdict.DENY


def unknown_tool_reason(tool: str) -> str:
    """The same words for an unknown and a hidden tool: hiding must not reveal that a tool exists."""
    return f"unknown tool '{tool}'"


def gate_tool(policy: Policy, tool: str, *, known: bool) -> Decision:
    """Phase 1, before arguments are looked at: does the policy let this tool be called at all?"""
    if not known:
        return Decision(Verdict.DENY, "unknown", unknown_tool_reason(tool))
    if policy.hides(tool):
        return Decision(Verdict.DENY, "hide", unknown_tool_reason(tool))
    rule = policy.tools.get(tool)
    if rule is None:
        if policy.default == "allow":
            return Decision(Verdict.ALLOW, "default")
        return Decision(Verdict.DENY, "default", default_deny_reason(tool))
    if rule.action == "deny":
        return Decision(Verdict.DENY, f"tools.{tool}.action", rule.reason or f"'{tool}' is denied by this policy")
    return Decision(Verdict.ALLOW, f"tools.{tool}")


def gate_arguments(policy: Policy, tool: str, arguments: dict[str, Any]) -> Decision:
    """Phase 2, on validated arguments: `require`, then `deny_if`, then the approval flag."""
    rule = policy.tools.get(tool)
    if rule is None:
        return Decision(Verdict.ALLOW, "default")
    for index, condition in enumerate(rule.require):
        if not holds(condition, arguments):
            reason = rule.reason or f"'{tool}' is allowed only when {describe(condition)}"
            return Decision(Verdict.DENY, f"tools.{tool}.require[{index}]", reason)
    for index, condition in enumerate(rule.deny_if):
        if holds(condition, arguments):
            reason = rule.reason or f"'{tool}' is refused when {describe(condition)}"
            return Decision(Verdict.DENY, f"tools.{tool}.deny_if[{index}]", reason)
    if rule.action == "require_approval":
        return Decision(Verdict.APPROVAL, f"tools.{tool}.action", rule.reason or "")
    return Decision(Verdict.ALLOW, f"tools.{tool}")


def decide(policy: Policy, tool: str, arguments: dict[str, Any] | None, *, known: bool = True) -> Decision:
    """Both phases at once (what `policy explain` and the status tool use)."""
    first = gate_tool(policy, tool, known=known)
    if not first.allowed or arguments is None:
        return first
    return gate_arguments(policy, tool, arguments)
