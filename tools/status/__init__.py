"""The `meta` family: `policy_status`, the agent's view of the policy it runs under."""

from tools.registry import Family, collect

from . import policy_status

FAMILY = Family(name="meta", specs=collect(policy_status), context=policy_status.status_context)

__all__ = ["FAMILY"]
