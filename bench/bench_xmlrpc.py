"""What an XML-RPC read costs the Odoo client: this checkout against an older one, same run, same stand-in.

    python -m bench.bench_xmlrpc --before /tmp/before      # git archive <commit> | tar -x -C /tmp/before

The question is `bench_peers`' (search_read of 100 partners, fields name/email/city: a ~35 KB
XML-RPC answer) asked of the peer benchmark's Odoo stand-in, answering at once, by the client
alone (`odoo_client.connection.OdooConnection`, no MCP, no guard): `--requests` sequential
requests on a logged-in connection, in a fresh process per round so neither checkout warms the
other's caches. Rows: the older checkout in its worker-thread path (`execute`), this one in
`execute` and in `execute_async` (the event-loop path of `odoo_search_read`). Per row, the best
of `--rounds` alternated rounds: the CPU of the client's thread per request (building the
request, sending it, reading and parsing the answer) and the wall time per request (with the
stand-in's own work, the same for every row). Also, in this process, the answer's parse alone:
`xmlrpc.client.loads` against `odoo_client.xmlrpc_codec.loads_answer` on the same bytes.
Only ratios within one run mean anything on a shared machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import asyncio, sys, time
root, mode, url, db, login, password, requests = sys.argv[1:8]
sys.path.insert(0, root)
from odoo_client.connection import OdooConnection
from odoo_client.settings import ConnectionConfig
odoo = OdooConnection(ConnectionConfig(alias="b", url=url, db=db, username=login, password=password, protocol="xmlrpc"))
call = ("res.partner", "search_read", [[]], {"fields": ["name", "email", "city"], "limit": 100})
count = int(requests)
for _ in range(20):
    assert len(odoo.execute(*call)) == 100
async def on_loop():
    cpu, wall = time.thread_time(), time.perf_counter()
    for _ in range(count):
        await odoo.execute_async(*call)
    return time.thread_time() - cpu, time.perf_counter() - wall
if mode == "loop":
    cpu, wall = asyncio.run(on_loop())
else:
    cpu, wall = time.thread_time(), time.perf_counter()
    for _ in range(count):
        odoo.execute(*call)
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
print(cpu / count * 1e6, wall / count * 1e6)
"""


def parse_only(body: bytes, rounds: int, repeat: int = 200) -> tuple[float, float]:
    """Best µs of CPU per parse: the stdlib's `loads`, then `loads_answer` (alternated)."""
    sys.path.insert(0, str(REPO))
    from odoo_client.xmlrpc_codec import loads_answer

    assert loads_answer(body) == xmlrpc.client.loads(body)[0][0]
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for index, parse in enumerate((lambda: xmlrpc.client.loads(body), lambda: loads_answer(body))):
            started = time.thread_time()
            for _ in range(repeat):
                parse()
            best[index] = min(best[index], (time.thread_time() - started) / repeat * 1e6)
    return best[0], best[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, help="an older checkout of this server (its odoo_client is measured)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    opts = parser.parse_args(argv)
    from bench import bench_peers as peers

    work = Path(tempfile.mkdtemp(prefix="bench-xmlrpc-"))
    stand_in = peers.StandIn(peers.default_stand_in(), "17.0", 0, work / "stand-in.stderr")
    rows = [(f"before ({opts.before}), worker thread", opts.before, "thread")] if opts.before else []
    rows += [("this checkout, worker thread", REPO, "thread"), ("this checkout, event loop", REPO, "loop")]
    best: dict[str, tuple[float, float]] = {}
    load = os.getloadavg()[0]
    try:
        for _ in range(opts.rounds):
            for name, root, mode in rows:
                out = subprocess.run([sys.executable, "-c", CHILD, str(root), mode, stand_in.url, peers.DB, peers.LOGIN,
                                      peers.PASSWORD, str(opts.requests)], capture_output=True, text=True, check=True)
                cpu, wall = map(float, out.stdout.split())
                old = best.get(name, (float("inf"), float("inf")))
                best[name] = (min(old[0], cpu), min(old[1], wall))
        body = xmlrpc.client.dumps(([
            {"id": n, "name": f"Bench Partner {n:03d}", "email": f"p{n:03d}@bench.example", "city": "Liège"}
            for n in range(1, 101)],), methodresponse=True, allow_none=True).encode()
        stdlib, codec = parse_only(body, opts.rounds)
    finally:
        stand_in.stop()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load:.2f} → {os.getloadavg()[0]:.2f}; "
          f"search_read of 100 partners over XML-RPC, best of {opts.rounds} rounds of {opts.requests} requests")
    print("| client | CPU µs/request | wall µs/request |\n|---|---|---|")
    for name, (cpu, wall) in best.items():
        print(f"| {name} | {cpu:.0f} | {wall:.0f} |")
    print(f"\nparse alone, {len(body):,} bytes: xmlrpc.client.loads {stdlib:.0f} µs, xmlrpc_codec.loads_answer "
          f"{codec:.0f} µs ({stdlib / codec:.2f}x)")


if __name__ == "__main__":
    main()
