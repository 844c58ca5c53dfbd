"""The one source of the name rules: Odoo module names and connection aliases.

Every layer that checks such a name (the tools' argument models, the manifest scanner, the
connections file) builds its check from these patterns, so the rules cannot drift apart.
The patterns are written for a full match; argument models anchor them (`^...$`), which
pydantic's Rust engine matches only at the very end (no trailing newline slips through).
"""

from __future__ import annotations

import re

MODULE_NAME = r"[a-z0-9][a-z0-9_]{0,99}"
"""An Odoo technical module name: lowercase ASCII letters, digits and '_', not starting with '_'."""
ALIAS = r"[A-Za-z0-9_.-]{1,64}"
"""A connection alias: ASCII letters, digits, '_', '.', '-'; at most 64 characters."""

MODULE_NAME_RE = re.compile(MODULE_NAME)
ALIAS_RE = re.compile(ALIAS)


def anchored(pattern: str) -> str:
    """`pattern` for a pydantic `Field(pattern=...)`, which searches rather than full-matches."""
    return f"^{pattern}$"


def is_module_name(value: str) -> bool:
    return bool(MODULE_NAME_RE.fullmatch(value))


def is_alias(value: str) -> bool:
    return bool(ALIAS_RE.fullmatch(value))
