"""Per-grant identities: each grant's named profiles and Odoo connections, at rest in the state directory.

Upstream kept one shared "current" identity and swapped a claimed person's stored credentials
into the connection every client used. Here the grant (a bearer token on HTTP, "local" on
stdio) is the only key: a grant sees, selects and uses only its own profiles and connections,
and its active connection serves only its own calls. Records live in
`<ODOO_MCP_STATE_DIR>/identities/<sha256(grant)>.json`, written atomically with mode 0600;
the file name never comes from a name a client sent. The state directory is the server's
(`ODOO_MCP_STATE_DIR`, else `$XDG_STATE_HOME/odoo-mcp`); settings built in code without one keep
identities in memory only. Secrets are checked and held as the
connections file's are (`ConnectionConfig`, kept out of repr and descriptions), registered
with the audit log so they are masked wherever they would appear, and never returned.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from guard.spec import Call, NotConfigured, ToolFailure
from odoo_client.connection import OdooConnection
from odoo_client.errors import ConfigError
from odoo_client.settings import ConnectionConfig, OdooSettings, normalize_url
from tools.odoo_kit import odoo_pool

NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$"
"""Profile and connection names: an alias's characters, never `.`/`..` or a hidden-file name."""
DEFAULT_PROFILE = "default"
STORED_KEYS = ("alias", "url", "db", "username", "password", "api_key", "protocol", "verify_ssl")


