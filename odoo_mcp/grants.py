"""The grants file: each bearer token (kept as its SHA-256) → a grant name, and optionally its own policy.

    {"grants": {
        "alice": "sha256:<64 hex>",                                   # the default policy
        "ci":    {"token": "sha256:<64 hex>", "policy": "ci.yaml"}    # its own policy
    }}

A token may also be written in clear (local experiments; it is hashed on reading, as before).
A relative policy path is read relative to the grants file's folder. Parsing is pure (a
document in, a `GrantsFile` out) so it is tested table-driven; reading the policies is the
server's job (`odoo_mcp.teams.load_grant_policies`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from odoo_mcp.config import ConfigError, beside, read_json_file

HEX = frozenset("0123456789abcdef")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class GrantsFile:
    digests: dict[str, str] = field(default_factory=dict)
    """sha256 hex of a token → grant name."""
    policies: dict[str, Path] = field(default_factory=dict)
    """grant name → its own policy file (grants not here use the server's default policy)."""


def _digest(secret: str, where: str) -> str:
    if secret.startswith("sha256:"):
        digest = secret.removeprefix("sha256:").lower()
        if len(digest) != 64 or not set(digest) <= HEX:
            raise ConfigError(f"{where}: sha256 value must be 64 hex digits")
        return digest
    return token_digest(secret)


def parse_grants(document: Any, source: str, base: Path, section: str = "grants") -> GrantsFile:
    """`document` (the file's JSON) → digests and per-grant policies; any problem is a `ConfigError`."""
    entries = document.get(section) if isinstance(document, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise ConfigError(f'tokens file {source}: expected {{"{section}": {{"<name>": "sha256:<hex>"}}}}')
    result = GrantsFile()
    for grant, entry in entries.items():
        where = f"tokens file {source}: {section}.{grant}"
        policy = None
        if isinstance(entry, dict) and section == "grants":
            unknown = sorted(set(entry) - {"token", "policy"})
            if unknown:
                raise ConfigError(f"{where}: unknown key {unknown[0]!r} (expected token, policy)")
            secret, policy = entry.get("token"), entry.get("policy")
            if policy is not None and (not isinstance(policy, str) or not policy.strip()):
                raise ConfigError(f"{where}.policy: must be a file name")
        else:
            secret = entry
        if not isinstance(secret, str) or not secret:
            raise ConfigError(f"{where}: must be a non-empty string" + (" token" if isinstance(entry, dict) else ""))
        digest = _digest(secret, where)
        if digest in result.digests:
            raise ConfigError(f"{where}: same token as {section}.{result.digests[digest]}")
        result.digests[digest] = grant
        if policy is not None:
            result.policies[grant] = beside(policy, base)
    return result


def read_grants(path: Path, section: str = "grants") -> GrantsFile:
    """The grants (or approvers) file at `path`."""
    return parse_grants(read_json_file(path, "tokens file"), str(path), path.parent, section)
