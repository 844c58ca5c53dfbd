"""What the event-loop HTTP client costs per Odoo request: `aio_http` against a baseline module, same run.

    python -m bench.bench_aio_http                              # against the hand-written parser of 70ce2e6
    python -m bench.bench_aio_http --baseline path/to/aio_http.py --requests 2000 --rounds 7

`odoo_client/aio_http.py` parses HTTP/1.1 with `h11`; before, it parsed by hand. This measures
what that costs an Odoo read: the CPU time of the client's thread (its event loop) per request
— building the request, writing it, reading and parsing the answer, giving the connection back —
against a server on 127.0.0.1 in another thread (its own loop), so the server's work is not
counted. The answer is a JSON-RPC answer of 100 partners (~9 KB) framed by Content-Length, then
the same chunked (as behind a proxy). Rounds alternate the two modules; the best round of each
is kept and the difference printed in µs per request, with the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
BASELINE_COMMIT = "70ce2e6"
BODY = json.dumps({"jsonrpc": "2.0", "id": 1, "result": [
    {"id": n, "name": f"Partner {n}", "email": f"p{n}@example.com", "phone": f"+32 2 555 01 {n % 100:02d}",
     "city": "Brussels", "is_company": n % 3 == 0} for n in range(100)]}).encode()


def _answer(chunked: bool) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nServer: Werkzeug/3.0 Python/3.12\r\n"
    if not chunked:
        return head + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY
    parts = (BODY[start:start + 4096] for start in range(0, len(BODY), 4096))
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts)
    return head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"


def _serve(answer: bytes, ready: threading.Event, port: list[int]) -> None:
    """A server answering `answer` to every request, in this (daemon) thread until the process ends."""
    async def main() -> None:
        async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                                   if line.lower().startswith(b"content-length:")), 0)
                    await reader.readexactly(length)
                    writer.write(answer)
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()

        server = await asyncio.start_server(guarded, "127.0.0.1", 0)
        port.append(server.sockets[0].getsockname()[1])
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


async def _cpu_per_request(module: ModuleType, port: int, requests: int) -> float:
    """µs of this thread's CPU per request (one kept-alive connection, requests one after the other)."""
    pool = module.AsyncConnections("127.0.0.1", port, None, f"127.0.0.1:{port}")
    body = b'{"jsonrpc": "2.0", "method": "call", "params": {"service": "object", "method": "execute_kw"}}'
    headers = {"Content-Type": "application/json"}
    for _ in range(20):  # warm: the connection opened, caches filled
        await pool.request("POST", "/jsonrpc", body, headers, 30)
    start = time.thread_time_ns()
    for _ in range(requests):
        answer = await pool.request("POST", "/jsonrpc", body, headers, 30)
    spent = time.thread_time_ns() - start
    assert answer.status == 200 and answer.body == BODY, (answer.status, len(answer.body))
    pool.close()
    return spent / requests / 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help=f"an aio_http.py to compare with (default: {BASELINE_COMMIT}'s)")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        baseline_path = options.baseline
        if baseline_path is None:
            baseline_path = Path(scratch) / "aio_http_baseline.py"
            baseline_path.write_bytes(subprocess.run(["git", "show", f"{BASELINE_COMMIT}:odoo_client/aio_http.py"],
                                                     cwd=REPO, check=True, capture_output=True).stdout)
        modules = {"baseline": _load(baseline_path, "aio_http_baseline"),
                   "h11": _load(REPO / "odoo_client" / "aio_http.py", "aio_http_current")}
        for chunked in (False, True):
            ready, port = threading.Event(), []
            threading.Thread(target=_serve, args=(_answer(chunked), ready, port), daemon=True).start()
            ready.wait()
            best = dict.fromkeys(modules, float("inf"))
            for _ in range(options.rounds):
                for name, module in modules.items():
                    best[name] = min(best[name], asyncio.run(_cpu_per_request(module, port[0], options.requests)))
            framing = "chunked" if chunked else "Content-Length"
            print(f"{framing:>14}: baseline {best['baseline']:6.1f} µs  h11 {best['h11']:6.1f} µs  "
                  f"difference {best['h11'] - best['baseline']:+6.1f} µs  ratio {best['h11'] / best['baseline']:.2f}"
                  f"  (client thread CPU per request, {len(BODY):,}-byte answer, best of {options.rounds})")


if __name__ == "__main__":
    main()
