"""Server configuration from the environment (and CLI flags): policy, audit, identity, roots.

Every setting is read once at start-up and validated; a bad value stops the server with a
message naming the variable (fail closed), never a silent fallback to a default.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from foundation.env import first_set, parse_bool
from odoo_client.errors import ConfigError  # one class for every bad setting, whichever layer reads it
from odoo_client.settings import OdooSettings

_first = first_set  # the one environment reader (foundation/env.py)


def _directory(env: Mapping[str, str], *names: str) -> Path | None:
    value = _first(env, *names)
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    return path


def parse_targets(raw: str, variable: str = "ODOO_MCP_ADDONS_TARGETS") -> dict[str, Path]:
    """`name=path,name=path` → ordered mapping; the first target is the default."""
    targets: dict[str, Path] = {}
    for index, pair in enumerate(part.strip() for part in raw.split(",")):
        if not pair:
            continue
        name, sep, path = pair.partition("=")
        name, path = name.strip(), path.strip()
        if not sep or not name or not path:
            raise ConfigError(f"{variable}: entry {index + 1} ({pair!r}) is not name=path")
        if not name.replace("_", "").replace("-", "").isalnum():
            raise ConfigError(f"{variable}: target name {name!r} must be letters, digits, '-' or '_'")
        if name in targets:
            raise ConfigError(f"{variable}: target name {name!r} appears twice")
        resolved = Path(path).expanduser()
        targets[name] = resolved if resolved.is_absolute() else Path.cwd() / resolved
    return targets


@dataclass(frozen=True)
class Roots:
    """The named filesystem roots tools may touch; `None` means not configured."""

    ee_dir: Path | None = None
    oca_dir: Path | None = None
    addons_targets: dict[str, Path] = field(default_factory=dict)
    files_dir: Path | None = None
    ee_buffer_dir: Path | None = None
    oca_buffer_dir: Path | None = None
    community_dirs: tuple[Path, ...] = ()

    def named(self) -> dict[str, Path]:
        """Roots by the names `PathArg(root=...)` uses."""
        named: dict[str, Path] = {}
        for name in ("ee_dir", "oca_dir", "files_dir", "ee_buffer_dir", "oca_buffer_dir"):
            value = getattr(self, name)
            if value is not None:
                named[name.removesuffix("_dir")] = value
        for target, path in self.addons_targets.items():
            named[f"target:{target}"] = path
        return named

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Roots:
        targets_raw = _first(env, "ODOO_MCP_ADDONS_TARGETS")
        community_raw = _first(env, "ODOO_MCP_COMMUNITY_DIRS")
        community = tuple(Path(part.strip()).expanduser() for part in (community_raw or "").split(",") if part.strip())
        return cls(
            ee_dir=_directory(env, "ODOO_MCP_EE_DIR", "EE_DIRECT_DIR"),
            oca_dir=_directory(env, "ODOO_MCP_OCA_DIR", "OCA_DIRECT_DIR"),
            addons_targets=parse_targets(targets_raw) if targets_raw else {},
            files_dir=_directory(env, "ODOO_MCP_FILES_DIR"),
            ee_buffer_dir=_directory(env, "ODOO_MCP_EE_BUFFER_DIR", "EE_BUFFER_DIR"),
            oca_buffer_dir=_directory(env, "ODOO_MCP_OCA_BUFFER_DIR", "OCA_BUFFER_DIR"),
            community_dirs=community,
        )


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _first(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise ConfigError(f"{name}: must be a positive number of seconds")
    return value


def default_state_dir(env: Mapping[str, str]) -> Path:
    """`$XDG_STATE_HOME/odoo-mcp`, else `~/.local/state/odoo-mcp`."""
    base = _first(env, "XDG_STATE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".local" / "state") / "odoo-mcp"


@dataclass(frozen=True)
class ApprovalSettings:
    """Where approvals are kept and how long they wait (see docs/approvals.md).

    `state_dir` None (settings built in code, not from the environment) keeps approvals in
    process memory under a random key.
    """

    state_dir: Path | None = None
    key_file: Path | None = None
    ttl: float = 600.0
    pending_ttl: float = 3600.0
    out_of_band: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ApprovalSettings:
        state_dir = _directory(env, "ODOO_MCP_STATE_DIR") or default_state_dir(env)
        mode = (_first(env, "ODOO_MCP_APPROVALS") or "client").lower()
        if mode not in {"client", "out_of_band"}:
            raise ConfigError(f"ODOO_MCP_APPROVALS: {mode!r} is not 'client' or 'out_of_band'")
        return cls(
            state_dir=state_dir,
            key_file=_directory(env, "ODOO_MCP_APPROVAL_KEY_FILE") or state_dir / "approval.key",
            ttl=_seconds(env, "ODOO_MCP_APPROVAL_TTL", 600.0),
            pending_ttl=_seconds(env, "ODOO_MCP_APPROVAL_PENDING_TTL", 3600.0),
            out_of_band=mode == "out_of_band",
        )


def default_audit_log(env: Mapping[str, str], platform: str = sys.platform) -> Path:
    """Where audit records go when nothing says otherwise: the user's state folder, not stderr.

    MCP clients log every stderr line of a server (Claude Code as errors): stderr is kept for the
    one start line and real problems. `ODOO_MCP_STATE_DIR` when set; otherwise Linux and other
    Unixes: `$XDG_STATE_HOME/odoo-mcp/` (default `~/.local/state/odoo-mcp/`); macOS:
    `~/Library/Logs/odoo-mcp/`; Windows: `%LOCALAPPDATA%\\odoo-mcp\\`.
    """
    state = _directory(env, "ODOO_MCP_STATE_DIR")
    if state is not None:
        return state / "audit.jsonl"
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        folder = home / "Library" / "Logs"
    elif platform == "win32":
        folder = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    else:
        xdg = env.get("XDG_STATE_HOME", "").strip()
        folder = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "state"
    return folder / "odoo-mcp" / "audit.jsonl"


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to start, resolved from CLI flags over environment."""

    policy_path: Path
    audit_log: Path | None = None
    audit_stderr: bool = False
    grant: str = "local"
    limits_storage: str = "memory://"
    roots: Roots = field(default_factory=Roots)
    env: Mapping[str, str] = field(default_factory=dict, repr=False)
    approvals: ApprovalSettings = field(default_factory=ApprovalSettings)

    @classmethod
    def load(
        cls,
        *,
        policy: str | None = None,
        audit_log: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Settings:
        env = dict(os.environ if env is None else env)
        policy_value = policy or _first(env, "ODOO_MCP_POLICY")
        if not policy_value:
            raise ConfigError(
                "no policy: pass --policy FILE or set ODOO_MCP_POLICY (the server refuses to start without one)"
            )
        audit_value = audit_log or _first(env, "ODOO_MCP_AUDIT_LOG")
        audit_stderr = parse_bool(_first(env, "ODOO_MCP_AUDIT_STDERR") or "0", "ODOO_MCP_AUDIT_STDERR")
        to_stderr = audit_value == "-"  # `-`: stderr only (a container's log), no file
        return cls(
            policy_path=Path(policy_value).expanduser(),
            audit_log=None if to_stderr else Path(audit_value).expanduser() if audit_value else default_audit_log(env),
            audit_stderr=to_stderr or audit_stderr,
            grant=_first(env, "ODOO_MCP_GRANT") or "local",
            limits_storage=_first(env, "ODOO_MCP_LIMITS_STORAGE") or "memory://",
            roots=Roots.from_env(env),
            env=env,
            approvals=ApprovalSettings.from_env(env),
        )

    @functools.cached_property
    def odoo(self) -> OdooSettings:
        """The Odoo connections (`ODOO_*`, `CONNECTIONS_FILE`), parsed once for the whole server: the
        start-up check, every Odoo family's context, the audit's secrets and OAuth all read this one
        (a bad value is a `ConfigError` naming the variable, raised again on every read)."""
        return OdooSettings.from_env(self.env)


def read_json_file(path: Path, what: str) -> Any:
    """The document of a JSON settings file (tokens, OAuth, mounts); one that is missing, unreadable
    or not JSON is a `ConfigError` naming `what` and the path."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} {path}: not found") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{what} {path}: {exc}") from None


def beside(name: str, base: Path) -> Path:
    """A path a settings file names: `~` expanded, a relative one taken from the file's folder."""
    path = Path(name).expanduser()
    return path if path.is_absolute() else base / path