class Identities:
    """Every grant's profiles (name → alias → config), the active profile and connection of each grant."""

    def __init__(self, directory: Path | None, settings: OdooSettings, audit: Any = None) -> None:
        self.directory = directory
        self.settings = settings
        self.audit = audit
        self._grants: dict[str, dict[str, Any]] = {}
        self._open: dict[tuple[str, str, str], OdooConnection] = {}
        self._lock = threading.RLock()

    def _file(self, grant: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / f"{hashlib.sha256(grant.encode()).hexdigest()}.json"

    def state(self, grant: str) -> dict[str, Any]:
        """The grant's record, loaded once from its file (checked like the connections file)."""
        with self._lock:
            if grant not in self._grants:
                self._grants[grant] = self._load(grant)
            return self._grants[grant]

    def _load(self, grant: str) -> dict[str, Any]:
        path = self._file(grant)
        empty: dict[str, Any] = {"grant": grant, "profile": DEFAULT_PROFILE, "profiles": {DEFAULT_PROFILE: {}},
                                 "active": {}}
        if path is None:
            return empty
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return empty
        except (OSError, ValueError) as exc:
            raise NotConfigured(f"identity store {path.name} cannot be read: {exc}") from None
        if document.get("grant") != grant:
            raise NotConfigured(f"identity store {path.name} belongs to another grant")
        profiles: dict[str, dict[str, ConnectionConfig]] = {}
        for profile, entries in document.get("profiles", {}).items():
            profiles[profile] = {}
            for entry in entries:
                config = self._config(entry, f"identity store {path.name}")
                profiles[profile][config.alias] = config
        self._mask(*(c for p in profiles.values() for c in p.values()))
        return {"grant": grant, "profile": document.get("profile", DEFAULT_PROFILE), "profiles": profiles,
                "active": dict(document.get("active", {}))}

    def _config(self, entry: dict[str, Any], where: str) -> ConnectionConfig:
        try:
            config = ConnectionConfig(timeout=self.settings.timeout, pin_dir=self.settings.pin_dir, origin="profile",
                                      **{k: entry[k] for k in STORED_KEYS if entry.get(k) is not None}).check(where)
        except (ConfigError, TypeError) as exc:
            raise ToolFailure(str(exc)) from None
        if config.url not in self.settings.allowed_urls:
            raise ToolFailure(f"{where}: url {config.url} is not in ALLOWED_ODOO_URLS (nor a configured connection)")
        return config

    def _mask(self, *configs: ConnectionConfig) -> None:
        if self.audit is not None:
            self.audit.add_secrets(secret for c in configs for secret in (c.password, c.api_key) if secret)

    def _save(self, grant: str) -> None:
        """Write the grant's record atomically, 0600 from the first byte (nowhere without a state directory)."""
        path = self._file(grant)
        if path is None or self.directory is None:
            return
        state = self._grants[grant]
        document = {"grant": grant, "profile": state["profile"], "active": state["active"],
                    "profiles": {name: [{k: getattr(c, k) for k in STORED_KEYS if getattr(c, k) is not None}
                                        for c in configs.values()] for name, configs in state["profiles"].items()}}
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        os.replace(temporary, path)

    # ---- what the tools do ----

    def identify(self, grant: str, profile: str) -> dict[str, Any]:
        with self._lock:
            state = self.state(grant)
            status = "identified" if profile in state["profiles"] else "new_profile"
            state["profiles"].setdefault(profile, {})
            state["profile"] = profile
            self._save(grant)
            return {"status": status, **self.describe(grant)}

    def add(self, grant: str, entry: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            state = self.state(grant)
            config = self._config(entry, f"connection {entry.get('alias')!r}")
            state["profiles"][state["profile"]][config.alias] = config
            self._close(grant, state["profile"], config.alias)
            self._mask(config)
            self._save(grant)
            return {"added": config.alias, **self.describe(grant)}

    def activate(self, grant: str, alias: str) -> dict[str, Any]:
        with self._lock:
            state = self.state(grant)
            config = self._find(state, alias)
            key = (grant, state["profile"], alias)
            self._close(*key)
            connection = OdooConnection(config)
            connection.uid()  # a connection that cannot log in is not activated (upstream kept it anyway)
            self._open[key] = connection
            state["active"][state["profile"]] = alias
            self._save(grant)
            return {"activated": alias, **self.describe(grant)}

    def delete(self, grant: str, alias: str) -> dict[str, Any]:
        with self._lock:
            state = self.state(grant)
            self._find(state, alias)
            del state["profiles"][state["profile"]][alias]
            if state["active"].get(state["profile"]) == alias:
                del state["active"][state["profile"]]
            self._close(grant, state["profile"], alias)
            self._save(grant)
            return {"deleted": alias, **self.describe(grant)}

    def active_connection(self, grant: str) -> OdooConnection | None:
        with self._lock:
            state = self.state(grant)
            alias = state["active"].get(state["profile"])
            if alias is None or alias not in state["profiles"][state["profile"]]:
                return None
            key = (grant, state["profile"], alias)
            if key not in self._open:
                self._open[key] = OdooConnection(state["profiles"][state["profile"]][alias])
            return self._open[key]

    def describe(self, grant: str) -> dict[str, Any]:
        """The grant's profile, its connections and the active one: never a secret."""
        state = self.state(grant)
        configs = state["profiles"][state["profile"]]
        active = state["active"].get(state["profile"])
        return {"grant": grant, "profile": state["profile"], "profiles": sorted(state["profiles"]),
                "active": active if active in configs else None,
                "connections": [{**c.describe(), "active": c.alias == active} for c in configs.values()]}

    def _find(self, state: dict[str, Any], alias: str) -> ConnectionConfig:
        configs = state["profiles"][state["profile"]]
        if alias not in configs:
            raise ToolFailure(f"profile {state['profile']!r} of this grant has no connection {alias!r} "
                              f"(known: {', '.join(sorted(configs)) or 'none'})")
        return configs[alias]

    def _close(self, grant: str, profile: str, alias: str) -> None:
        connection = self._open.pop((grant, profile, alias), None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        with self._lock:
            connections, self._open = list(self._open.values()), {}
        for connection in connections:
            connection.close()


def identities(call: Call) -> Identities:
    """The server's identity store (a runtime service), under the state directory."""
    settings = odoo_pool(call).settings  # before: the runtime builds one service at a time
    audit = getattr(getattr(call.runtime, "guard", None), "audit", None)

    def build(runtime: Any) -> Identities:
        base = runtime.settings.approvals.state_dir or (runtime.settings.env.get("ODOO_MCP_STATE_DIR") or "").strip()
        directory = Path(base).expanduser() / "identities" if base else None
        return Identities(directory, settings, audit)

    return call.runtime.service("identities", build)


def active_connection(call: Call) -> OdooConnection | None:
    """The connection this call's grant activated, if any (only ever its own)."""
    return identities(call).active_connection(call.caller.grant)


def check_url(url: str) -> str:
    try:
        return normalize_url(url)
    except ConfigError as exc:
        raise ToolFailure(str(exc)) from None


__all__ = ["NAME_PATTERN", "Identities", "active_connection", "check_url", "identities"]
