"""`policy_status`: lets the calling agent plan instead of colliding with the policy.

It reports, for the caller, which tools it may call (with their conditions and what remains of
their counters), which are denied and why, and which need a human's approval. Hidden tools are not
mentioned: hiding means the agent never learns of them.

The answer is read into the agent's context on every call, so its size follows what the policy
*says*, not the size of the catalogue: allowed tools one entry each, tools the policy denies by a
rule as names grouped under one sentence per reason, and tools denied only because the policy does
not list them (default deny) as a count per family with the one sentence that would allow any of
them. `{"tool": NAME}` answers everything about one tool, whatever the policy says of it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from guard.conditions import describe
from guard.decisions import Decision, Verdict, action_deny_reason, gate_tool, unknown_tool_reason
from guard.spec import Call, Risk, ToolArgs
from tools.odoo_kit import sensitive_rules
from tools.registry import tool

TOOL_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"

NOT_LISTED = ('not listed in this policy, whose default is deny: to allow one, add its name under "tools"; '
              'policy_status {"tool": NAME} tells about one tool')


@dataclass(frozen=True)
class StatusContext:
    """What `policy_status` reads: the running guard (its policy, its visible tools, its limiter),
    handed over explicitly at start-up."""

    guard: Any


def status_context(_runtime: Any, guard: Any) -> StatusContext:
    return StatusContext(guard=guard)


class PolicyStatusArgs(ToolArgs):
    """Optionally one tool's name, for everything about that tool."""

    tool: str | None = Field(default=None, pattern=TOOL_NAME, description=(
        "A tool's name: answer whether this agent may call it, why, its conditions and its counters. "
        "Without it, the summary of the whole policy."))


def counter_storage(uri: str) -> dict[str, str]:
    """Where the counters live, and whether they outlive this server process (never the URI's secrets)."""
    scheme = uri.split("://", 1)[0]
    if scheme == "memory":
        return {"storage": "memory", "lasts": "this server process only: counters start again when it restarts, "
                "and each stdio launch is a new process (set ODOO_MCP_LIMITS_STORAGE=redis://... to keep them)"}
    return {"storage": scheme, "lasts": "shared by every server process using this store, across restarts"}


def denial_sentence(tool_name: str, decision: Decision) -> str:
    """The reason a rule denies a tool, in words shared by every tool that rule denies.

    A policy's own `on_deny` text is kept as written; the built-in sentence for `"action": "deny"`
    names the tool, so it is said once without the name to let such tools share one group."""
    if decision.reason == action_deny_reason(tool_name):
        return 'denied by this policy ("action": "deny")'
    return decision.reason or decision.rule


def _conditions(policy: Any, name: str) -> dict[str, Any]:
    """What the policy's own entry for `name` adds to an allowed tool: approval, conditions."""
    rule = policy.tools.get(name)
    entry: dict[str, Any] = {}
    if rule is None:
        return entry
    if rule.action == Verdict.APPROVAL.value:
        entry["needs_approval"] = True
    if rule.require:
        entry["requires"] = [describe(c) for c in rule.require]
    if rule.deny_if:
        entry["refused_when"] = [describe(c) for c in rule.deny_if]
    return entry


def _counter_states(guard: Any, limits: list[Any], call: Call) -> Any:
    try:
        return guard.limiter.states(limits, call.caller)
    except Exception as exc:  # the store is down (Redis, ...): the status still answers, and says so
        return f"unavailable: the rate-limit store could not be read ({type(exc).__name__})"


def one_tool(guard: Any, name: str, call: Call) -> dict[str, Any]:
    """Everything about one tool; a hidden tool is answered exactly like an unknown one."""
    policy = guard.policy
    guarded = guard.tools.get(name) if guard.exposes(name) else None
    if guarded is None:
        return {"tool": name, "allowed": False, "reason": unknown_tool_reason(name)}
    decision = gate_tool(policy, name, known=True)
    entry: dict[str, Any] = {"tool": name, "allowed": decision.allowed, "risk": guarded.spec.risk.value,
                             "family": guarded.spec.family, "rule": decision.rule}
    if not decision.allowed:
        return {**entry, "reason": decision.reason}
    entry.update(_conditions(policy, name))
    limits = policy.limits_for(name)
    if limits:
        entry["counters"] = _counter_states(guard, limits, call)
    return entry


def summary(guard: Any, call: Call) -> dict[str, Any]:
    """The whole policy as this caller meets it, sized by what the policy says."""
    policy = guard.policy
    allowed: list[dict[str, Any]] = []
    denied: dict[str, list[str]] = {}
    not_listed: Counter[str] = Counter()
    for guarded in guard.visible():
        name = guarded.name
        decision = gate_tool(policy, name, known=True)
        if decision.rule == "default" and not decision.allowed:
            not_listed[guarded.spec.family] += 1
        elif not decision.allowed:
            denied.setdefault(denial_sentence(name, decision), []).append(name)
        else:
            entry: dict[str, Any] = {"tool": name, "risk": guarded.spec.risk.value, **_conditions(policy, name)}
            counters = sorted({limit.counter for limit in policy.limits_for(name)})
            if counters:
                entry["counters"] = counters
            allowed.append(entry)
    answer: dict[str, Any] = {
        "counter_storage": counter_storage(guard.limiter.storage_uri),
        "grant": call.caller.grant,
        "session": call.caller.session,
        "default": policy.default,
        "mode": policy.mode,
        **({"shadow": "this policy is in shadow mode: nothing is refused; what it would refuse is audited "
            "(would_deny / would_limit / would_ask)"} if policy.shadow else {}),
        "allowed": allowed,
        "denied": [{"reason": reason, "tools": names} for reason, names in denied.items()],
    }
    if not_listed:
        answer["not_listed"] = {"count": sum(not_listed.values()), "by_family": dict(sorted(not_listed.items())),
                                "reason": NOT_LISTED}
    answer["counters"] = _counter_states(guard, list(policy.counters().values()), call)
    answer["sensitive_data"] = sensitive_rules.summary(policy.sensitive)
    return answer


@tool("policy_status", family="meta", risk=Risk.READ, args=PolicyStatusArgs, idempotent=True)
def policy_status(args: PolicyStatusArgs, call: Call) -> dict[str, Any]:
    """What this agent may do under the server's policy: allowed tools (with their conditions and
    counters), tools denied by a rule grouped by reason, how many more the policy does not list,
    and what remains of every rate-limit counter for this caller. Call it first to plan within the
    limits; pass {"tool": NAME} for everything about one tool."""
    context: StatusContext = call.runtime
    if args.tool is not None:
        return one_tool(context.guard, args.tool, call)
    return summary(context.guard, call)
