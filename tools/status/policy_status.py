"""`policy_status`: lets the calling agent plan instead of colliding with the policy.

It reports, for the caller, which tools it may call (and under which conditions),
which are denied and why, which need a human's approval, and how much of each of its
counters remains. Hidden tools are not mentioned: hiding means the agent never learns of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guard.conditions import describe
from guard.decisions import Verdict, gate_tool
from guard.spec import Call, Risk, ToolArgs
from tools.registry import tool


@dataclass(frozen=True)
class StatusContext:
    """What `policy_status` reads: the running guard (its policy, its visible tools, its limiter),
    handed over explicitly at start-up."""

    guard: Any


def status_context(_runtime: Any, guard: Any) -> StatusContext:
    return StatusContext(guard=guard)


class PolicyStatusArgs(ToolArgs):
    """No arguments."""


def counter_storage(uri: str) -> dict[str, str]:
    """Where the counters live, and whether they outlive this server process (never the URI's secrets)."""
    scheme = uri.split("://", 1)[0]
    if scheme == "memory":
        return {"storage": "memory", "lasts": "this server process only: counters start again when it restarts, "
                "and each stdio launch is a new process (set ODOO_MCP_LIMITS_STORAGE=redis://... to keep them)"}
    return {"storage": scheme, "lasts": "shared by every server process using this store, across restarts"}


@tool("policy_status", family="meta", risk=Risk.READ, args=PolicyStatusArgs, idempotent=True)
def policy_status(args: PolicyStatusArgs, call: Call) -> dict[str, Any]:
    """What this agent may do under the server's policy: allowed tools (with their conditions), denied
    tools with the reason, tools that need a human's approval, and the remaining calls of every
    rate-limit counter for this caller. Call it first to plan within the limits."""
    context: StatusContext = call.runtime
    guard = context.guard
    policy = guard.policy
    allowed: list[dict[str, Any]] = []
    denied: list[dict[str, Any]] = []
    for guarded in guard.visible():
        name = guarded.name
        decision = gate_tool(policy, name, known=True)
        if not decision.allowed:
            denied.append({"tool": name, "reason": decision.reason, "rule": decision.rule})
            continue
        entry: dict[str, Any] = {"tool": name, "risk": guarded.spec.risk.value}
        rule = policy.tools.get(name)
        if rule is not None:
            if rule.action == Verdict.APPROVAL.value:
                entry["needs_approval"] = True
            if rule.require:
                entry["requires"] = [describe(c) for c in rule.require]
            if rule.deny_if:
                entry["refused_when"] = [describe(c) for c in rule.deny_if]
        counters = sorted({limit.counter for limit in policy.limits_for(name)})
        if counters:
            entry["counters"] = counters
        allowed.append(entry)
    try:
        counters: Any = guard.limiter.states(list(policy.counters().values()), call.caller)
    except Exception as exc:  # the store is down (Redis, ...): the status still answers, and says so
        counters = f"unavailable: the rate-limit store could not be read ({type(exc).__name__})"
    return {
        "counter_storage": counter_storage(guard.limiter.storage_uri),
        "grant": call.caller.grant,
        "session": call.caller.session,
        "default": policy.default,
        "mode": policy.mode,
        **({"shadow": "this policy is in shadow mode: nothing is refused; what it would refuse is audited "
            "(would_deny / would_limit / would_ask)"} if policy.shadow else {}),
        "allowed": allowed,
        "denied": denied,
        "counters": counters,
        "sensitive_data": policy.sensitive.summary(),
    }
