"""`odoo_cert_info` and `odoo_cert_refresh`: look at a server's certificate, pin it explicitly.

Info reads what the server presents now (subject, issuer, validity, SHA-256 fingerprint,
alternative names) next to the pin on file, without sending any credential. Refresh is
trust-on-first-use made explicit: the presented certificate is pinned only when this call was
approved by a human (policy `require_approval`) or the operator set `ODOO_MCP_TLS_PIN_WRITE=1`;
a `fingerprint` argument must match what is presented; a failed fetch changes nothing (and a
pinned connection never falls back to no verification). Pins are keyed by host and port
(`odoo_client.pins`), for connections with `verify_ssl` false only.
"""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from typing import Any

from pydantic import Field

from foundation.env import first_set, parse_bool
from guard.refusals import PinRefused
from guard.spec import Call, NotConfigured, Risk, ToolArgs, ToolFailure
from odoo_client.errors import OdooUnreachable
from odoo_client.pins import fingerprint, host_port, pin_name, read_pin, write_pin
from tools.odoo_kit import ConnectionName, odoo_pool
from tools.registry import tool

PIN_FLAG = "ODOO_MCP_TLS_PIN_WRITE"


def pin_write_allowed(call: Call) -> bool:
    """`ODOO_MCP_TLS_PIN_WRITE`, checked at start-up (`OdooContext.pin_write`); parsed here on a bare runtime."""
    checked = getattr(call.runtime, "pin_write", None)
    if isinstance(checked, bool):
        return checked
    return parse_bool(first_set(call.runtime.settings.env, PIN_FLAG) or "0", PIN_FLAG)


class CertArgs(ToolArgs):
    connection: ConnectionName = None


class CertRefreshArgs(ToolArgs):
    connection: ConnectionName = None
    fingerprint: str | None = Field(
        None, pattern=r"^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$",
        description="Expected SHA-256 fingerprint (AB:CD:…); the pin is written only if the server presents it.",
    )


def describe_pem(pem: str) -> dict[str, Any]:
    """Subject, issuer, validity and fingerprint of a PEM certificate (parsed, never executed)."""
    from cryptography import x509  # on first use: not a start-up cost
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import ExtensionOID

    cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    now = dt.datetime.now(dt.UTC)
    try:
        names = [str(n.value) for n in cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
                 .value]  # type: ignore[attr-defined]
    except x509.ExtensionNotFound:
        names = []
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "expired": cert.not_valid_after_utc < now,
        "self_signed": cert.subject == cert.issuer,
        "alt_names": names,
        "sha256": fingerprint(cert.public_bytes(Encoding.DER)),
    }


def presented(url: str, timeout: float) -> str:
    """The PEM the server presents now (handshake without verification: read, never trusted as such)."""
    host, port = host_port(url)
    try:
        return ssl.get_server_certificate((host, port), timeout=timeout)
    except (TimeoutError, OSError, ssl.SSLError) as exc:
        raise OdooUnreachable(f"{url}: cannot fetch the certificate ({type(exc).__name__}: {exc}); "
                              "nothing changed") from None


def _https(call: Call, alias: str | None) -> Any:
    config = odoo_pool(call).get(alias, owner=call.caller.grant).config
    if not config.url.startswith("https://"):
        raise ToolFailure(f"{config.alias}: {config.url} is not https; there is no certificate")
    return config


@tool("odoo_cert_info", family="odoo", risk=Risk.READ, args=CertArgs, idempotent=True, open_world=True)
def odoo_cert_info(args: CertArgs, call: Call) -> dict[str, Any]:
    """Show the certificate a connection's server presents (subject, issuer, validity, SHA-256 fingerprint)
    and the pinned one, if any; sends no credentials."""
    config = _https(call, args.connection)
    current = describe_pem(presented(config.url, config.timeout))
    pinned = read_pin(config.pin_dir, config.url) if config.pin_dir is not None else None
    pin = describe_pem(pinned) if pinned else None
    return {"connection": config.alias, "url": config.url, "verify_ssl": config.verify_ssl,
            "presented": current, "pinned": pin, "pin_file": pin_name(config.url) if pinned else None,
            "matches_pin": pin is not None and pin["sha256"] == current["sha256"],
            "verification": ("CA" if config.verify_ssl else "pinned" if pin else "off (no pin)")}


