"""The example policies shipped inside the package, for `odoo-mcp policy init --example NAME`.

They live in `odoo_mcp/examples/` (package data), so an installed copy (pipx, `uv tool install`)
has them too. An example's name is its file name without the extension; its `description`
says what it is for.
"""

from __future__ import annotations

import json
from importlib.resources import files
from importlib.resources.abc import Traversable

SUFFIXES = (".json", ".yaml", ".yml")


def _folder() -> Traversable:
    return files("odoo_mcp") / "examples"


def examples() -> dict[str, Traversable]:
    """Every shipped example by name, sorted."""
    found = {entry.name.rsplit(".", 1)[0]: entry for entry in _folder().iterdir() if entry.name.endswith(SUFFIXES)}
    return dict(sorted(found.items()))


def summary(entry: Traversable) -> str:
    """The example's own `description` (JSON examples), or its first comment line (YAML)."""
    text = entry.read_text(encoding="utf-8")
    if entry.name.endswith(".json"):
        return str(json.loads(text).get("description", ""))
    first = next((line for line in text.splitlines() if line.startswith("#")), "")
    return first.lstrip("# ").strip()
