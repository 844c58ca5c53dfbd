"""The connections of a running server, by alias: configured ones, plus those `odoo_connect` adds.

Built once per server as the runtime service "odoo". A connection is created (and logs in) on
first use and kept; `odoo_connect` can only reach a URL on the allow-list; secrets given at
run time live in memory only and are never written back to the connections file.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from .connection import OdooConnection
from .errors import ConfigError, NoConnection, OdooRequestError
from .settings import ConnectionConfig, OdooSettings, normalize_url


class OdooPool:
    def __init__(self, settings: OdooSettings) -> None:
        self.settings = settings
        self._configs: dict[str, ConnectionConfig] = dict(settings.connections)
        self._default = settings.default_alias
        self._open: dict[str, OdooConnection] = {}
        self._lock = threading.Lock()

    def get(self, alias: str | None = None) -> OdooConnection:
        with self._lock:
            name = alias or self._default
            if name is None:
                raise NoConnection("no Odoo connection: set ODOO_URL, ODOO_DB, ODOO_USERNAME and ODOO_PASSWORD or "
                                    "ODOO_API_KEY, or add one with odoo_connect")
            if name not in self._configs:
                known = ", ".join(sorted(self._configs)) or "none"
                raise NoConnection(f"no Odoo connection named {name!r} (known: {known})")
            if name not in self._open:
                self._open[name] = OdooConnection(self._configs[name])
            return self._open[name]

    def connect(self, alias: str, *, url: str | None = None, db: str | None = None, username: str | None = None,
                password: str | None = None, api_key: str | None = None, protocol: str | None = None,
                verify_ssl: bool | None = None) -> OdooConnection:
        """Add (or replace) the connection `alias`; with only `alias`, reopen a configured one.

        An alias the operator configured is reopened exactly as configured: the agent may not turn
        off its TLS verification, point it at another server or try its secret with another login
        (nor replace it with a connection of its own) — it picks another alias for that.
        """
        with self._lock:
            base = self._configs.get(alias)
            overrides = {"url": url, "db": db, "username": username, "password": password, "api_key": api_key,
                         "protocol": protocol, "verify_ssl": verify_ssl}
            changed = sorted(key for key, value in overrides.items() if value is not None)
            if alias in self.settings.connections and changed:
                raise OdooRequestError(
                    f"connection {alias!r} is configured by the operator and is reopened as configured; "
                    f"{', '.join(changed)} cannot be changed (use another alias for a connection of your own)"
                )
            if base is None and not url:
                raise OdooRequestError(f"no configured connection {alias!r}: give url, db, username and a secret")
            if url:
                try:
                    normalized = normalize_url(url)
                except ConfigError as exc:
                    raise OdooRequestError(str(exc)) from None
                if normalized not in self.settings.allowed_urls:
                    raise OdooRequestError(
                        f"url {normalized} is not in ALLOWED_ODOO_URLS (nor a configured connection)"
                    )
            fields: dict[str, Any] = {"alias": alias, "url": url, "db": db, "username": username,
                                      "password": password, "api_key": api_key, "protocol": protocol,
                                      "verify_ssl": verify_ssl}
            given = {key: value for key, value in fields.items() if value is not None}
            if base is not None and url and normalize_url(url) != base.url:
                base = None  # another server: nothing is inherited, secrets least of all
            if base is None:
                missing = [key for key in ("db", "username") if key not in given]
                if missing or not (password or api_key):
                    needed = [*missing, *([] if password or api_key else ["password or api_key"])]
                    raise OdooRequestError(f"a new connection {alias!r} needs url, db, username and a secret "
                                      f"(missing: {', '.join(needed)}); nothing is inherited from another server")
                candidate = ConnectionConfig(timeout=self.settings.timeout, pin_dir=self.settings.pin_dir, **given)
            else:
                candidate = replace(base, **given)
            try:
                config = candidate.check(f"connection {alias!r}")
            except ConfigError as exc:
                raise OdooRequestError(str(exc)) from None
            old = self._open.pop(alias, None)
            self._configs[alias] = config
            if self._default is None:
                self._default = alias
            connection = self._open[alias] = OdooConnection(config)
        if old is not None:
            old.close()
        return connection

    def disconnect(self, alias: str) -> bool:
        """Close the connection; an alias added at run time is forgotten, a configured one stays known."""
        with self._lock:
            if alias not in self._configs:
                raise NoConnection(f"no Odoo connection named {alias!r}")
            connection = self._open.pop(alias, None)
            if alias not in self.settings.connections:
                del self._configs[alias]
                if self._default == alias:
                    self._default = next(iter(self._configs), None)
        if connection is not None:
            connection.close()
        return connection is not None

    def reopen(self, alias: str) -> None:
        """Close the open connection `alias` (kept known): the next call builds a fresh transport,
        e.g. with a certificate pin written since."""
        with self._lock:
            connection = self._open.pop(alias, None)
        if connection is not None:
            connection.close()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = []
            for alias, config in self._configs.items():
                connection = self._open.get(alias)
                row = connection.describe() if connection else {**config.describe(), "logged_in": False, "uid": None}
                row["default"] = alias == self._default
                row["configured"] = alias in self.settings.connections
                rows.append(row)
            return rows

    def close(self) -> None:
        with self._lock:
            connections, self._open = list(self._open.values()), {}
        for connection in connections:
            connection.close()