class _Shown:
    """(alias, url) → the fingerprint the last approval question showed (runtime service `cert_previews`)."""

    def __init__(self, _runtime: object = None) -> None:
        self._lock = threading.Lock()
        self._shown: dict[tuple[str, str], str] = {}

    def remember(self, key: tuple[str, str], sha256: str) -> None:
        with self._lock:
            self._shown[key] = sha256

    def take(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            return self._shown.pop(key, None)


def _shown(call: Call) -> _Shown:
    return call.runtime.service("cert_previews", _Shown)


def cert_refresh_preview(args: CertRefreshArgs, call: Call) -> dict[str, Any]:
    """For the approval question: the certificate that would be pinned, and the pin it would replace."""
    config = _https(call, args.connection)
    new = describe_pem(presented(config.url, config.timeout))
    old = read_pin(config.pin_dir, config.url) if config.pin_dir is not None else None
    _shown(call).remember((config.alias, config.url), new["sha256"])
    return {"server": config.url, "would_pin_sha256": new["sha256"], "subject": new["subject"],
            "issuer": new["issuer"], "not_after": new["not_after"],
            "replaces_sha256": describe_pem(old)["sha256"] if old else None}


@tool("odoo_cert_refresh", family="odoo", risk=Risk.WRITE, args=CertRefreshArgs, open_world=True,
      preview=cert_refresh_preview)
def odoo_cert_refresh(args: CertRefreshArgs, call: Call) -> dict[str, Any]:
    """Pin the certificate a verify_ssl=false connection's server presents (trust on first use), only with
    approval or the operator's flag; a changed certificate is reported with old and new fingerprints."""
    config = _https(call, args.connection)
    if config.verify_ssl:
        raise ToolFailure(f"{config.alias}: TLS is verified against CAs; pins are for verify_ssl=false connections")
    if config.pin_dir is None:
        raise NotConfigured("no pin folder: set ODOO_MCP_TLS_PIN_DIR")
    old = read_pin(config.pin_dir, config.url)
    old_sha = describe_pem(old)["sha256"] if old else None
    pem = presented(config.url, config.timeout)
    new = describe_pem(pem)
    if args.fingerprint and args.fingerprint.upper() != new["sha256"]:
        raise PinRefused(f"{config.alias}: the server presents {new['sha256']}, not the expected fingerprint; "
                         "nothing pinned")
    if old_sha == new["sha256"]:
        return {"connection": config.alias, "pinned": True, "changed": False, "sha256": old_sha}
    flag = pin_write_allowed(call)
    if call.approved:  # the human approved the certificate the question showed: pin that one or nothing
        shown = _shown(call).take((config.alias, config.url))
        if shown != new["sha256"]:
            raise PinRefused(f"{config.alias}: the server now presents {new['sha256']}, not the certificate the "
                             f"approval showed ({shown or 'none shown'}); nothing pinned")
    if not (call.approved or flag):
        raise PinRefused(f"{config.alias}: pinning {new['sha256']} (previous: {old_sha or 'none'}) needs a human's "
                         f"approval (policy action require_approval for odoo_cert_refresh) or {PIN_FLAG}=1; "
                         "nothing pinned")
    path = write_pin(config.pin_dir, config.url, pem)
    odoo_pool(call).reopen(config.alias, owner=call.caller.grant)
    return {"connection": config.alias, "pinned": True, "changed": True, "previous_sha256": old_sha,
            "sha256": new["sha256"], "subject": new["subject"], "not_after": new["not_after"],
            "pin_file": path.name, "authority": "approval" if call.approved else PIN_FLAG}
