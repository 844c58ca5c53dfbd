"""One action, one rule: a generic call is also decided by the dedicated tools that do the same thing.

`odoo_execute(model="ir.module.module", method="button_immediate_install", ...)` installs a
module exactly as `odoo_module_install` does; a policy that denies the dedicated tool, or puts
conditions on it, must hold whichever door the agent uses. The tool family says which dedicated
tools a call is equivalent to (`ToolSpec.equivalents`, for `odoo_execute` in
`tools/odoo_kit/equivalents.py`); this module combines their decisions with the call's own. Pure:
policy and values in, a `Decision` out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from guard.conditions import argument_of
from guard.decisions import (
    Decision,
    StateCounter,
    Verdict,
    action_deny_reason,
    gate_arguments,
    gate_tool,
    plan_for,
)
from guard.policy import Limit, Policy
from guard.spec import Equivalent


def _own(tool: str, rule_path: str) -> bool:
    return rule_path.startswith(f"tools.{tool}.")


def _has_conditions(policy: Policy, tool: str) -> bool:
    """The tool's own conditions (`require`, `deny_if`, Intercept evaluate rules), not "*"'s."""
    return any(_own(tool, check.rule) for check in plan_for(policy, tool).checks)


def decide_equivalent(policy: Policy, tool: str, equivalent: Equivalent) -> Decision:
    """What the dedicated tool's own rule says about this call (its gate, then its conditions)."""
    decision = gate_tool(policy, equivalent.tool, known=True)
    if not decision.allowed:
        return decision
    if _has_conditions(policy, equivalent.tool) and not equivalent.complete:
        return Decision(
            Verdict.DENY,
            f"tools.{equivalent.tool}",
            f"the conditions on '{equivalent.tool}' cannot be checked on {tool}'s arguments; call "
            f"'{equivalent.tool}' itself",
        )
    unread = _reads_unknown(policy, equivalent)
    if unread is not None:
        return Decision(
            Verdict.DENY,
            unread,
            f"the conditions on '{equivalent.tool}' read its '{'/'.join(equivalent.unknown)}', which {tool} only "
            f"computes when it runs; call '{equivalent.tool}' itself",
        )
    return gate_arguments(policy, equivalent.tool, equivalent.arguments)


def _reads_unknown(policy: Policy, equivalent: Equivalent) -> str | None:
    """The rule of the first own condition of the dedicated tool that reads an argument the call cannot tell."""
    if not equivalent.unknown:
        return None
    for check in plan_for(policy, equivalent.tool).checks:
        if not _own(equivalent.tool, check.rule):
            continue
        for condition in check.conditions:
            first = argument_of(condition)
            if first is None or first in equivalent.unknown:
                return check.rule
    return None


def combine(policy: Policy, tool: str, own: Decision, equivalents: Sequence[Equivalent]) -> Decision:
    """The strictest of the call's own decision and every equivalent tool's: deny > approval > allow.

    A refusal names both tools: "`odoo_execute` here does what `odoo_module_install` does: …".
    """
    if not own.allowed:
        return own
    decision = own
    for equivalent in equivalents:
        other = decide_equivalent(policy, tool, equivalent)
        if not other.allowed:
            reason = other.reason or action_deny_reason(equivalent.tool)
            return Decision(Verdict.DENY, other.rule, f"{tool} here does what {equivalent.tool} does: {reason}")
        if other.verdict is Verdict.APPROVAL and decision.verdict is Verdict.ALLOW:
            decision = Decision(Verdict.APPROVAL, other.rule, other.reason)
    return decision


def once_per_tool(equivalents: Sequence[Equivalent]) -> list[Equivalent]:
    """The first equivalent of each tool: one call that does a tool's work on several values (a translation in
    three languages) is decided on each value but counted once."""
    first: dict[str, Equivalent] = {}
    for equivalent in equivalents:
        first.setdefault(equivalent.tool, equivalent)
    return list(first.values())


def equivalent_limits(policy: Policy, equivalents: Sequence[Equivalent]) -> list[Limit]:
    """The dedicated tools' own limits: a call through the generic door counts against them too."""
    limits: list[Limit] = []
    for equivalent in once_per_tool(equivalents):
        rule = policy.tools.get(equivalent.tool)
        if rule is not None:
            limits.extend(rule.own_limits(equivalent.tool))
    return limits


def equivalent_counters(
    policy: Policy, equivalents: Sequence[Equivalent]
) -> list[tuple[StateCounter, Mapping[str, Any]]]:
    """The dedicated tools' own Intercept counters, each with the arguments its `increment_from` reads."""
    spent: list[tuple[StateCounter, Mapping[str, Any]]] = []
    for equivalent in once_per_tool(equivalents):
        for counter in plan_for(policy, equivalent.tool).counters:
            if _own(equivalent.tool, counter.rule):
                spent.append((counter, equivalent.arguments))
    return spent
