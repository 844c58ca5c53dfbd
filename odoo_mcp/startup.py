"""What `serve` says before it serves: the one start line, and a refusal that says what to change.

MCP clients show a server's stderr only in their log (Claude Code logs every line as an error)
and a refused start only as "connection closed". So the server writes exactly one human line
when it starts — version, policy and its mode, transport, how many tools are listed, allowed
and hidden, where the audit goes — and, when it cannot start, exactly one line naming the
setting to change. Configured folders are checked here, at start-up, not at the first call.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from guard.decisions import gate_tool
from guard.policy import PolicyError
from odoo_mcp import __version__
from odoo_mcp.config import ConfigError, Settings

PREFIX = "odoo-mcp"


def _variable(env: Mapping[str, str], *names: str) -> str:
    """The variable that set a folder (ours, or the upstream fallback the user actually wrote)."""
    return next((name for name in names if env.get(name, "").strip()), names[0])


def configured_directories(settings: Settings) -> list[tuple[str, Path]]:
    """Every folder the configuration names, with the variable that names it."""
    roots, env = settings.roots, settings.env
    found: list[tuple[str, Path]] = []
    singles = (
        ("ee_dir", ("ODOO_MCP_EE_DIR", "EE_DIRECT_DIR")),
        ("oca_dir", ("ODOO_MCP_OCA_DIR", "OCA_DIRECT_DIR")),
        ("files_dir", ("ODOO_MCP_FILES_DIR",)),
        ("ee_buffer_dir", ("ODOO_MCP_EE_BUFFER_DIR", "EE_BUFFER_DIR")),
        ("oca_buffer_dir", ("ODOO_MCP_OCA_BUFFER_DIR", "OCA_BUFFER_DIR")),
    )
    for attribute, names in singles:
        path = getattr(roots, attribute, None)
        if path is not None:
            found.append((_variable(env, *names), path))
    for name, path in getattr(roots, "addons_targets", {}).items():
        found.append((f"ODOO_MCP_ADDONS_TARGETS ({name})", path))
    for path in getattr(roots, "community_dirs", ()):
        found.append(("ODOO_MCP_COMMUNITY_DIRS", path))
    return found


def check_directories(settings: Settings) -> None:
    """Refuse to start when a configured folder is missing or not a folder.

    One exception: the Enterprise checkout may be absent when a git source is configured
    (`ee_clone` creates it), as long as the folder above it exists.
    """
    clone_source = settings.env.get("ODOO_MCP_EE_GIT_URL", "").strip()
    for variable, path in configured_directories(settings):
        if path.is_dir():
            continue
        if path.exists():
            raise ConfigError(f"{variable}: {path} is not a folder: point it at a folder")
        if variable in ("ODOO_MCP_EE_DIR", "EE_DIRECT_DIR") and clone_source and path.parent.is_dir():
            continue
        hint = " (or set ODOO_MCP_EE_GIT_URL so that ee_clone creates it)" if "EE_DIR" in variable else ""
        raise ConfigError(f"{variable}: {path} does not exist: create it or correct the path{hint}")


def audit_unwritable(settings: Settings, error: Exception) -> ConfigError:
    """The audit log cannot be opened or written: the guard fails closed, and says which variable to change."""
    why = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return ConfigError(
        f"ODOO_MCP_AUDIT_LOG: cannot write the audit log {settings.audit_log or 'on stderr'} ({why}): "
        "set ODOO_MCP_AUDIT_LOG (or --audit-log) to a writable file"
    )


def refusal_line(problem: Exception) -> str:
    """One line, naming what to change; a policy's problems are joined, with the command that lists them."""
    if isinstance(problem, PolicyError):
        problems = "; ".join(problem.problems)
        return (
            f"{PREFIX}: refusing to start: invalid policy {problem.source}: {problems} "
            f"(fix the policy; `odoo-mcp policy check {problem.source}` lists every problem)"
        )
    text = " ".join(str(problem).split())  # never more than one line, whatever the message held
    return f"{PREFIX}: refusing to start: {text}"


def start_line(settings: Settings, guard: Any, *, http_url: str | None = None) -> str:
    """The human start line on stderr, e.g.

    `odoo-mcp 0.1.0: policy /p.json (default deny, list all); stdio; 44 tools: 44 listed, 6 allowed,
    0 hidden; audit -> /home/me/.local/state/odoo-mcp/audit.jsonl` (one line).
    """
    policy = guard.policy
    names = sorted(guard.tools)
    hidden = sum(1 for name in names if policy.hides(name))
    allowed = sum(1 for name in names if gate_tool(policy, name, known=True).allowed)
    listed = len(guard.listed())
    audit = [str(settings.audit_log)] if settings.audit_log is not None else []
    if settings.audit_stderr:
        audit.append("stderr")
    transport = f"streamable HTTP at {http_url}" if http_url else "stdio"
    return (
        f"{PREFIX} {__version__}: policy {settings.policy_path} (default {policy.default}, "
        f"list {getattr(policy, 'listing', 'all')}); {transport}; {len(names)} tools: {listed} listed, "
        f"{allowed} allowed, {hidden} hidden; audit -> {' and '.join(audit) or 'nowhere'}"
    )
