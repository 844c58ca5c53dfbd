"""The guard with every catalogued tool wrapped: built without importing the MCP SDK.

Kept apart from `odoo_mcp.server` (which registers the wrapped tools on an `MCPServer`) so a
stdio start can answer `initialize` and `tools/list` from the guard while the SDK, the
largest import of the process, is still to be loaded (see `odoo_mcp.wire.stdio`).
"""

from __future__ import annotations

from collections.abc import Sequence

from guard.audit import AuditLog
from guard.guard import Guard
from guard.limiter import Limiter
from guard.policy import Policy, load_policy
from guard.policy_set import PolicySet
from guard.spec import ToolFailure, ToolSpec
from odoo_mcp.approvals.configured import open_approvals
from odoo_mcp.config import ConfigError, Settings
from odoo_mcp.families import FAMILIES
from odoo_mcp.runtime import Runtime
from odoo_mcp.secrets import configured_secrets
from odoo_mcp.wire.handshake import INSTRUCTIONS, SERVER_NAME  # noqa: F401 - re-exported
from tools.registry import assemble


def open_audit(settings: Settings) -> AuditLog:
    """The audit log, or a start-up refusal: a server that cannot keep its log does not start."""
    try:
        return AuditLog(settings.audit_log, stderr=settings.audit_stderr)
    except OSError as exc:
        raise ConfigError(f"audit log {settings.audit_log}: cannot be opened ({exc.strerror or exc})") from None


def build_guard(
    settings: Settings, policy: Policy | PolicySet | None = None, extra_specs: Sequence[ToolSpec] = ()
) -> tuple[Guard, Runtime]:
    """The guard with every catalogued tool (and `extra_specs`, for tests and benchmarks) wrapped."""
    policy = policy or load_policy(settings.policy_path)
    runtime = Runtime(settings)
    audit = open_audit(settings)
    guard = Guard(
        policy,
        limiter=Limiter(settings.limits_storage),
        audit=audit,
        roots=settings.roots.named(),
        runtime=runtime,
        approvals=open_approvals(settings, audit),
    )
    guard.audit.add_secrets(configured_secrets(settings))
    assemble(FAMILIES)  # a tool name served twice stops the start
    for family in FAMILIES:
        try:
            context = family.context(runtime, guard)  # built once, here, for every tool of the family
        except ToolFailure as exc:  # a family's setting is unusable: the server does not start
            raise ConfigError(exc.message) from None
        for spec in family.specs:
            guard.wrap(spec, context)
    for spec in extra_specs:
        guard.wrap(spec)
    return guard, runtime
