"""The guard's cost: (a) per decision, in process; (b) stdio throughput, guarded vs bare.

(a) times one guarded call of a no-op handler — policy gate, pydantic validation,
conditions, a moving-window limit hit and one audit line written to a file — against
calling the handler directly, and reports the difference per decision (median, p99).
(b) drives two stdio servers with the real `mcp` client: a bare MCPServer with a no-op
tool and our server with the same tool behind the guard (policy with a condition and a
limit, audit to a file). Stdio throughput of two identical servers differs by up to 20%
between single runs on a shared 2-core machine, so rounds are interleaved and the best
of each side is compared.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from bench.noop_servers import NOOP, NoopArgs, noop_async
from guard.audit import AuditLog
from guard.guard import Guard
from guard.limiter import Limiter
from guard.policy import parse_policy
from guard.spec import Call, Caller

REPO = Path(__file__).resolve().parent.parent
LIMIT_MAX = 1000
"""A policy-sized limit for the stdio runs. The decision benchmark runs with max 10 and 10,000 and
resets the counter (untimed) every `max` calls, so the timed calls meet counters holding from 0
to `max` hits: the guard's own cost must not grow with `max`."""


def policy_with(limit_max: int) -> dict:
    return {
        "version": "1",
        "default": "deny",
        "tools": {
            "noop": {
                "deny_if": [{"arg": "value", "op": "lt", "value": 0}],
                "limits": [{"counter": "noop_rate", "window": "hour", "max": limit_max, "scope": "grant"}],
            }
        },
    }


POLICY = policy_with(LIMIT_MAX)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def decision_cost(calls: int = 20_000, limit_max: int = LIMIT_MAX) -> tuple[float, float, float, float]:
    """Median and p99 µs of a guarded call and of the bare handler call."""
    with tempfile.TemporaryDirectory() as tmp:
        audit = AuditLog(Path(tmp) / "audit.jsonl", stderr=False)
        guard = Guard(parse_policy(policy_with(limit_max)), limiter=Limiter(), audit=audit)
        tool = guard.wrap(NOOP)
        caller = Caller()
        guarded: list[float] = []
        bare: list[float] = []
        call = Call(caller=caller, runtime=None)
        for index in range(calls):
            if index % limit_max == limit_max - 1:
                guard.limiter.reset()
            started = time.perf_counter()
            await noop_async(NoopArgs(value=index), call)
            bare.append((time.perf_counter() - started) * 1e6)
            started = time.perf_counter()
            result = await tool({"value": index}, caller)
            guarded.append((time.perf_counter() - started) * 1e6)
            assert not result.is_error, result.text
        audit.close()
    return (
        statistics.median(guarded),
        percentile(guarded, 0.99),
        statistics.median(bare),
        percentile(bare, 0.99),
    )


async def throughput(args: list[str], calls: int) -> float:
    """Calls per second of `calls` sequential no-op calls over stdio."""
    params = StdioServerParameters(command=sys.executable, args=args, cwd=str(REPO))
    async with Client(params) as client:
        for warm in range(20):
            await client.call_tool("noop", {"value": warm})
        started = time.perf_counter()
        for index in range(calls):
            result = await client.call_tool("noop", {"value": index})
            if result.is_error:
                raise RuntimeError(result.content)
        return calls / (time.perf_counter() - started)


async def stdio_throughputs(rounds: int = 15, calls: int = 400) -> dict[str, float]:
    """Best calls/s of each server kind, rounds interleaved."""
    with tempfile.TemporaryDirectory() as tmp:
        policy = Path(tmp) / "policy.json"
        policy.write_text(json.dumps(POLICY))
        allow = Path(tmp) / "allow.json"
        allow.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"noop": {}}}))
        kinds = {
            "bare": ["bare"],
            "minimal": ["minimal", str(allow)],
            "guarded": ["guarded", str(policy), str(Path(tmp) / "audit.jsonl")],
        }
        best = dict.fromkeys(kinds, 0.0)
        for _ in range(rounds):
            for kind, args in kinds.items():
                best[kind] = max(best[kind], await throughput(["-m", "bench.noop_servers", *args], calls))
    return best


def main() -> None:
    for limit_max in (10, 10_000):
        median, p99, bare_median, bare_p99 = asyncio.run(decision_cost(limit_max=limit_max))
        print(f"guard: cost per decision, limit max {limit_max:,} (in process, audit lines to a file, 20,000 calls)")
        print(f"  guarded call   median {median:7.1f} µs   p99 {p99:7.1f} µs")
        print(f"  bare handler   median {bare_median:7.1f} µs   p99 {bare_p99:7.1f} µs")
        print(f"  guard's own    median {median - bare_median:7.1f} µs")
    best = asyncio.run(stdio_throughputs())
    bare = best["bare"]
    print("guard: no-op tool-call throughput over stdio (best of 15 interleaved rounds of 400 calls)")
    print(f"  bare MCPServer                                  {bare:6.0f} calls/s  1.000")
    floor = best["minimal"]
    print(f"  guarded, floor (one tool, allow, no audit sink) {floor:6.0f} calls/s  {floor / bare:.3f}")
    from odoo_mcp.families import all_specs

    print(
        f"  guarded, as deployed ({len(all_specs()) + 1} tools, deny_if + limit, audit file) "
        f"{best['guarded']:6.0f} calls/s  {best['guarded'] / bare:.3f}  (target >= 0.95)"
    )


if __name__ == "__main__":
    main()
