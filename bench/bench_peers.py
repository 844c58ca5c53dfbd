"""This server beside the other Odoo MCP servers from PyPI, on one Odoo stand-in, in one run.

    python -m bench.bench_peers                      # every installed peer, both phases
    python -m bench.bench_peers --rounds 3 --calls 100 --phases instant   # quicker

Every server is started over stdio with the official `mcp` client (this venv's) and asked the
same thing: `search_read` on res.partner, empty domain, fields name/email/city, limit 100 (of
150). The stand-in is the peer benchmark's `odoo_responder.py` (`--stand-in`; by default
`../shared/peerbench/` beside the repository, or `$PEERBENCH_DIR`): one instance speaking
XML-RPC / JSON-RPC as Odoo 17, one speaking JSON-2 as Odoo 19, both with the same data, both
instant in the first phase and sleeping `--delay-ms` per request in the second (as a real Odoo
spends time on each request).

Per server: ms per call (best of `--rounds` interleaved rounds of `--calls` sequential calls:
A B C … A B C …, so a load spike on the shared machine hits every server alike), cold start
(process spawn → initialize → first tools/list answer, best of `--cold-runs`, interleaved), the
exact bytes of its tools/list answer on the wire and per tool, and the bytes of one answer.
Raw client libraries (odoorpc, http.client) on the same stand-in give the floor.

This server runs in its measured configuration: the policy allows `odoo_search_read` under a
rate limit, and every call is audited to a file. Peers are looked for in `--peers`
(`$PEERBENCH_VENVS`, default <tmp>/peerbench; `../shared/peerbench/setup.sh` installs them,
each in its own venv); a peer whose venv is missing is skipped. Only ratios within one run mean
anything on a shared machine; the table ends with this server's ratio to the best peer per
column (below 1.00: ahead). Every process started here is ended by its own handle.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DB, LOGIN, PASSWORD, APIKEY = "benchdb", "admin", "bench-password", "bench-api-key"
MODEL, FIELDS, LIMIT, PARTNERS = "res.partner", ["name", "email", "city"], 100, 150
KNOWN = ["Quarry Lantern SA", "Mireille Okonkwo", "Tessellate GmbH", "Brannock & Vidal", "Ilse Marchetti"]
ARGS = {"model": MODEL, "domain": [], "fields": FIELDS, "limit": LIMIT}
OURS = "odoo-guard-mcp"

POLICY = {"version": "1", "default": "deny", "tools": {"odoo_search_read": {
    "limits": [{"counter": "bench", "window": "minute", "max": 1000000, "scope": "grant"}]}}}
"""The measured configuration: one tool allowed, under a rate limit (the limiter is on every call)."""


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


@dataclass
class Server:
    """One server (or raw client) on one protocol."""

    key: str
    name: str
    protocol: str  # jsonrpc | json2 | xmlrpc
    command: list[str] = field(default_factory=list)  # empty: a raw client library
    env: dict[str, str] = field(default_factory=dict)
    tool: str = "odoo_search_read"
    args: dict[str, Any] = field(default_factory=lambda: dict(ARGS))
    files: dict[str, str] = field(default_factory=dict)  # written into its scratch folder

    @property
    def raw(self) -> bool:
        return not self.command

    @property
    def odoo19(self) -> bool:
        return self.protocol == "json2"


def secret_env(protocol: str, password_name: str, key_name: str = "ODOO_API_KEY") -> dict[str, str]:
    return {key_name: APIKEY} if protocol == "json2" else {password_name: PASSWORD}


def servers(peers: Path, before: Path | None = None) -> list[Server]:
    """Every server of the comparison; peers whose venv is missing are left out (and said so).

    `before`: another checkout of this server (an older commit, say) run from the same venv beside
    the current one, so a change is measured before/after in one run.
    """
    ours_env = {"ODOO_URL": "{URL}", "ODOO_DB": DB, "ODOO_USERNAME": LOGIN, "ODOO_MCP_AUDIT_STDERR": "0",
                "ODOO_MCP_POLICY": "{WORK}/policy.json", "ODOO_MCP_AUDIT_LOG": "{WORK}/audit.jsonl",
                "PYTHONPATH": str(REPO)}
    found = [Server("raw-jsonrpc", "raw odoorpc (no MCP)", "jsonrpc"),
             Server("raw-json2", "raw http.client JSON-2 (no MCP)", "json2")]
    for protocol in ("jsonrpc", "json2", "xmlrpc"):
        found.append(Server(f"guard-{protocol}", OURS, protocol, [sys.executable, "-m", "odoo_mcp", "serve"],
                            {**ours_env, "ODOO_PROTOCOL": protocol, **secret_env(protocol, "ODOO_PASSWORD")},
                            files={"policy.json": json.dumps(POLICY)}))
    if before is not None:
        for protocol in ("jsonrpc", "json2", "xmlrpc"):
            found.append(Server(f"before-{protocol}", f"{OURS} (before)", protocol,
                                [sys.executable, "-m", "odoo_mcp", "serve"],
                                {**ours_env, "PYTHONPATH": str(before), "ODOO_PROTOCOL": protocol,
                                 **secret_env(protocol, "ODOO_PASSWORD")},
                                files={"policy.json": json.dumps(POLICY)}))
    peer: list[tuple[str, str, str, list[str], dict[str, str], str, dict[str, Any], dict[str, str]]] = []
    for protocol in ("jsonrpc", "json2"):
        peer.append(("tools", "odoo-mcp-tools", protocol, ["odoo-mcp"],
                     {"ODOO_URL": "{URL}", "ODOO_DB": DB, "ODOO_LOGIN": LOGIN, "ODOO_TRANSPORT_PREF": protocol,
                      **secret_env(protocol, "ODOO_PASSWORD")}, "odoo_search_read", ARGS, {}))
    for protocol in ("json2", "xmlrpc"):
        env = {"ODOO_URL": "{URL}", "ODOO_DB": DB, "ODOO_USERNAME": LOGIN, "ODOO_PASSWORD": PASSWORD}
        if protocol == "json2":
            env.update(ODOO_TRANSPORT="json2", ODOO_API_KEY=APIKEY)
        peer.append(("erpipe", "odoo-mcp (erpipe)", protocol, ["odoo-mcp"], env, "search_records", ARGS, {}))
    for protocol in ("json2", "xmlrpc"):
        peer.append(("ivnvxd", "mcp-server-odoo", protocol, ["mcp-server-odoo"],
                     {"ODOO_URL": "{URL}", "ODOO_DB": DB, "ODOO_USER": LOGIN, "ODOO_YOLO": "read",
                      "ODOO_RPC_TRANSPORT": protocol, **secret_env(protocol, "ODOO_PASSWORD")},
                     "search_records", ARGS, {}))
    profile = {"name": "bench", "url": "{URL}", "database": DB, "user": LOGIN, "protocol": "xmlrpc",
               "verify": True, "password": PASSWORD}
    peer.append(("multi", "odoo-mcp-multi", "xmlrpc", ["odoo-mcp", "run", "--profile", "bench"],
                 {"HOME": "{WORK}/home"}, "search_read", {**ARGS, "fields": ",".join(FIELDS)},
                 {"home/.config/odoo-mcp/profiles.json": json.dumps(
                     {"default_profile": "bench", "profiles": {"bench": profile}})}))
    for venv, name, protocol, command, env, tool, args, files in peer:
        binary = peers / f"venv-{venv}" / "bin" / command[0]
        if not binary.exists():
            log(f"{venv}-{protocol}: skipped ({binary} not found)")
            continue
        version = _version(peers / f"venv-{venv}", name.split()[0])
        found.append(Server(f"{venv}-{protocol}", f"{name} {version}".strip(), protocol,
                            [str(binary), *command[1:]], env, tool, args, files))
    return found


def _version(venv: Path, dist: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    done = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, timeout=60)
    return done.stdout.strip()


# ---------------------------------------------------------------------------------------------
# The stand-in
# ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class StandIn:
    """The responder as a child process on a free 127.0.0.1 port."""

    def __init__(self, script: Path, version: str, delay_ms: float, errlog: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._err = errlog.open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(script), str(self.port), DB, LOGIN, PASSWORD, APIKEY, "--delay-ms", str(delay_ms),
             "--partners", str(PARTNERS), "--server-version", version],
            stdout=subprocess.DEVNULL, stderr=self._err)
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the stand-in did not start (see {errlog})") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._err.close()


# ---------------------------------------------------------------------------------------------
# Raw clients, and checking an answer
# ---------------------------------------------------------------------------------------------
def raw_client(server: Server, url: str) -> Callable[[], Any]:
    port = int(url.rsplit(":", 1)[1])
    if server.protocol == "jsonrpc":
        import odoorpc

        odoo = odoorpc.ODOO("127.0.0.1", port=port, timeout=60)
        odoo.login(DB, LOGIN, PASSWORD)
        return lambda: odoo.execute_kw(MODEL, "search_read", [[]], {"fields": FIELDS, "limit": LIMIT})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps({"domain": [], "fields": FIELDS, "limit": LIMIT}).encode()
    headers = {"Authorization": f"bearer {APIKEY}", "X-Odoo-Database": DB, "Content-Type": "application/json"}

    def call() -> Any:
        connection.request("POST", f"/json/2/{MODEL}/search_read", body, headers)
        answer = connection.getresponse()
        return json.loads(answer.read())

    return call


def answer_ok(text: str) -> bool:
    """The 5 known partners and 95 generated ones, nothing else: the same 100 records from every server."""
    generated = {f"Bench Partner {n:03d}" for n in range(len(KNOWN) + 1, LIMIT + 1)}
    return all(name in text for name in [*KNOWN, *generated]) and f"Bench Partner {LIMIT + 1:03d}" not in text


def result_text(result: Any) -> str:
    return "".join(getattr(block, "text", "") or "" for block in result.content or [])


# ---------------------------------------------------------------------------------------------
# MCP servers
# ---------------------------------------------------------------------------------------------
def prepare(server: Server, work: Path, url: str) -> tuple[list[str], dict[str, str], str]:
    folder = work / server.key
    folder.mkdir(parents=True, exist_ok=True)

    def fill(text: str) -> str:
        return text.replace("{URL}", url).replace("{WORK}", str(folder))

    for relative, content in server.files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fill(content))
    return [fill(part) for part in server.command], {k: fill(v) for k, v in server.env.items()}, str(folder)


def parameters(server: Server, work: Path, url: str) -> Any:
    from mcp.client.stdio import StdioServerParameters

    command, env, cwd = prepare(server, work, url)
    return StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=cwd)


async def cold_start(server: Server, work: Path, url: str, errlog: Path) -> float:
    """Seconds from spawn to the first tools/list answer, through the mcp client."""
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client

    with errlog.open("a") as err:
        started = time.perf_counter()
        async with stdio_client(parameters(server, work, url), errlog=err) as (read, write), \
                ClientSession(read, write) as session:
            await session.initialize()
            await session.list_tools()
            return time.perf_counter() - started


async def wire_tools_list(server: Server, work: Path, url: str, errlog: Path) -> tuple[int, int]:
    """(bytes, tools) of the tools/list answer exactly as the server writes it on its stdout."""
    from mcp.client.stdio import get_default_environment
    from mcp_types.version import LATEST_HANDSHAKE_VERSION

    command, env, cwd = prepare(server, work, url)
    with errlog.open("a") as err:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
            env=get_default_environment() | env, cwd=cwd, limit=1 << 26)
        assert process.stdin is not None and process.stdout is not None

        async def ask(request_id: int | None, method: str, params: dict[str, Any]) -> bytes:
            message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
            if request_id is not None:
                message["id"] = request_id
            process.stdin.write(json.dumps(message).encode() + b"\n")  # type: ignore[union-attr]
            await process.stdin.drain()  # type: ignore[union-attr]
            while request_id is not None:
                line = (await asyncio.wait_for(process.stdout.readline(), 60)).rstrip(b"\r\n")  # type: ignore[union-attr]
                if not line:
                    raise RuntimeError(f"{server.key} closed its stdout")
                with contextlib.suppress(ValueError):
                    if json.loads(line).get("id") == request_id:
                        return line
            return b""

        try:
            await ask(1, "initialize", {"protocolVersion": LATEST_HANDSHAKE_VERSION, "capabilities": {},
                                        "clientInfo": {"name": "bench_peers", "version": "1"}})
            await ask(None, "notifications/initialized", {})
            total, tools, cursor, request_id = 0, 0, None, 2
            while True:
                line = await ask(request_id, "tools/list", {"cursor": cursor} if cursor else {})
                total += len(line)
                result = json.loads(line)["result"]
                tools += len(result.get("tools", []))
                cursor, request_id = result.get("nextCursor"), request_id + 1
                if not cursor:
                    return total, tools
        finally:
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()


async def timed_round(session: Any, server: Server, calls: int) -> float:
    started = time.perf_counter()
    result = None
    for _ in range(calls):
        result = await session.call_tool(server.tool, server.args)
        if result.is_error:
            raise RuntimeError(f"{server.key}: {result_text(result)[:300]}")
    elapsed = (time.perf_counter() - started) / calls
    if result is not None and not answer_ok(result_text(result)):
        raise RuntimeError(f"{server.key}: the answer does not hold the expected 100 partners")
    return elapsed


def children() -> set[int]:
    """PIDs of this process's children (the servers the mcp client spawned), from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                    found.add(int(entry.name))
    return found


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU the processes have used: a per-call cost the machine's load barely moves."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def raw_round(call: Callable[[], Any], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls


# ---------------------------------------------------------------------------------------------
# One phase: instant stand-in, or the stand-in taking delay_ms per request
# ---------------------------------------------------------------------------------------------
async def phase(all_servers: list[Server], opts: argparse.Namespace, delay_ms: float, work: Path,
                measure_startup: bool) -> dict[str, dict[str, Any]]:
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client

    logs = work / "logs"
    odoo17 = StandIn(opts.stand_in, "17.0", delay_ms, logs / f"stand-in-17-{delay_ms:g}.stderr")
    odoo19 = StandIn(opts.stand_in, "19.0", delay_ms, logs / f"stand-in-19-{delay_ms:g}.stderr")
    out: dict[str, dict[str, Any]] = {s.key: {} for s in all_servers}
    mcp_servers = [s for s in all_servers if not s.raw]

    def url(server: Server) -> str:
        return odoo19.url if server.odoo19 else odoo17.url

    try:
        if measure_startup:
            for server in mcp_servers:
                try:
                    out[server.key]["tools_list"] = await wire_tools_list(
                        server, work, url(server), logs / f"{server.key}.stderr")
                except Exception as exc:  # a peer that fails is reported, not fatal
                    out[server.key]["error"] = f"tools/list: {exc!r}"
            colds: dict[str, list[float]] = {s.key: [] for s in mcp_servers}
            for _ in range(opts.cold_runs):
                for server in mcp_servers:
                    with contextlib.suppress(Exception):
                        colds[server.key].append(
                            await cold_start(server, work, url(server), logs / f"{server.key}.stderr"))
            for key, seconds in colds.items():
                if seconds:
                    out[key]["cold_s"] = min(seconds)
        async with contextlib.AsyncExitStack() as stack:
            runners: dict[str, Callable[[int], Any]] = {}
            pids: dict[str, set[int]] = {}
            for server in all_servers:
                if server.raw:
                    call = raw_client(server, url(server))
                    runners[server.key] = lambda n, call=call: raw_round(call, n)
                    continue
                err = stack.enter_context((logs / f"{server.key}.stderr").open("a"))
                before = children()
                try:
                    read, write = await stack.enter_async_context(
                        stdio_client(parameters(server, work, url(server)), errlog=err))
                    session = await stack.enter_async_context(ClientSession(read, write))
                    await session.initialize()
                    await session.list_tools()
                    first = await session.call_tool(server.tool, server.args)
                except Exception as exc:
                    out[server.key]["error"] = f"could not start or call: {exc!r}"
                    continue
                text = result_text(first)
                if first.is_error or not answer_ok(text):
                    out[server.key]["error"] = f"wrong answer: {text[:200]}"
                    continue
                out[server.key]["answer_bytes"] = len(text.encode())
                pids[server.key] = children() - before

                async def run(n: int, session: Any = session, server: Server = server) -> float:
                    return await timed_round(session, server, n)

                runners[server.key] = run
            for runner in runners.values():  # warm-up
                result = runner(opts.warmup)
                if asyncio.iscoroutine(result):
                    await result
            times: dict[str, list[float]] = {key: [] for key in runners}
            cpu: dict[str, float] = dict.fromkeys(pids, 0.0)
            for round_number in range(opts.rounds):
                for key, runner in runners.items():
                    try:
                        used = cpu_seconds(pids[key]) if key in pids else 0.0
                        result = runner(opts.calls)
                        times[key].append(await result if asyncio.iscoroutine(result) else result)
                        if key in pids:
                            cpu[key] += cpu_seconds(pids[key]) - used
                    except Exception as exc:
                        out[key]["error"] = f"round {round_number + 1}: {exc!r}"
                log(f"  {delay_ms:g} ms: round {round_number + 1}/{opts.rounds} done, load {os.getloadavg()[0]:.2f}")
            for key, seconds in times.items():
                if seconds:
                    out[key]["ms"] = min(seconds) * 1000
                if cpu.get(key) and seconds:
                    out[key]["cpu_ms"] = cpu[key] * 1000 / (opts.calls * len(seconds))
    finally:
        odoo17.stop()
        odoo19.stop()
    return out


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
def _f(value: float | None, spec: str = ".2f") -> str:
    return "–" if value is None else format(value, spec)


