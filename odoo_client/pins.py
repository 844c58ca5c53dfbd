"""Trust-on-first-use certificate pins: one PEM per server (host and port), never per alias.

Upstream keys the pin by connection alias (two servers under one alias share a pin), writes
it on any handshake, and falls back to no verification when the fetch fails. Here:

- a pin lives at `<ODOO_MCP_TLS_PIN_DIR>/<host>_<port>.pem` (upstream's `MCP_SSL_CERTS_DIR`
  is read as a fallback), named from the normalised URL, so it belongs to one server;
- it is used only by connections with `verify_ssl` false (a self-signed server): the TLS
  context then trusts that one certificate and nothing else — never `CERT_NONE`;
- a pin that exists but cannot be read or parsed makes the connection fail, never fall back;
- it is written only by `odoo_cert_refresh` (with approval or the operator's flag), by
  descriptor: exclusive create of a temporary file, then rename over the old pin.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import ssl
import uuid
from collections.abc import Mapping
from pathlib import Path

from foundation.fsroot import RootDir, create_file_at, read_file_at

from .endpoint import Endpoint

MAX_PEM_BYTES = 64 * 1024


def pin_dir_from_env(env: Mapping[str, str]) -> Path | None:
    for name in ("ODOO_MCP_TLS_PIN_DIR", "MCP_SSL_CERTS_DIR"):
        value = (env.get(name) or "").strip()
        if value:
            return Path(value).expanduser()
    return None


def host_port(url: str) -> tuple[str, int]:
    endpoint = Endpoint.of(url)
    return endpoint.hostname, endpoint.port


def pin_name(url: str) -> str:
    """`https://Odoo.example.com:8443` → `odoo.example.com_8443.pem` (safe characters only)."""
    host, port = host_port(url)
    return f"{re.sub(r'[^a-z0-9.-]', '_', host.lower()).strip('.') or 'host'}_{port}.pem"


def fingerprint(der: bytes) -> str:
    """SHA-256 fingerprint as OpenSSL prints it: `AB:CD:…`."""
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def read_pin(pin_dir: Path, url: str) -> str | None:
    """The pinned PEM for `url`'s server, or None when there is none (a broken pin raises `ssl.SSLError`)."""
    name = pin_name(url)
    if not pin_dir.is_dir():
        return None
    with RootDir(pin_dir, "pin") as opened:
        try:
            os.stat(name, dir_fd=opened.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        try:
            text = read_file_at(opened.fd, name, "pin", MAX_PEM_BYTES).decode("ascii")
            ssl.PEM_cert_to_DER_cert(text)
        except Exception as exc:
            raise ssl.SSLError(f"the pinned certificate {name} cannot be used ({exc}); refusing to connect") from None
    return text


def pinned_context(pem: str) -> ssl.SSLContext:
    """A context that trusts exactly the pinned certificate (no system CAs; host name not checked:
    the pin *is* the identity)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= getattr(ssl, "VERIFY_X509_PARTIAL_CHAIN", 0)
    context.load_verify_locations(cadata=pem)
    return context


def write_pin(pin_dir: Path, url: str, pem: str) -> Path:
    """Write the pin for `url`'s server by descriptor: exclusive temp file, then rename over the old pin."""
    name = pin_name(url)
    pin_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with RootDir(pin_dir, "pin") as opened:
        temp = f".{name}.{uuid.uuid4().hex[:8]}"
        create_file_at(opened.fd, temp, pem.encode("ascii"), "pin", 0o600)
        try:
            os.rename(temp, name, src_dir_fd=opened.fd, dst_dir_fd=opened.fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=opened.fd)
            raise
        return opened.path / name
