"""`odoo-mcp audit verify FILE`: check an audit file's hash chain and say where it breaks.

Kept out of cli.py (one hook line there). The chain and its check are `guard/audit_chain.py`;
this module reads the file (twice, line by line: a large log is never held in memory) and
prints one line per break, `FILE:LINE: what`, then a summary. Exit 0 when the chain is intact,
1 when it breaks anywhere, 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from guard.audit_chain import verify

EXIT_BROKEN = 1
EXIT_UNREADABLE = 2


def _verify(args: argparse.Namespace) -> int:
    path = Path(args.file)

    def read_lines() -> Iterator[bytes]:
        with path.open("rb") as handle:
            yield from handle

    try:
        verdict = verify(read_lines)
    except OSError as exc:
        print(f"audit verify: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    for found in verdict.breaks:
        print(f"{path}:{found.line}: {found.what}")
    if verdict.breaks:
        print(f"{path}: chain broken at {len(verdict.breaks)} place(s) in {verdict.records} records")
        return EXIT_BROKEN
    print(f"{path}: chain intact, {verdict.records} records")
    return 0


def add_commands(commands: Any) -> None:
    """Add `audit verify` to the top-level commands."""
    audit = commands.add_parser("audit", help="check an audit log").add_subparsers(
        dest="audit_command", required=True
    )
    check = audit.add_parser("verify", help="check the hash chain of an audit file; say where it breaks")
    check.add_argument("file")
    check.set_defaults(run=_verify)