def table(all_servers: list[Server], instant: dict[str, Any], delayed: dict[str, Any], delay_ms: float) -> str:
    lines = [f"| server | protocol | ms/call, instant Odoo | ms/call, Odoo taking {delay_ms:g} ms | "
             "server CPU ms/call | cold start s | tools/list bytes (tools) | bytes per tool | answer bytes |",
             "|---|---|---|---|---|---|---|---|---|"]
    for server in all_servers:
        a, b = instant.get(server.key, {}), delayed.get(server.key, {})
        listed = a.get("tools_list")
        name = f"**{server.name}**" if server.name == OURS else server.name
        error = a.get("error") or b.get("error")
        lines.append(
            f"| {name} | {server.protocol} | {_f(a.get('ms'))} | {_f(b.get('ms'))} | {_f(a.get('cpu_ms'))} | "
            f"{_f(a.get('cold_s')) if not server.raw else '–'} | "
            f"{f'{listed[0]:,} ({listed[1]})' if listed else '–'} | "
            f"{f'{listed[0] / listed[1]:,.0f}' if listed else '–'} | {a.get('answer_bytes', '–')} |"
            + (f" {error}" if error else ""))
    return "\n".join(lines)


def ratios(all_servers: list[Server], instant: dict[str, Any], delayed: dict[str, Any]) -> str:
    """This server's figure over the best peer's, per column (below 1.00: this server is ahead)."""
    ours = [s for s in all_servers if s.name == OURS]
    peers = [s for s in all_servers if not s.raw and not s.name.startswith(OURS)]
    lines = ["| column | this server | best peer | ratio |", "|---|---|---|---|"]

    def best(values: list[tuple[float, str]]) -> tuple[float, str] | None:
        return min(values) if values else None

    def per_protocol(title: str, results: dict[str, Any], field: str) -> None:
        """One row per protocol: this server's `field` against the best peer's on that protocol."""
        for protocol in ("jsonrpc", "json2", "xmlrpc"):
            mine = [results.get(s.key, {}).get(field) for s in ours if s.protocol == protocol]
            theirs = best([(results[s.key][field], s.key) for s in peers
                           if s.protocol == protocol and results.get(s.key, {}).get(field)])
            if mine and mine[0] and theirs:
                lines.append(f"| {title}, {protocol} | {mine[0]:.2f} | {theirs[0]:.2f} ({theirs[1]}) | "
                             f"{mine[0] / theirs[0]:.2f} |")

    per_protocol("ms/call instant", instant, "ms")
    per_protocol("ms/call delayed", delayed, "ms")
    per_protocol("server CPU ms/call", instant, "cpu_ms")
    cold_mine = best([(instant[s.key]["cold_s"], s.key) for s in ours if instant.get(s.key, {}).get("cold_s")])
    cold_theirs = best([(instant[s.key]["cold_s"], s.key) for s in peers if instant.get(s.key, {}).get("cold_s")])
    if cold_mine and cold_theirs:
        lines.append(f"| cold start s | {cold_mine[0]:.2f} | {cold_theirs[0]:.2f} ({cold_theirs[1]}) | "
                     f"{cold_mine[0] / cold_theirs[0]:.2f} |")

    def per_tool(server: Server) -> float | None:
        listed = instant.get(server.key, {}).get("tools_list")
        return listed[0] / listed[1] if listed and listed[1] else None

    list_mine = best([(v, s.key) for s in ours if (v := per_tool(s))])
    list_theirs = best([(v, s.key) for s in peers if (v := per_tool(s))])
    if list_mine and list_theirs:
        lines.append(f"| tools/list bytes per tool | {list_mine[0]:,.0f} | {list_theirs[0]:,.0f} ({list_theirs[1]}) | "
                     f"{list_mine[0] / list_theirs[0]:.2f} |")
    return "\n".join(lines)


