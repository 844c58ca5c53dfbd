"""What the MCP SDK costs per call before any tool work: a stdlib JSON-RPC loop against a bare MCPServer.

    python -m bench.bench_floor                 # instant and 15 ms, best of 7 rounds of 200 calls

The fastest peer of `bench_peers` (odoo-mcp-tools) has no dependencies: it speaks MCP with its
own stdlib code. This server must serve every call through the `mcp` SDK's `MCPServer`. Both
floors answer the same `read` tool (wait, then 8,000 characters) through the official `mcp`
client over stdio, once answering at once and once after `--wait-ms` (15: a typical Odoo
read), rounds interleaved, and the SDK's figure is printed as a ratio to the stdlib loop's,
measured in the same run. The difference is what the SDK's per-message path costs a call. The
same tool behind the guard (allowed, no audit sink) is measured twice more: every `tools/call`
through the SDK, and answered by this server's fast path (`odoo_mcp/wire/fast_call.py`), which
leaves the SDK's per-message path out for a native tool's plain call.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KINDS = {
    "stdlib": "stdlib JSON-RPC loop (a server without the SDK)",
    "sdk": "bare MCPServer (mcp 2.x) on odoo_mcp.wire.stdio",
    "guard-sdk": "the tool behind the guard (no audit sink), tools/call through the SDK",
    "guard-fast": "the same, tools/call without the SDK's per-message path (wire/fast_call.py)",
}


async def floors(wait_ms: float, rounds: int, calls: int) -> dict[str, float]:
    """Best ms per call of each kind, rounds interleaved (A B A B …)."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    best = dict.fromkeys(KINDS, float("inf"))
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for kind in KINDS:
            args = ["-m", "bench.noop_servers", kind, str(wait_ms)]
            params = StdioServerParameters(command=sys.executable, args=args, cwd=str(REPO))
            # the handshake era, as bench_peers' client and desktop clients speak (fast_call serves no other)
            clients[kind] = await stack.enter_async_context(Client(params, mode="legacy"))
            for _ in range(20):
                await clients[kind].call_tool("read", {})
        for _ in range(rounds):
            for kind, client in clients.items():
                started = time.perf_counter()
                for _ in range(calls):
                    result = await client.call_tool("read", {})
                    if result.is_error:
                        raise RuntimeError(f"{kind}: {result.content}")
                best[kind] = min(best[kind], (time.perf_counter() - started) * 1000 / calls)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--wait-ms", type=float, default=15.0)
    opts = parser.parse_args(argv)
    print(f"protocol floor: best of {opts.rounds} interleaved rounds of {opts.calls} calls, 8,000-character answer")
    print(f"| server | ms/call, instant | ratio | ms/call, tool waiting {opts.wait_ms:g} ms | ratio |")
    print("|---|---|---|---|---|")
    instant = asyncio.run(floors(0, opts.rounds, opts.calls))
    waiting = asyncio.run(floors(opts.wait_ms, opts.rounds, opts.calls))
    for kind, label in KINDS.items():
        print(f"| {label} | {instant[kind]:.3f} | {instant[kind] / instant['stdlib']:.2f} | "
              f"{waiting[kind]:.2f} | {waiting[kind] / waiting['stdlib']:.3f} |")
    print(f"The SDK's own cost per call: {instant['sdk'] - instant['stdlib']:.2f} ms instant, "
          f"{waiting['sdk'] - waiting['stdlib']:.2f} ms when the tool waits {opts.wait_ms:g} ms.")
    fast = instant["guard-fast"] - instant["guard-sdk"], waiting["guard-fast"] - waiting["guard-sdk"]
    print(f"The fast path behind the guard against the SDK's path: {fast[0]:+.2f} ms instant, "
          f"{fast[1]:+.2f} ms when the tool waits {opts.wait_ms:g} ms.")


if __name__ == "__main__":
    main()
