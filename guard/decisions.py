"""The decision engine: one pure function from (policy, tool, arguments, counters) to a `Decision`.

No clock and no I/O: counting is the limiter's job, so the engine can be tested exhaustively
on plain values. A decision names the rule that decided (a path into the policy, or
`default` / `hide` / `unknown`) and the message for the agent.

The order, for a tool that exists and is not hidden:

0. `default: deny` and the tool not listed under `tools` → denied ("*" rescues nothing).
1. Deny rules, before any condition is looked at: the tool's `action: deny`, its Intercept
   rules with `action: deny`, then the same under "*".
2. Conditions, the tool's own first, then "*"'s: `require` (must hold), `deny_if` (must
   not), Intercept `evaluate` rules (every condition must hold). The first failure decides.
3. `require_approval`, then the counters (reserved by the guard, not here).

Each tool's plan (which rules apply, in which order, which counters it spends) is worked out
once per policy and tool, so a decision only evaluates conditions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from guard.conditions import describe, holds
from guard.policy import WILDCARD, Condition, Limit, Policy, ToolRule, state_scope
from guard.wording import default_deny_reason

WINDOW_SECONDS_CALENDAR = {"minute": 60, "hour": 3600, "day": 86400}


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

    @property
    def message(self) -> str:
        """The text the agent sees (`on_deny`, or the guard's own words)."""
        return self.reason


@dataclass(frozen=True)
class StateCounter:
    """An Intercept counter as a call spends it: `increment` (or the argument at `increment_from`)
    per call, at most `cap` per calendar-aligned UTC `window` (no cap: counted, never refusing)."""

    path: str
    window: str
    cap: int | None
    increment: int
    increment_from: tuple[str, ...] | None
    scope: str
    rule: str
    message: str | None

    @property
    def seconds(self) -> int:
        return WINDOW_SECONDS_CALENDAR[self.window]


@dataclass(frozen=True)
class Check:
    """One test on the arguments: deny when the conditions fail (require, evaluate) or hold (deny_if)."""

    rule: str
    conditions: tuple[Condition | str, ...]
    denies_when_true: bool
    message: str

    def denies(self, arguments: Mapping[str, Any], counters: Mapping[str, float] | None) -> bool:
        if self.denies_when_true:
            return holds(self.conditions[0], arguments, counters, every=False)
        return not all(holds(condition, arguments, counters, every=True) for condition in self.conditions)


@dataclass(frozen=True)
class Plan:
    """Everything the policy applies to calls of one tool, in evaluation order."""

    listed: bool
    deny: Decision | None
    checks: tuple[Check, ...]
    approval: Decision | None
    limits: tuple[Limit, ...]
    counters: tuple[StateCounter, ...]
    state_paths: tuple[str, ...]
    """The counters the checks read (the guard fetches them before deciding)."""


def unknown_tool_reason(tool: str) -> str:
    """The same words for an unknown and a hidden tool: hiding must not reveal that a tool exists."""
    return f"unknown tool '{tool}'"


def action_deny_reason(tool: str) -> str:
    """The words of an `"action": "deny"` that gives no reason of its own (policy_status groups by them)."""
    return f"'{tool}' is denied by this policy"


def _denial(tool: str, prefix: str, rule: ToolRule) -> Decision | None:
    if rule.action == "deny":
        return Decision(Verdict.DENY, f"{prefix}.action", rule.message or action_deny_reason(tool))
    for index, item in enumerate(rule.rules):
        if item.action == "deny":
            return Decision(Verdict.DENY, f"{prefix}.rules[{index}]", item.on_deny or f'Denied by rule "{item.name}"')
    return None


def _cap(conditions: list[Condition], path: str) -> int | None:
    """Intercept's limit of a counter: its own rule's `lte N` (N) or `lt N` (N - 1) on its path."""
    for condition in conditions:
        if condition.label == path and condition.op in ("lt", "lte") and not isinstance(condition.value, str):
            value = int(condition.value)
            return value - 1 if condition.op == "lt" else value
    return None


def _checks_and_counters(tool: str, prefix: str, owner: str, rule: ToolRule) -> tuple[list[Check], list[StateCounter]]:
    checks: list[Check] = []
    counters: list[StateCounter] = []
    for index, condition in enumerate(rule.require):
        message = rule.message or f"'{tool}' is allowed only when {describe(condition)}"
        checks.append(Check(f"{prefix}.require[{index}]", (condition,), False, message))
    for index, condition in enumerate(rule.deny_if):
        message = rule.message or f"'{tool}' is refused when {describe(condition)}"
        checks.append(Check(f"{prefix}.deny_if[{index}]", (condition,), True, message))
    scope = state_scope(owner)
    for index, item in enumerate(rule.rules):
        if item.action != "evaluate":
            continue
        conditions, state, message = item.expanded(scope)
        where = f"{prefix}.rules[{index}]"
        checks.append(Check(where, tuple(conditions), False, message or f'Denied by rule "{item.name}"'))
        if state is not None:
            path = f"state.{scope}.{state.counter}"
            counters.append(
                StateCounter(
                    path=path,
                    window=state.window,
                    cap=_cap(conditions, path),
                    increment=state.increment or 1,
                    increment_from=tuple(state.increment_from.split(".")[1:]) if state.increment_from else None,
                    scope=state.scope,
                    rule=where,
                    message=message,
                )
            )
    return checks, counters


def build_plan(policy: Policy, tool: str) -> Plan:
    own = policy.tools.get(tool) if tool != WILDCARD else None
    wildcard = policy.tools.get(WILDCARD)
    layers = [(tool, f"tools.{tool}", own), (WILDCARD, f"tools.{WILDCARD}", wildcard)]
    deny = None
    checks: list[Check] = []
    counters: list[StateCounter] = []
    approval = None
    for owner, prefix, rule in layers:
        if rule is None:
            continue
        deny = deny or _denial(tool, prefix, rule)
        found, spent = _checks_and_counters(tool, prefix, owner, rule)
        checks += found
        counters += spent
        if approval is None and rule.action == "require_approval":
            approval = Decision(Verdict.APPROVAL, f"{prefix}.action", rule.message or "")
    state_paths = tuple(
        dict.fromkeys(
            condition.label
            for check in checks
            for condition in check.conditions
            if isinstance(condition, Condition) and condition.source == "state"
        )
    )
    return Plan(
        listed=own is not None,
        deny=deny,
        checks=tuple(checks),
        approval=approval,
        limits=tuple(policy.limits_for(tool)),
        counters=tuple(counters),
        state_paths=state_paths,
    )


def plan_for(policy: Policy, tool: str) -> Plan:
    """The tool's plan, worked out on first use and kept with the policy (which never changes)."""
    plans = policy.__pydantic_private__["_plans"]  # type: ignore[index]  (direct: this is on the hot path)
    plan = plans.get(tool)
    if plan is None:
        plan = plans[tool] = build_plan(policy, tool)
    return plan


def gate_tool(policy: Policy, tool: str, *, known: bool) -> Decision:
    """Phase 1, before arguments are looked at: does the policy let this tool be called at all?"""
    if not known:
        return Decision(Verdict.DENY, "unknown", unknown_tool_reason(tool))
    if policy.hides(tool):
        return Decision(Verdict.DENY, "hide", unknown_tool_reason(tool))
    listed = policy.listed(tool)
    if not listed and policy.default == "deny":
        return Decision(Verdict.DENY, "default", default_deny_reason(tool))
    plan = plan_for(policy, tool)
    if plan.deny is not None:
        return plan.deny
    return Decision(Verdict.ALLOW, f"tools.{tool}" if listed else "default")


def gate_arguments(
    policy: Policy, tool: str, arguments: Mapping[str, Any], counters: Mapping[str, float] | None = None
) -> Decision:
    """Phase 2, on validated arguments: the conditions in order, then the approval flag.

    `counters` maps `state.<scope>.<counter>` to its current value; without it, conditions on
    counters hold (the limiter enforces the caps when it reserves)."""
    plan = plan_for(policy, tool)
    for check in plan.checks:
        if check.denies(arguments, counters):
            return Decision(Verdict.DENY, check.rule, check.message)
    if plan.approval is not None:
        return plan.approval
    return Decision(Verdict.ALLOW, f"tools.{tool}" if plan.listed else "default")


def decide(
    policy: Policy,
    tool: str,
    arguments: Mapping[str, Any] | None,
    counters: Mapping[str, float] | None = None,
    *,
    known: bool = True,
) -> Decision:
    """Both phases at once: what `policy explain`, the status tool and library users ask.

    `arguments=None` asks only whether the tool may be called at all."""
    first = gate_tool(policy, tool, known=known)
    if not first.allowed or arguments is None:
        return first
    return gate_arguments(policy, tool, arguments, counters)