async def run(opts: argparse.Namespace) -> str:
    chosen = servers(opts.peers, opts.before)
    if opts.only:
        wanted = set(opts.only.split(","))
        chosen = [s for s in chosen if s.key in wanted]
    work = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    (work / "logs").mkdir()
    load_before = os.getloadavg()
    results: dict[str, dict[str, Any]] = {}
    try:
        for name in opts.phases.split(","):
            delay = 0.0 if name == "instant" else opts.delay_ms
            log(f"phase {name} ({len(chosen)} servers)")
            results[name] = await phase(chosen, opts, delay, work, measure_startup=name == opts.phases.split(",")[0])
    finally:
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)
    instant, delayed = results.get("instant", {}), results.get("delay", {})
    if "instant" not in results:  # start-up figures come from the first phase run
        instant = {key: {k: v for k, v in row.items() if k != "ms"} for key, row in delayed.items()}
    load_after = os.getloadavg()
    header = (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, load average "
              f"{load_before[0]:.2f} before / {load_after[0]:.2f} after; search_read of {LIMIT} of {PARTNERS} "
              f"partners (fields {', '.join(FIELDS)}), best of {opts.rounds} interleaved rounds of {opts.calls} "
              f"calls after {opts.warmup} warm-up calls; cold start best of {opts.cold_runs}.")
    return "\n\n".join([header, table(chosen, instant, delayed, opts.delay_ms),
                        "This server against the best peer (ratio below 1.00: ahead):",
                        ratios(chosen, instant, delayed)])


