"""Where a connection's URL points, read once for every transport, the pins and the pools.

The three protocols, the certificate pins and both connection pools need the same four facts
of `ODOO_URL`: TLS or not, the host name, the port (80/443 when none is written) and the Host
header as `http.client` writes it (the URL's host and port as written, without user info).
Read in one place, they cannot drift apart between a request and the pin or pool it uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Endpoint:
    https: bool
    hostname: str
    port: int
    host_header: str
    """`netloc` without user info: no default port added, as `http.client` and `ServerProxy` write it."""
    path: str
    """The URL's path without its trailing slash (JSON-2 prefixes its routes with it)."""

    @classmethod
    def of(cls, url: str) -> Endpoint:
        parts = urlsplit(url)
        https = parts.scheme == "https"
        return cls(https, parts.hostname or "", parts.port or (443 if https else 80),
                   parts.netloc.rsplit("@", 1)[-1], parts.path.rstrip("/"))
