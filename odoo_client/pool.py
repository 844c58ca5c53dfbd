"""The connections of a running server, by alias: the operator's, shared, and each owner's own.

Built once per server as the runtime service "odoo". Two kinds of connection live here:

- the operator's (`ODOO_URL` …, the connections file): shared by every owner and read-only to
  them — reopened only as configured, never replaced, never closed by one of them;
- the ones `odoo_connect` adds at run time: they belong to the owner that opened them (the
  caller's grant), who alone can use, list, replace or close them. Two owners may each have an
  alias of the same name; neither sees the other's.

An unnamed call uses the operator's default connection, else the owner's first own alias. A
connection is created (and logs in) on first use and kept; `odoo_connect` can only reach a URL on
the allow-list; secrets given at run time live in memory only and are never written back to the
connections file. The owner is an opaque string to this package (it knows nothing of grants).
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
        self._operator: dict[str, ConnectionConfig] = dict(settings.connections)
        self._shared: dict[str, OdooConnection] = {}
        self._own: dict[str, dict[str, ConnectionConfig]] = {}
        self._open: dict[tuple[str, str], OdooConnection] = {}
        self._lock = threading.Lock()

    def is_operator(self, alias: str) -> bool:
        """Whether `alias` is an operator's connection (shared, read-only to callers)."""
        return alias in self._operator

    def default_alias(self, owner: str | None = None) -> str | None:
        """What an unnamed call of `owner` uses: the operator's default, else the owner's first own alias."""
        if self.settings.default_alias is not None:
            return self.settings.default_alias
        own = self._own.get(owner, {}) if owner is not None else {}
        return next(iter(own), None)

    def default_config(self, owner: str | None = None) -> tuple[ConnectionConfig, bool] | None:
        """The connection an unnamed call of `owner` runs as, and whether it is the operator's; None if none."""
        with self._lock:
            name = self.default_alias(owner)
            if name is None:
                return None
            if name in self._operator:
                return self._operator[name], True
            return self._own[owner or ""][name], False

    def get(self, alias: str | None = None, *, owner: str | None = None) -> OdooConnection:
        """The connection `alias` as `owner` may use it (without an owner: the operator's only)."""
        with self._lock:
            name = alias or self.default_alias(owner)
            if name is None:
                raise NoConnection("no Odoo connection: set ODOO_URL, ODOO_DB, ODOO_USERNAME and ODOO_PASSWORD or "
                                   "ODOO_API_KEY, or add one with odoo_connect")
            if name in self._operator:
                if name not in self._shared:
                    self._shared[name] = OdooConnection(self._operator[name])
                return self._shared[name]
            own = self._own.get(owner, {}) if owner is not None else {}
            if name not in own:
                known = ", ".join([*self._operator, *own]) or "none"
                raise NoConnection(f"no Odoo connection named {name!r} (known: {known})")
            key = (owner or "", name)
            if key not in self._open:
                self._open[key] = OdooConnection(own[name])
            return self._open[key]

    def connect(self, alias: str, *, owner: str, url: str | None = None, db: str | None = None,
                username: str | None = None, password: str | None = None, api_key: str | None = None,
                protocol: str | None = None, verify_ssl: bool | None = None) -> OdooConnection:
        """Add (or replace) `owner`'s own connection `alias`; with only `alias`, open an operator's one.

        An alias the operator configured is opened exactly as configured and shared: the caller may
        not turn off its TLS verification, point it at another server or try its secret with another
        login (nor replace it with a connection of its own) — it picks another alias for that.
        """
        overrides = {"url": url, "db": db, "username": username, "password": password, "api_key": api_key,
                     "protocol": protocol, "verify_ssl": verify_ssl}
        changed = sorted(key for key, value in overrides.items() if value is not None)
        if alias in self._operator:
            if changed:
                raise OdooRequestError(
                    f"connection {alias!r} is configured by the operator and is reopened as configured; "
                    f"{', '.join(changed)} cannot be changed (use another alias for a connection of your own)"
                )
            return self.get(alias, owner=owner)
        with self._lock:
            base = self._own.get(owner, {}).get(alias)
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
                if base is not None and normalized != base.url:
                    base = None  # another server: nothing is inherited, secrets least of all
            given: dict[str, Any] = {"alias": alias, **{k: v for k, v in overrides.items() if v is not None}}
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
            old = self._open.pop((owner, alias), None)
            self._own.setdefault(owner, {})[alias] = config
            connection = self._open[(owner, alias)] = OdooConnection(config)
        if old is not None:
            old.close()
        return connection

    def disconnect(self, alias: str, *, owner: str) -> bool:
        """Close and forget `owner`'s own connection `alias`; an operator's connection is refused."""
        if alias in self._operator:
            raise OdooRequestError(f"connection {alias!r} is configured by the operator and shared by every grant: "
                                   "it is not closed by one of them (odoo_refresh logs in again)")
        with self._lock:
            own = self._own.get(owner, {})
            if alias not in own:
                raise NoConnection(f"no Odoo connection named {alias!r}")
            del own[alias]
            connection = self._open.pop((owner, alias), None)
        if connection is not None:
            connection.close()
        return connection is not None

    def reopen(self, alias: str, *, owner: str | None = None) -> None:
        """Close the open connection `alias` (kept known): the next call builds a fresh transport,
        e.g. with a certificate pin written since. An operator's is reopened for every owner."""
        with self._lock:
            if alias in self._operator:
                connection = self._shared.pop(alias, None)
            else:
                connection = self._open.pop((owner or "", alias), None)
        if connection is not None:
            connection.close()

    def describe(self, *, owner: str | None = None) -> list[dict[str, Any]]:
        """The operator's connections and `owner`'s own: never another owner's, never a secret."""
        with self._lock:
            default = self.default_alias(owner)
            rows = []
            own = self._own.get(owner, {}) if owner is not None else {}
            for alias, config in [*self._operator.items(), *own.items()]:
                operator = alias in self._operator
                connection = self._shared.get(alias) if operator else self._open.get((owner or "", alias))
                row = connection.describe() if connection else {**config.describe(), "logged_in": False, "uid": None}
                row["default"] = alias == default
                row["configured"] = operator
                rows.append(row)
            return rows

    def close(self) -> None:
        with self._lock:
            connections = [*self._shared.values(), *self._open.values()]
            self._shared, self._open = {}, {}
        for connection in connections:
            connection.close()
