"""Sealing people's Odoo credentials at rest, and signing the sign-in form's CSRF token.

A signed-in person's password or API key is needed on every Odoo call made as them, so it is
kept — sealed with AES-256-GCM (`cryptography`), never in clear, never in a token, never in a
log. The row's grant is the associated data: a sealed secret copied onto another person's row
does not open. The key: `ODOO_MCP_OAUTH_KEY` (the secret itself, at least 32 characters) or a
key file (`ODOO_MCP_OAUTH_KEY_FILE`, default `<state dir>/oauth.key`), created 0600 with 32
random bytes on first start and refused when others can read it — the approval key's rules
(`odoo_mcp.approvals.key.load_key`). Two keys are derived from it with HKDF, one for sealing, one for
the CSRF MAC, so neither use can stand in for the other.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from odoo_mcp.approvals.key import MIN_KEY_LENGTH, ApprovalKeyError, load_key
from odoo_mcp.config import ConfigError

NONCE_BYTES = 12


def load_oauth_key(env: Mapping[str, str], state_dir: Path | None) -> bytes:
    """The OAuth key, or ConfigError (the server refuses to start)."""
    value = (env.get("ODOO_MCP_OAUTH_KEY") or "").strip()
    if value:
        if len(value) < MIN_KEY_LENGTH:
            raise ConfigError(f"ODOO_MCP_OAUTH_KEY: must be at least {MIN_KEY_LENGTH} characters")
        return value.encode("utf-8")
    named = (env.get("ODOO_MCP_OAUTH_KEY_FILE") or "").strip()
    path = Path(named).expanduser() if named else (state_dir / "oauth.key" if state_dir else None)
    if path is None:
        raise ConfigError("no OAuth key: set ODOO_MCP_OAUTH_KEY, ODOO_MCP_OAUTH_KEY_FILE or ODOO_MCP_STATE_DIR")
    try:
        return load_key(path)
    except ApprovalKeyError as exc:
        raise ConfigError(str(exc).replace("approval key file", "OAuth key file")) from None


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"odoo-guard-mcp " + purpose).derive(key)


class Sealer:
    """Seal and open short secrets bound to a grant; MAC the sign-in form's CSRF token."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(_derive(key, b"credentials"))
        self._mac = _derive(key, b"csrf")

    def seal(self, secret: str, grant: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret.encode("utf-8"), grant.encode("utf-8"))

    def open(self, sealed: bytes, grant: str) -> str | None:
        """The secret, or None when `sealed` was not sealed for `grant` with this key."""
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], grant.encode("utf-8")).decode()
        except (InvalidTag, ValueError):
            return None

    def csrf(self, *parts: str) -> str:
        return hmac.new(self._mac, "\x00".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_ok(self, offered: str, *parts: str) -> bool:
        return hmac.compare_digest(offered.encode("utf-8", "replace"), self.csrf(*parts).encode())
