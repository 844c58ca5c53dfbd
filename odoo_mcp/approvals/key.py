"""The approval key: the secret every signed ticket and sealed approval record is keyed with.

`ODOO_MCP_APPROVAL_KEY` (the secret itself, at least 32 characters) or a key file
(`ODOO_MCP_APPROVAL_KEY_FILE`, default `<state dir>/approval.key`), created with 32 random bytes
(hex) and mode 0600 on first start when absent. A key file others can read is refused (fail
closed). The key is never logged, audited or sent. The OAuth sealing key is read the same way
(`odoo_mcp/oauth/sealing.py`).
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from odoo_mcp.config import ApprovalSettings, ConfigError

MIN_KEY_LENGTH = 32


class ApprovalKeyError(ValueError):
    """The approval key cannot be used; the server refuses to start and says why."""


def load_key(path: Path | None, env_value: str | None = None) -> bytes:
    """The HMAC key: from the environment value if set, else from `path` (created if absent).

    The file is created exclusively (`O_EXCL`) with mode 0600, so two servers starting at
    once never write two different keys: the loser reads the winner's.
    """
    if env_value is not None and env_value.strip():
        key = env_value.strip().encode("utf-8")
        if len(key) < MIN_KEY_LENGTH:
            raise ApprovalKeyError(f"ODOO_MCP_APPROVAL_KEY: must be at least {MIN_KEY_LENGTH} characters")
        return key
    if path is None:
        raise ApprovalKeyError("no approval key: set ODOO_MCP_APPROVAL_KEY or ODOO_MCP_APPROVAL_KEY_FILE")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise ApprovalKeyError(f"approval key file {path}: cannot create it ({exc.strerror})") from None
    else:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ApprovalKeyError(
                f"approval key file {path}: readable by others (mode {stat.S_IMODE(mode):o}); chmod 600 it"
            )
        key = path.read_bytes().strip()
    except OSError as exc:
        raise ApprovalKeyError(f"approval key file {path}: {exc.strerror}") from None
    if len(key) < MIN_KEY_LENGTH:
        raise ApprovalKeyError(f"approval key file {path}: the key must be at least {MIN_KEY_LENGTH} bytes")
    return key


def load_approval_key(config: ApprovalSettings, env: Mapping[str, str]) -> bytes:
    """The approval key, or ConfigError (the server refuses to start); a random one without a state dir."""
    if config.state_dir is None and not env.get("ODOO_MCP_APPROVAL_KEY"):
        return os.urandom(32)
    try:
        return load_key(config.key_file, env.get("ODOO_MCP_APPROVAL_KEY"))
    except ApprovalKeyError as exc:
        raise ConfigError(str(exc)) from None
