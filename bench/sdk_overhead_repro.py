"""Minimal reproduction of the MCP Python SDK's per-call cost (for docs/upstream-sdk-overhead.md).

    python bench/sdk_overhead_repro.py              # tool waiting 15 ms, then instant; 5 rounds of 200 calls
    python bench/sdk_overhead_repro.py --wait-ms 0 --rounds 3 --calls 100

Needs only the `mcp` package (2.x) and the standard library: no code of this project. The same
`read` tool (wait, then answer 8,000 characters as one text block, no structured output) is
served four ways, each in its own process, and called through the same official client
(`mcp.Client` over stdio), rounds interleaved (A B C D A B C D …), best round kept:

- `stdlib`: a blocking JSON-RPC loop on stdin/stdout (what a server without the SDK does);
- `sdk-async`: a bare `MCPServer`, `run("stdio")`, async tool awaiting `anyio.sleep`;
- `sdk-sync`: the same with a sync tool (`time.sleep`): the SDK runs it on a worker thread;
- `sdk-inline`: an async tool that blocks (`time.sleep`): no thread, no timer, only the SDK's own path.

Besides wall-clock ms per call it prints, per call, the server process's CPU (user + system,
all threads, from /proc) and its context switches (voluntary: the times a thread went to sleep
and had to be woken): both move far less with the machine's load than wall-clock time does.
Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from pathlib import Path

ANSWER = "x" * 8000
KINDS = ("stdlib", "sdk-async", "sdk-sync", "sdk-inline")


# ---------------------------------------------------------------------------------------------
# The servers
# ---------------------------------------------------------------------------------------------
def serve_stdlib(wait: float) -> None:
    tool = {"name": "read", "description": "Wait, then answer.", "inputSchema": {"type": "object"}}
    for line in sys.stdin.buffer:
        message = json.loads(line)
        if "id" not in message:
            continue
        method = message.get("method")
        if method == "initialize":
            result: dict = {"protocolVersion": message["params"]["protocolVersion"], "capabilities": {"tools": {}},
                            "serverInfo": {"name": "stdlib", "version": "0"}}
        elif method == "tools/list":
            result = {"tools": [tool]}
        elif method == "tools/call":
            time.sleep(wait)
            result = {"content": [{"type": "text", "text": ANSWER}], "isError": False}
        else:
            result = {}
        sys.stdout.buffer.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}).encode() + b"\n")
        sys.stdout.buffer.flush()


def serve_sdk(kind: str, wait: float) -> None:
    import anyio
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("repro", log_level="WARNING")
    if kind == "sdk-async":
        async def read() -> str:
            """Wait, then answer."""
            await anyio.sleep(wait)
            return ANSWER
    elif kind == "sdk-sync":
        def read() -> str:  # type: ignore[misc]
            """Wait, then answer."""
            time.sleep(wait)
            return ANSWER
    else:
        async def read() -> str:  # type: ignore[misc]
            """Wait, then answer."""
            time.sleep(wait)
            return ANSWER
    server.tool(structured_output=False)(read)
    server.run("stdio")


# ---------------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------------
def _children() -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                    found.add(int(entry.name))
    return found


def _usage(pids: set[int]) -> tuple[float, int]:
    """CPU seconds and voluntary context switches of the processes, all threads."""
    cpu, switches = 0.0, 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{pid}/task").iterdir():
                for line in (task / "status").read_text().splitlines():
                    if line.startswith("voluntary_ctxt_switches"):
                        switches += int(line.split()[1])
    return cpu, switches


async def measure(wait_ms: float, rounds: int, calls: int) -> dict[str, tuple[float, float, float]]:
    """Per kind: best ms per call, server CPU ms per call, voluntary context switches per call."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    best = dict.fromkeys(KINDS, float("inf"))
    cpu = dict.fromkeys(KINDS, 0.0)
    switches = dict.fromkeys(KINDS, 0)
    async with contextlib.AsyncExitStack() as stack:
        clients, pids = {}, {}
        for kind in KINDS:
            before = _children()
            params = StdioServerParameters(command=sys.executable, args=[__file__, "--serve", kind, str(wait_ms)])
            clients[kind] = await stack.enter_async_context(Client(params))
            pids[kind] = _children() - before
            for _ in range(20):
                await clients[kind].call_tool("read", {})
        for _ in range(rounds):
            for kind, client in clients.items():
                used, woken = _usage(pids[kind])
                started = time.perf_counter()
                for _ in range(calls):
                    result = await client.call_tool("read", {})
                    if result.is_error or result.content[0].text != ANSWER:
                        raise RuntimeError(f"{kind}: wrong answer")
                best[kind] = min(best[kind], (time.perf_counter() - started) * 1000 / calls)
                after, woken_after = _usage(pids[kind])
                cpu[kind] += after - used
                switches[kind] += woken_after - woken
    return {kind: (best[kind], cpu[kind] * 1000 / (rounds * calls), switches[kind] / (rounds * calls))
            for kind in KINDS}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--wait-ms", type=float, action="append", help="repeatable; default 15 and 0")
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "WAIT_MS"), help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.serve:
        kind, wait = opts.serve[0], float(opts.serve[1]) / 1000
        serve_stdlib(wait) if kind == "stdlib" else serve_sdk(kind, wait)
        return
    from importlib.metadata import version

    import mcp  # noqa: F401 - fail early without the SDK

    for wait_ms in opts.wait_ms or [15.0, 0.0]:
        load = os.getloadavg()[0]
        figures = asyncio.run(measure(wait_ms, opts.rounds, opts.calls))
        print(f"\nmcp {version('mcp')}, Python {sys.version.split()[0]}, tool waiting {wait_ms:g} ms, best of "
              f"{opts.rounds} interleaved rounds of {opts.calls} calls, load average {load:.2f} → "
              f"{os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
        print("| server | ms/call | ratio to stdlib | server CPU ms/call | voluntary switches/call |")
        print("|---|---|---|---|---|")
        floor = figures["stdlib"][0]
        for kind, (ms, cpu_ms, woken) in figures.items():
            print(f"| {kind} | {ms:.3f} | {ms / floor:.3f} | {cpu_ms:.3f} | {woken:.2f} |")


if __name__ == "__main__":
    main()
