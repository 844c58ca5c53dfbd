"""Where one tool call's time goes inside this server: a timestamp trace of every step.

    python -m bench.trace_call                          # odoo_search_read, JSON-RPC, Odoo taking 15 ms
    python -m bench.trace_call --protocol json2 --delay-ms 0 --calls 300
    ODOO_MCP_FAST_CALLS=0 python -m bench.trace_call   # every tools/call through the SDK's path

The server (`odoo-mcp serve`, the configuration of `bench_peers`: one tool allowed under a rate
limit, every call audited to a file) is started with probes around the steps of a call — the
line read from stdin, the SDK's dispatch, task, request handler, middleware, `MCPServer`'s tool
call, the guard, its audit records, the worker-thread hop (or the Odoo request sent from the
event loop), the handler, the result conversion, the answer written — and asked `--calls` times
the `bench_peers` question against the Odoo stand-in. Each probe records the wall clock and the
CPU time of its own thread; the report gives, per step, the median wall time, the median CPU
time (when both ends ran on one thread) and the median number of times the event loop went back
to its selector in between (each a pass of the loop). Steps that only exist in one version of the code are left out.

A diagnostic, not a benchmark: the probes wrap the SDK's internal methods (they cost ~1 µs each
and change nothing else), so a newer SDK may need new probe points. Read the CPU column on a
loaded machine: wall time there is mostly waiting for a core.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EVENTS: list[tuple[str, int, int, int]] = []


# ---------------------------------------------------------------------------------------------
# In the server process
# ---------------------------------------------------------------------------------------------
def _mark(name: str) -> None:
    EVENTS.append((name, time.perf_counter_ns(), threading.get_ident(), time.thread_time_ns()))


def _wrap(owner: Any, attr: str, name: str) -> None:
    function = getattr(owner, attr, None)
    if function is None:
        return
    if asyncio.iscoroutinefunction(function):
        @functools.wraps(function)
        async def probe(*args: Any, **kwargs: Any) -> Any:
            _mark(name + ">")
            try:
                return await function(*args, **kwargs)
            finally:
                _mark(name + "<")
    else:
        @functools.wraps(function)
        def probe(*args: Any, **kwargs: Any) -> Any:
            _mark(name + ">")
            try:
                return function(*args, **kwargs)
            finally:
                _mark(name + "<")
    setattr(owner, attr, probe)


def _install_probes() -> None:
    import selectors

    import anyio.to_thread
    import mcp.server.mcpserver.server as mcpserver
    import mcp.server.mcpserver.tools.base as tools_base
    import mcp.server.runner as runner
    import mcp.shared.jsonrpc_dispatcher as dispatcher

    import guard.guard as guard
    import odoo_client.aio_http as aio_http
    import odoo_mcp.server as server
    import odoo_mcp.wire.stdio as stdio

    try:
        import odoo_mcp.wire.fast_call as fast_call
    except ImportError:  # a checkout from before the fast path
        fast_call = None  # type: ignore[assignment]

    read_line = stdio._Lines.__anext__

    async def line(self: Any) -> str:
        text = await read_line(self)
        _mark("line")
        return text

    stdio._Lines.__anext__ = line
    _wrap(stdio._Writer, "write_line", "write")
    _wrap(stdio._Writer, "write", "write")
    _wrap(stdio._Writer, "answer", "write")  # an answer of the fast path (odoo_mcp/wire/fast_call.py)
    if fast_call is not None:
        _wrap(fast_call.FastPath, "take", "fast_take")
        _wrap(fast_call.FastCalls, "answer", "fast_answer")
    _wrap(dispatcher.JSONRPCDispatcher, "_dispatch", "dispatch")
    _wrap(dispatcher.JSONRPCDispatcher, "_handle_request", "task")
    _wrap(dispatcher.JSONRPCDispatcher, "_write_result", "write_result")
    _wrap(runner.ServerRunner, "_on_request", "on_request")
    _wrap(mcpserver.MCPServer, "_handle_call_tool", "handle_call_tool")
    _wrap(tools_base.Tool, "run", "tool_run")
    _wrap(guard.GuardedTool, "__call__", "guard")
    _wrap(guard.GuardedTool, "_validate", "validate")
    _wrap(guard.Guard, "write_intent", "intent")
    _wrap(guard.Guard, "_audit", "outcome")
    _wrap(server, "to_call_result", "to_call_result")
    _wrap(aio_http.AsyncConnections, "request", "odoo_request")  # the Odoo request sent from the event loop
    middleware = server._unknown_tool_middleware

    def traced_middleware(*args: Any, **kwargs: Any) -> Any:
        inner = middleware(*args, **kwargs)

        async def probe(ctx: Any, call_next: Any) -> Any:
            _mark("middleware>")
            try:
                return await inner(ctx, call_next)
            finally:
                _mark("middleware<")

        return probe

    server._unknown_tool_middleware = traced_middleware
    run_sync = anyio.to_thread.run_sync

    async def hop(function: Any, *args: Any, **kwargs: Any) -> Any:
        def in_thread(*inner: Any) -> Any:
            _mark("thread>")
            try:
                return function(*inner)
            finally:
                _mark("thread<")

        _mark("to_thread>")
        try:
            return await run_sync(in_thread, *args, **kwargs)
        finally:
            _mark("to_thread<")

    anyio.to_thread.run_sync = hop
    select = selectors.EpollSelector.select

    def selector(self: Any, timeout: float | None = None) -> Any:
        _mark("idle>")
        try:
            return select(self, timeout)
        finally:
            _mark("idle<")

    selectors.EpollSelector.select = selector  # type: ignore[method-assign]


def serve(out: str) -> None:
    _install_probes()
    from odoo_mcp.launch import main

    sys.argv = ["odoo-mcp", "serve"]
    try:
        main()
    finally:
        Path(out).write_text(json.dumps(EVENTS))


# ---------------------------------------------------------------------------------------------
# In the client process
# ---------------------------------------------------------------------------------------------
async def drive(protocol: str, delay_ms: float, calls: int, out: Path) -> float:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    from bench import bench_peers as peers

    work = Path(tempfile.mkdtemp(prefix="trace-call-"))
    (work / "logs").mkdir()
    stand_in = peers.StandIn(peers.default_stand_in(), "19.0" if protocol == "json2" else "17.0", delay_ms,
                             work / "logs" / "stand-in.stderr")
    try:
        ours = next(s for s in peers.servers(work / "no-peers") if s.key == f"guard-{protocol}")
        _, env, cwd = peers.prepare(ours, work, stand_in.url)
        params = StdioServerParameters(command=sys.executable, args=["-m", "bench.trace_call", "--serve", str(out)],
                                       env={**os.environ, **env, "PYTHONPATH": str(REPO)}, cwd=cwd)
        with (work / "logs" / "server.stderr").open("w") as err:
            async with stdio_client(params, errlog=err) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                await session.list_tools()
                for _ in range(20):
                    await session.call_tool(ours.tool, ours.args)
                started = time.perf_counter()
                for _ in range(calls):
                    result = await session.call_tool(ours.tool, ours.args)
                    if result.is_error:
                        raise RuntimeError(str(result.content)[:300])
                return (time.perf_counter() - started) * 1000 / calls
    finally:
        stand_in.stop()


def report(events: list[list[Any]], skip: int) -> str:
    """Median wall µs, CPU µs and loop passes between consecutive probes of each tools/call."""
    calls: list[list[list[Any]]] = []
    for event in events:
        if event[0] == "line":
            calls.append([event])
        elif calls:
            calls[-1].append(event)
    calls = [c for c in calls if any(e[0] == "guard>" for e in c) and any(e[0] == "write<" for e in c)][skip:]
    calls = [c[: max(i for i, e in enumerate(c) if e[0] == "write<") + 1] for c in calls]
    steps: dict[str, dict[str, list[float]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    order: list[str] = []
    for call in calls:
        named = [e for e in call if not e[0].startswith("idle")]
        for before, after in itertools.pairwise(named):
            key = f"{before[0]} → {after[0]}"
            if key not in order:
                order.append(key)
            steps[key]["wall"].append((after[1] - before[1]) / 1000)
            if before[2] == after[2]:
                steps[key]["cpu"].append((after[3] - before[3]) / 1000)
            steps[key]["passes"].append(sum(1 for e in call if e[0] == "idle>" and before[1] <= e[1] <= after[1]))
    lines = [f"{len(calls)} calls", "| step | wall µs | CPU µs | loop passes |", "|---|---|---|---|"]
    for key in order:
        step = steps[key]
        if len(step["wall"]) < 0.8 * len(calls):
            continue
        cpu = f"{statistics.median(step['cpu']):.0f}" if len(step["cpu"]) >= 0.8 * len(calls) else "–"
        lines.append(f"| {key} | {statistics.median(step['wall']):.0f} | {cpu} | "
                     f"{statistics.median(step['passes']):.0f} |")
    totals = [(c[-1][1] - c[0][1]) / 1000 for c in calls]
    lines.append(f"| line read → answer written | {statistics.median(totals):.0f} | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--protocol", default="jsonrpc", choices=["jsonrpc", "json2", "xmlrpc"])
    parser.add_argument("--delay-ms", type=float, default=15.0)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.serve:
        serve(opts.serve)
        return
    out = Path(tempfile.mkdtemp(prefix="trace-call-")) / "events.json"
    load = os.getloadavg()[0]
    ms = asyncio.run(drive(opts.protocol, opts.delay_ms, opts.calls, out))
    print(f"{opts.protocol}, Odoo taking {opts.delay_ms:g} ms, {opts.calls} calls, {ms:.2f} ms per call with the "
          f"probes, load average {load:.2f} → {os.getloadavg()[0]:.2f}")
    print(report(json.loads(out.read_text()), skip=10))


if __name__ == "__main__":
    main()