def default_stand_in() -> Path:
    """`$PEERBENCH_DIR`, else `shared/peerbench/` beside the repository (or beside its worktrees' folder)."""
    base = os.environ.get("PEERBENCH_DIR")
    if base:
        return Path(base) / "odoo_responder.py"
    candidates = [folder / "shared" / "peerbench" / "odoo_responder.py" for folder in (REPO.parent, REPO.parent.parent)]
    return next((path for path in candidates if path.is_file()), candidates[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers", type=Path,
                        default=Path(os.environ.get("PEERBENCH_VENVS", Path(tempfile.gettempdir()) / "peerbench")),
                        help="folder of the peers' venvs (venv-tools, venv-erpipe, venv-ivnvxd, venv-multi)")
    parser.add_argument("--stand-in", type=Path, default=default_stand_in(), help="the Odoo stand-in script")
    parser.add_argument("--only", help="comma-separated keys (raw-jsonrpc, guard-json2, tools-jsonrpc, ...)")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--delay-ms", type=float, default=15.0)
    parser.add_argument("--phases", default="instant,delay", help="instant, delay, or both (comma-separated)")
    parser.add_argument("--before", type=Path, help="another checkout of this server, measured beside as 'before'")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder and every server's stderr")
    opts = parser.parse_args(argv)
    if not opts.stand_in.is_file():
        raise SystemExit(f"no Odoo stand-in at {opts.stand_in}: pass --stand-in or set PEERBENCH_DIR")
    print(asyncio.run(run(opts)))


if __name__ == "__main__":
    main()
