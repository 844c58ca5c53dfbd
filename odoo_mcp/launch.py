"""The `odoo-mcp` command's entry point: a stdio start answers from the listing cache first.

On `odoo-mcp serve` over pipes, when the last start with the same inputs left its tool list in
the cache (`listing_cache`), this module answers the client's `initialize` and first
`tools/list` from it — with nothing imported but the standard library — and only then imports
the server, which builds the guard as always and takes the session over: the lines read here are
replayed to it and the requests answered here are not answered twice (`odoo_mcp.wire.stdio`). Any
other first message, or any other command, goes straight to `odoo_mcp.cli` untouched.

Measured by `bench/bench_cold_start.py` (spawn → first `tools/list` answer, cache cold and warm).
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from odoo_mcp.wire import handshake, listing_cache

READ_SIZE = 1 << 16


@dataclass
class Handoff:
    """What the launcher did before the server existed, for the server to carry on from.

    `key` is the listing cache's key of this start (the server stores its list under it);
    `lines` were read from stdin and must be replayed to the SDK, `rest` is what was read after
    them (a partial line); `answered` maps request ids to the results already sent; `entry` is
    the cache entry used, if any; `ended` says stdin closed."""

    key: str | None
    entry: dict[str, Any] | None = None
    lines: list[str] = field(default_factory=list)
    rest: bytes = b""
    answered: dict[Any, Any] = field(default_factory=dict)
    ended: bool = False


def _pipes() -> bool:
    """stdin and stdout are pipes or sockets: what the event-loop stdio serves (and replays to)."""
    try:
        return all(stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) for mode in (os.fstat(0).st_mode, os.fstat(1).st_mode))
    except OSError:
        return False


def _send(message: dict[str, Any]) -> None:
    data = memoryview(json.dumps(message, separators=(",", ":")).encode() + b"\n")
    while data:
        data = data[os.write(1, data):]


def answer_from_cache(argv: Sequence[str], env: Mapping[str, str]) -> Handoff | None:
    """Answer `initialize` and the first `tools/list` from the cache where possible (see the module)."""
    if sys.platform == "win32" or env.get("ODOO_MCP_EARLY_ANSWERS", "1") == "0" or not _pipes():
        return None
    key = listing_cache.cache_key(argv, env)
    if key is None:
        return None
    handoff = Handoff(key=key, entry=listing_cache.load(key, env))
    if handoff.entry is None:
        return handoff  # the server answers as before, and keeps its list for the next start
    buffer = b""
    initialized = False
    while True:
        while b"\n" not in buffer:
            chunk = os.read(0, READ_SIZE)
            if not chunk:
                handoff.rest, handoff.ended = buffer, True
                return handoff
            buffer += chunk
        raw, buffer = buffer.split(b"\n", 1)
        line = raw.decode("utf-8", errors="replace") + "\n"
        handoff.lines.append(line)
        handoff.rest = buffer
        try:
            message = json.loads(line)
        except ValueError:
            return handoff
        if not initialized:
            result = handshake.early_initialize(message)
            if result is None:
                return handoff
            initialized = True
        elif handshake.is_initialized_notification(message):
            continue
        elif handshake.is_first_page_request(message):
            result = handoff.entry["tools"]
        else:
            return handoff
        handoff.answered[message["id"]] = result
        _send(handshake.response(message["id"], result))
        if result is handoff.entry["tools"]:
            return handoff


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    handoff = answer_from_cache(args, os.environ)
    from odoo_mcp.cli import main as cli_main  # the server itself: imported once the client has its list

    return cli_main(args, handoff=handoff)
