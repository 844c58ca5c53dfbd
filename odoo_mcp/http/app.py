"""The streamable HTTP application: bearer tokens → grants, sessions bound to grants, Host/Origin checks.

Layers, outermost first: `BearerGrants` (no known token, 401), `SessionGate` (session ids the
server issued to this grant only, a per-grant cap), then the SDK's streamable HTTP app with
DNS-rebinding protection on for every bind address — the SDK turns it on only for loopback
names. The allowed `Host` values come from `--allowed-hosts` / `ODOO_MCP_HTTP_ALLOWED_HOSTS`
(comma separated, `host:port` or `host:*`); by default the bind address itself and the loopback
names. A wildcard bind (`0.0.0.0`, `::`) allows only the loopback names until hosts are
configured: a remote client gets 421 rather than a server that answers any `Host`. The SDK
compares the raw header by prefix, so `odoo_mcp.http.hosts.HostCheck` parses `Host` and `Origin`
strictly and compares the parsed form first (outermost layer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mcp.server.transport_security import TransportSecuritySettings

from odoo_mcp.config import ConfigError
from odoo_mcp.http.auth import BearerGrants
from odoo_mcp.http.hosts import AllowedHosts, HostCheck
from odoo_mcp.http.sessions import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_SESSIONS_PER_GRANT, GrantSessions, SessionGate

LOOPBACK_HOSTS = ("127.0.0.1:*", "localhost:*", "[::1]:*")
WILDCARD_BINDS = frozenset({"0.0.0.0", "::", ""})


@dataclass(frozen=True)
class HttpSecurity:
    """What the operator configured for the HTTP transport beyond tokens."""

    allowed_hosts: tuple[str, ...] = ()
    max_sessions_per_grant: int = DEFAULT_MAX_SESSIONS_PER_GRANT
    session_idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    stateless: bool = False
    """No MCP sessions (`--stateless`): every request stands alone, the session scope is the grant."""


def parse_allowed_hosts(raw: str | None) -> tuple[str, ...]:
    """`a.example:8765, b.example:*` → a tuple; an entry with a scheme or a path is a config error."""
    if not raw:
        return ()
    hosts = tuple(part.strip() for part in raw.split(",") if part.strip())
    try:
        AllowedHosts(hosts)
    except ValueError as exc:
        raise ConfigError(f"allowed hosts: {exc} (no scheme, no path)") from None
    return hosts


def parse_session_cap(raw: str | None) -> int:
    if raw is None or not raw.strip():
        return DEFAULT_MAX_SESSIONS_PER_GRANT
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"max sessions per grant: {raw!r} is not a whole number") from None
    if value < 1:
        raise ConfigError("max sessions per grant: must be at least 1")
    return value


def bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def transport_security(bind: str, allowed: Sequence[str]) -> TransportSecuritySettings:
    """DNS-rebinding protection for every bind: `Host` must be one of `allowed` (or the defaults)."""
    hosts = list(allowed)
    if not hosts:
        hosts = list(LOOPBACK_HOSTS)
        if bind not in WILDCARD_BINDS and f"{bracketed(bind)}:*" not in hosts:
            hosts.append(f"{bracketed(bind)}:*")
    origins = [f"{scheme}://{host}" for host in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def build_http_app(
    server: Any, bind: str, digests: dict[str, str], security: HttpSecurity, audit: Any = None, verifier: Any = None
) -> HostCheck:
    """The ASGI app `serve --http` runs: Host/Origin, then tokens (`verifier`: OAuth's), then sessions, then the
    SDK's transport."""
    hosts = transport_security(bind, security.allowed_hosts)
    mcp_app = server.streamable_http_app(
        host=bind,
        transport_security=hosts,
        session_idle_timeout=security.session_idle_timeout,
        stateless_http=security.stateless,
    )
    checked = AllowedHosts(hosts.allowed_hosts, strict=False)  # configured ones were checked at start
    if security.stateless:  # no session ids are issued: the guard's session scope is the grant
        return HostCheck(BearerGrants(mcp_app, digests, verifier=verifier), checked)
    sessions = GrantSessions(max_per_grant=security.max_sessions_per_grant, idle_timeout=security.session_idle_timeout)
    return HostCheck(BearerGrants(mcp_app, digests, SessionGate(mcp_app, sessions, audit), verifier=verifier), checked)
