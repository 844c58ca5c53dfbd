"""Load test for a team deployment: N concurrent HTTP clients, two replicas, one Redis.

`python -m bench.bench_teams [--clients 8] [--seconds 5] [--limit 200]`

Starts a `redis-server` and two `odoo-mcp serve --http --stateless` replicas on loopback
ports, sharing the Redis counters, with a policy that caps `policy_status` at `--limit` calls
per hour for the grant. `--clients` clients (each its own MCP connection, alternating between
the replicas as a load balancer without affinity would) call it as fast as they can for
`--seconds` seconds (a fixed, bounded time). Reported: calls/s, p50/p99 latency of every call
(allowed or refused), and whether the number allowed equals the limit exactly — the property a
shared per-grant limit must keep under concurrency across processes.

On this shared 2-core machine the figures vary from run to run; compare runs, never one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from odoo_mcp.grants import token_digest
from tests.loopback import free_port, wait_for_port

REPO = Path(__file__).resolve().parent.parent


def start(command: list[str], port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, process, timeout=30)
    return process


async def client_loop(url: str, deadline: float, latencies: list[float], outcomes: dict[str, int]) -> None:
    transport = streamable_http_client(
        url, http_client=httpx2.AsyncClient(headers={"Authorization": "Bearer bench-token"}, timeout=30)
    )
    async with Client(transport) as client:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            result = await client.call_tool("policy_status", {})
            latencies.append(time.perf_counter() - started)
            key = "allowed" if not result.is_error else result.content[0].text.split("]")[0] + "]"
            outcomes[key] = outcomes.get(key, 0) + 1


async def drive(urls: list[str], clients: int, seconds: float) -> tuple[list[float], dict[str, int], float]:
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    started = time.perf_counter()
    deadline = started + seconds
    async with anyio.create_task_group() as group:
        for index in range(clients):
            group.start_soon(client_loop, urls[index % len(urls)], deadline, latencies, outcomes)
    return latencies, outcomes, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--limit", type=int, default=200)
    args = parser.parse_args(argv if argv is not None else [])
    redis_binary = shutil.which("redis-server")
    if not redis_binary:
        print("redis-server not found: skipped")
        return 0
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        policy = {
            "version": "1",
            "default": "deny",
            "tools": {
                "policy_status": {
                    "limits": [{"counter": "bench", "window": "hour", "max": args.limit, "scope": "grant"}]
                }
            },
        }
        (folder / "policy.json").write_text(json.dumps(policy))
        (folder / "tokens.json").write_text(json.dumps({"grants": {"bench": "sha256:" + token_digest("bench-token")}}))
        try:
            redis_port = free_port()
            processes.append(start([redis_binary, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "no", "--dir", tmp], redis_port))  # fmt: skip
            urls = []
            env = {**os.environ, "ODOO_MCP_AUDIT_STDERR": "0", "ODOO_MCP_LIMITS_STORAGE": f"redis://127.0.0.1:{redis_port}/0"}
            for _ in range(2):
                port = free_port()
                command = [sys.executable, "-m", "odoo_mcp", "serve", "--http", "--stateless", "--port",
                           str(port), "--policy", str(folder / "policy.json"),
                           "--tokens", str(folder / "tokens.json")]  # fmt: skip
                processes.append(start(command, port, env))
                urls.append(f"http://127.0.0.1:{port}/mcp")
            latencies, outcomes, elapsed = anyio.run(drive, urls, args.clients, args.seconds)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)
    calls = len(latencies)
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000 if ordered else 0.0
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else 0.0
    allowed = outcomes.get("allowed", 0)
    print(f"{args.clients} clients, 2 replicas, {elapsed:.1f} s: {calls} calls, {calls / elapsed:.0f} calls/s, "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms")  # fmt: skip
    print(f"outcomes: {outcomes}")
    exact = allowed == min(args.limit, calls)
    print(f"allowed {allowed} of limit {args.limit}: {'exact' if exact else 'NOT EXACT'}")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
