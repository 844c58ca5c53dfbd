"""The in-process policy guard: policy, decisions, limits, paths and audit.

Nothing in this package imports MCP or Odoo code: the guard decides on plain
Python values, so each part can be tested alone and reused behind any transport.

The public API, used by this server's CLI and server as by anyone else:

    policy = guard.load_policy("policy.yaml")        # a path, or the text of either spelling
    decision = guard.decide(policy, "ee_link", {"modules": ["sale"]})
    decision.allowed, decision.rule, decision.message

`load_policy` raises `PolicyError`, whose message lists every problem with its path. It knows
nothing of any server's tool names nor of Odoo's sensitive models: checking those is the server's job.
"""

from guard.decisions import Decision, Verdict, decide
from guard.policy import Policy, PolicyError, load_policy

__all__ = ["Decision", "Policy", "PolicyError", "Verdict", "decide", "load_policy"]
