"""The `Host` and `Origin` check of the HTTP transport (DNS rebinding), on the parsed form.

The SDK compares the raw header with each allowed value by prefix (`host.startswith("127.0.0.1:")`),
so `Host: 127.0.0.1:1@evil.example` passed. Here the header is parsed strictly first — `host[:port]`,
the host a DNS name, an IPv4 address or a bracketed IPv6 address, the port digits 1 to 65535 — and
anything else (userinfo, a path, a query, spaces, percent escapes, a second colon, a trailing dot,
two `Host` headers) is refused with 421 before any other layer runs. The parsed host and port are
then compared with the allowed entries, parsed the same way at start-up: `host:port`, `host:*` (any
explicit port) or `host` (no port) — the SDK's meanings, never looser. `Origin` (optional) must be
`http(s)://host[:port]` and its host and port allowed by the same entries.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

ANY_PORT = "*"
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_PORT = re.compile(r"[1-9][0-9]{0,4}")
_ORIGIN = re.compile(r"(https?)://(.*)")

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


@dataclass(frozen=True)
class HostPort:
    host: str
    """Lowercase name or address; an IPv6 address in brackets, compressed (`[::1]`)."""
    port: int | str | None
    """A number, `ANY_PORT` (allowed entries only), or None when no port was given."""


def parse_host(value: str, *, pattern: bool = False) -> HostPort | None:
    """`host[:port]` strictly, or None; with `pattern=True` the port may also be `*`."""
    if not value or len(value) > 300 or not value.isascii():
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0 or "%" in value:
            return None
        try:
            address = ipaddress.IPv6Address(value[1:end])  # a zone id (`%eth0`) is refused above
        except ValueError:
            return None
        host, rest = f"[{address.compressed}]", value[end + 1:]
    else:
        host = value.partition(":")[0]
        rest = value[len(host):]
        if not _NAME.fullmatch(host) or len(host) > 253:
            return None
        host = host.lower()
    if not rest:
        return HostPort(host, None)
    if not rest.startswith(":"):
        return None
    port_text = rest[1:]
    if pattern and port_text == ANY_PORT:
        return HostPort(host, ANY_PORT)
    if not _PORT.fullmatch(port_text) or int(port_text) > 65535:
        return None
    return HostPort(host, int(port_text))


def parse_origin(value: str) -> HostPort | None:
    """`http(s)://host[:port]` strictly (no path, no userinfo), or None."""
    match = _ORIGIN.fullmatch(value)
    return parse_host(match.group(2)) if match else None


class AllowedHosts:
    """The allowed entries, parsed once; `allows` compares a parsed `Host` with them."""

    def __init__(self, entries: Iterable[str], *, strict: bool = True) -> None:
        """`strict=False` skips an entry that does not parse (a bind address with a zone id, `[fe80::1%eth0]`):
        no strictly parsed `Host` could match it anyway."""
        self.entries: list[HostPort] = []
        for entry in entries:
            parsed = parse_host(entry, pattern=True)
            if parsed is None:
                if not strict:
                    continue
                raise ValueError(f"{entry!r} is not host[:port] or host:* (an IPv6 address in brackets)")
            self.entries.append(parsed)

    def allows(self, found: HostPort | None) -> bool:
        if found is None:
            return False
        return any(
            entry.host == found.host
            and (entry.port == found.port or (entry.port == ANY_PORT and found.port is not None))
            for entry in self.entries
        )


class HostCheck:
    """ASGI middleware: a request whose `Host` or `Origin` is not an allowed host gets 421 / 403."""

    def __init__(self, app: ASGIApp, allowed: AllowedHosts) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hosts = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"host"]
        origins = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"origin"]
        if len(hosts) != 1 or not self.allowed.allows(parse_host(hosts[0])):
            await _refuse(send, 421, b"Invalid Host header")
            return
        if len(origins) > 1 or (origins and not self.allowed.allows(parse_origin(origins[0]))):
            await _refuse(send, 403, b"Invalid Origin header")
            return
        await self.app(scope, receive, send)


async def _refuse(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
