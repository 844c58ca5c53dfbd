"""Connection settings: the upstream environment names, the connections file, the URL allow-list.

Default connection: `ODOO_URL`, `ODOO_DB`, `ODOO_USERNAME` (or `ODOO_USER`), `ODOO_PASSWORD`
and/or `ODOO_API_KEY`, `ODOO_PROTOCOL` (`jsonrpc` | `xmlrpc` | `json2` | `auto`; default `auto`:
chosen at connect from the server's version, see `detect.py`), `ODOO_VERIFY_SSL`, `ODOO_CA_BUNDLE`, `ODOO_TIMEOUT`
(seconds per call, default 30). More by alias from `CONNECTIONS_FILE` (a JSON list or
`{"connections": [...]}`), read once, never written; a secret there may be replaced by
`password_env` / `api_key_env` naming an environment variable. `ALLOWED_ODOO_URLS`
(comma-separated) lists the servers `odoo_connect` may reach; empty means only configured ones.
A malformed value stops the server with a message naming it (fail closed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from foundation.env import first_set, parse_bool

from .errors import ConfigError
from .names import is_alias
from .pins import pin_dir_from_env

PROTOCOLS = ("jsonrpc", "xmlrpc", "json2")
SETTINGS = (*PROTOCOLS, "auto")
"""What a protocol setting may say: a protocol, or `auto` (chosen at connect from the server's version)."""
ENV_NAMES = {"protocol": "ODOO_PROTOCOL", "password": "ODOO_PASSWORD", "api_key": "ODOO_API_KEY"}
DEFAULT_ALIAS = "default"
DEFAULT_TIMEOUT = 30.0
FILE_KEYS = {
    "alias",
    "url",
    "db",
    "username",
    "user",
    "password",
    "api_key",
    "password_env",
    "api_key_env",
    "protocol",
    "verify_ssl",
    "ca_bundle",
    "timeout",
}


def normalize_url(url: str, where: str = "url") -> str:
    """`https://Host:443/` → `https://host` : scheme, host and port only, for comparisons."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: {url!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise ConfigError(f"{where}: credentials do not belong in the URL")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"{where}: {url!r} must be the server's root URL (no path)")
    default_port = 443 if parts.scheme == "https" else 80
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{where}: {url!r} has a bad port") from exc
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default_port else "")


@dataclass(frozen=True)
class ConnectionConfig:
    """One Odoo server and account. Secrets are kept out of `repr` and of `describe()`."""

    alias: str
    url: str
    db: str
    username: str
    password: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    protocol: str = "auto"
    """A protocol, or `auto`: the connection picks one from the server's version (`detect.choose`)."""
    verify_ssl: bool = True
    ca_bundle: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    pin_dir: Path | None = None
    """Where trust-on-first-use pins live (ODOO_MCP_TLS_PIN_DIR); used when verify_ssl is false."""
    origin: str = "runtime"
    """Where the connection was configured (`env`, `file`, `runtime` by odoo_connect or `profile` by
    user_connection_add): how messages name its settings."""

    def setting(self, key: str) -> str:
        """The name a user changes `key` (protocol, password, ...) of this connection by."""
        if self.origin == "env":
            return ENV_NAMES.get(key, key)
        if self.origin == "file":
            return f"{key} of connection {self.alias!r} in CONNECTIONS_FILE"
        if self.origin == "profile":
            return f"the {key} of connection {self.alias!r} (user_connection_add)"
        return f"the {key} of connection {self.alias!r} (odoo_connect)"

    @property
    def secret(self) -> str:
        """What goes where Odoo expects a password: the API key when there is one."""
        return self.api_key or self.password or ""

    def describe(self) -> dict[str, Any]:
        return {
            "alias": self.alias,
            "url": self.url,
            "db": self.db,
            "username": self.username,
            "protocol": self.protocol,
            "verify_ssl": self.verify_ssl,
            "ca_bundle": str(self.ca_bundle) if self.ca_bundle else None,
            "auth": "api_key" if self.api_key else "password",
        }

    def check(self, where: str) -> ConnectionConfig:
        if not is_alias(self.alias):
            raise ConfigError(f"{where}: alias {self.alias!r} must be 1 to 64 ASCII letters, digits, '-', '_' or '.'")
        for name in ("db", "username"):
            if not getattr(self, name):
                raise ConfigError(f"{where}: {name} is required")
        if self.protocol not in SETTINGS:
            raise ConfigError(f"{where}: protocol {self.protocol!r} is not one of {', '.join(SETTINGS)}")
        if not self.secret:
            raise ConfigError(f"{where}: a password or an api_key is required")
        if self.protocol == "json2" and not self.api_key:
            raise ConfigError(f"{where}: protocol json2 authenticates with an API key: set api_key")
        if self.ca_bundle is not None and not self.ca_bundle.is_file():
            raise ConfigError(f"{where}: ca_bundle {str(self.ca_bundle)!r} is not a file")
        if not 0 < self.timeout <= 600:
            raise ConfigError(f"{where}: timeout must be between 0 and 600 seconds")
        return replace(self, url=normalize_url(self.url, f"{where}: url"))


_bool = parse_bool


def _float(value: Any, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {value!r} is not a number of seconds") from exc


def _protocol(value: str | None) -> str:
    """The protocol setting as given, or `auto` (the connection picks one from the server's version)."""
    return value.strip().lower() if value and value.strip() else "auto"


CONNECTION_VARIABLES = ("ODOO_DB", "ODOO_USERNAME", "ODOO_USER", "ODOO_PASSWORD", "ODOO_API_KEY", "ODOO_PROTOCOL")
"""The variables of the default connection that mean nothing without ODOO_URL."""


def _check_env_connection(get: Any, password: str | None, api_key: str | None) -> None:
    """What ODOO_URL's connection lacks or contradicts, named by its variable (not by a config key)."""
    given = {"ODOO_DB": get("ODOO_DB"), "ODOO_USERNAME": get("ODOO_USERNAME", "ODOO_USER")}
    missing = [name for name, value in given.items() if not value]
    if not password and not api_key:
        missing.append("ODOO_PASSWORD or ODOO_API_KEY")
    if missing:
        names = ", ".join(missing[:-1]) + " and " + missing[-1] if len(missing) > 1 else missing[0]
        raise ConfigError(f"ODOO_URL is set but {names} {'is' if len(missing) == 1 else 'are'} not: "
                          "set them for the default connection (or unset ODOO_URL)")
    protocol = _protocol(get("ODOO_PROTOCOL"))
    if protocol not in SETTINGS:
        raise ConfigError(f"ODOO_PROTOCOL: protocol {protocol!r} is not one of {', '.join(SETTINGS)}")
    if protocol == "json2" and not api_key:
        raise ConfigError("ODOO_PROTOCOL is json2, which authenticates with an API key: set ODOO_API_KEY")
    ca_bundle = get("ODOO_CA_BUNDLE")
    if ca_bundle and not Path(ca_bundle).expanduser().is_file():
        raise ConfigError(f"ODOO_CA_BUNDLE: {ca_bundle!r} is not a file")


def _from_env(env: Mapping[str, str], timeout: float) -> ConnectionConfig | None:
    def get(*names: str) -> str | None:
        return first_set(env, *names)

    url = get("ODOO_URL")
    if not url:
        stray = [name for name in CONNECTION_VARIABLES if get(name)]
        if stray:
            raise ConfigError(
                f"{', '.join(stray)} {'is' if len(stray) == 1 else 'are'} set but ODOO_URL is not: "
                "set ODOO_URL to the Odoo server's root URL (or unset them)"
            )
        return None
    normalize_url(url, "ODOO_URL")  # a bad URL is named by its variable
    password, api_key = get("ODOO_PASSWORD"), get("ODOO_API_KEY")
    _check_env_connection(get, password, api_key)
    ca_bundle = get("ODOO_CA_BUNDLE")
    return ConnectionConfig(
        alias=DEFAULT_ALIAS,
        url=url,
        db=get("ODOO_DB") or "",
        username=get("ODOO_USERNAME", "ODOO_USER") or "",
        password=password,
        api_key=api_key,
        protocol=_protocol(get("ODOO_PROTOCOL")),
        verify_ssl=_bool(get("ODOO_VERIFY_SSL") or "1", "ODOO_VERIFY_SSL"),
        ca_bundle=Path(ca_bundle).expanduser() if ca_bundle else None,
        timeout=timeout,
        origin="env",
    ).check("ODOO_URL connection")


def _from_file(path: Path, env: Mapping[str, str], timeout: float) -> list[ConnectionConfig]:
    where = f"CONNECTIONS_FILE {path}"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({exc.strerror})") from exc
    except ValueError as exc:
        raise ConfigError(f"{where}: not valid JSON ({exc})") from exc
    entries = document.get("connections") if isinstance(document, dict) else document
    if not isinstance(entries, list):
        raise ConfigError(f'{where}: expected a JSON list or {{"connections": [...]}}')
    configs = []
    for index, entry in enumerate(entries):
        at = f"{where} [{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{at}: expected an object")
        unknown = set(entry) - FILE_KEYS
        if unknown:
            raise ConfigError(f"{at}: unknown keys {sorted(unknown)}")
        secrets: dict[str, str | None] = {}
        for name in ("password", "api_key"):
            variable = entry.get(f"{name}_env")
            secrets[name] = entry.get(name) or (env.get(variable, "").strip() or None if variable else None)
            if variable and not secrets[name]:
                raise ConfigError(f"{at}: {name}_env names {variable!r}, which is not set")
        ca_bundle = entry.get("ca_bundle")
        if ca_bundle:
            ca_path = Path(ca_bundle).expanduser()
            ca_bundle = ca_path if ca_path.is_absolute() else path.parent / ca_path
        configs.append(
            ConnectionConfig(
                alias=str(entry.get("alias") or ""),
                url=str(entry.get("url") or ""),
                db=str(entry.get("db") or ""),
                username=str(entry.get("username") or entry.get("user") or ""),
                password=secrets["password"],
                api_key=secrets["api_key"],
                protocol=_protocol(entry.get("protocol")),
                verify_ssl=_bool(entry.get("verify_ssl", True), f"{at}: verify_ssl"),
                ca_bundle=ca_bundle,
                timeout=_float(entry.get("timeout", timeout), f"{at}: timeout"),
                origin="file",
            ).check(at)
        )
    return configs


@dataclass(frozen=True)
class OdooSettings:
    """Configured connections by alias (the first is the default), the allow-list, the call timeout."""

    connections: dict[str, ConnectionConfig]
    allowed_urls: frozenset[str]
    timeout: float = DEFAULT_TIMEOUT
    pin_dir: Path | None = None

    @property
    def default_alias(self) -> str | None:
        return next(iter(self.connections), None)

    def url_allowed(self, url: str) -> bool:
        return normalize_url(url) in self.allowed_urls

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OdooSettings:
        timeout = _float(env.get("ODOO_TIMEOUT", "").strip() or DEFAULT_TIMEOUT, "ODOO_TIMEOUT")
        if not 0 < timeout <= 600:
            raise ConfigError("ODOO_TIMEOUT: must be between 0 and 600 seconds")
        connections: dict[str, ConnectionConfig] = {}
        default = _from_env(env, timeout)
        if default:
            connections[default.alias] = default
        file_name = env.get("CONNECTIONS_FILE", "").strip()
        if file_name:
            for config in _from_file(Path(file_name).expanduser(), env, timeout):
                if config.alias in connections:
                    raise ConfigError(f"CONNECTIONS_FILE: alias {config.alias!r} appears twice")
                connections[config.alias] = config
        allowed = {config.url for config in connections.values()}
        for index, item in enumerate(env.get("ALLOWED_ODOO_URLS", "").split(",")):
            if item.strip():
                allowed.add(normalize_url(item, f"ALLOWED_ODOO_URLS entry {index + 1}"))
        pin_dir = pin_dir_from_env(env)
        connections = {alias: replace(config, pin_dir=pin_dir) for alias, config in connections.items()}
        return cls(connections=connections, allowed_urls=frozenset(allowed), timeout=timeout, pin_dir=pin_dir)
