"""The example policies shipped inside the package, for `odoo-mcp policy init --example NAME`.

They live in `odoo_mcp/examples/` (package data), so an installed copy (pipx, `uv tool install`)
has them too. An example's name is its file name without the extension; its `description`
says what it is for.
"""

from __future__ import annotations

import json
import sys
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

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


def write_example(name: str, output: str | None) -> int:
    """`policy init --example [NAME] [FILE]`: list the examples (no NAME), or write one to FILE (never over an
    existing file) or stdout."""
    shipped = examples()
    if not name:
        print("example policies (odoo-mcp policy init --example NAME [FILE]):")
        for example, entry in shipped.items():
            print(f"  {example:<26} {summary(entry)}")
        return 0
    entry = shipped.get(name)
    if entry is None:
        print(f"policy init: no example named {name!r}; the examples are: {', '.join(shipped)}", file=sys.stderr)
        return 1
    text = entry.read_text(encoding="utf-8")
    if output in (None, "-"):
        sys.stdout.write(text)
        return 0
    target = Path(output)
    try:
        with target.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        print(f"policy init: {target} exists; not overwritten", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"policy init: cannot write {target}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"wrote {target} (example {name!r}); check it with: odoo-mcp policy check {target}")
    return 0
