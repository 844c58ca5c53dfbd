"""What a call's two audit records cost: the intent and outcome pair, against the code before and a floor.

    python -m bench.bench_audit                       # against main at 89558f1 (git archive into a temp dir)
    python -m bench.bench_audit --before /tmp/before-audit --rounds 7

Every allowed tool call writes two records through `AuditLog.record` (the intent before the
handler, the outcome after): the structlog chain (timestamp, redaction, JSON, the known-secret
scan), the hash chain (`flock`, the file's size, SHA-256) and the `write(2)`. This times that pair
with the fields `Guard.write_intent` and `Guard._audit` give an `odoo_search_read` of
`bench_peers` (res.partner, fields name/email/city, limit 100, one rate-limit counter), to a file,
with two configured secrets — three sides in one process, alternated: this tree's
`guard/audit.py`, the same module of the `--before` tree (imported beside it), and a floor (the
same two records as a plain `json.dumps` + `os.write`, no redaction, no chain, no lock).

Two figures per side, the CPU time of the writing thread:

- **hot**: per pair, over `--pairs` pairs written back to back (caches warm; the code's own work);
- **after 15 ms idle**: the median pair written after sleeping 15 ms, as in the server, where
  each pair is split by Odoo's answer time (`bench_peers`' stand-in takes 15 ms). On a shared VM
  the first microseconds after a wake-up run with cold caches: this is what a call pays
  (`python -m bench.trace_call` measures the same two records in the server).

Ratios are against the `--before` side of the same run; best of `--rounds` for hot, median of
every pair after idle (the sides alternating pair by pair). A diagnostic: no test asserts a time.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BEFORE_COMMIT = "89558f1"
"""main when issue 26's audit work started."""

ARGUMENTS = {"model": "res.partner", "domain": [], "fields": ["name", "email", "city"], "limit": 100}
COUNTERS = [{"counter": "bench", "max": 1000000, "window": "minute", "scope": "grant", "remaining": 999990,
             "reset_in": 59.42}]
SECRETS = ["bench-odoo-password", "0123456789abcdef0123456789abcdef01234567"]


def intent_fields(call: str) -> dict:
    """What `Guard.write_intent` records for an allowed call."""
    return {"call": call, "phase": "intent", "tool": "odoo_search_read", "grant": "local",
            "session": "stdio-48f05c9823f1", "decision": "allow", "rule": "tools.odoo_search_read",
            "counters": COUNTERS, "arguments": ARGUMENTS}


def outcome_fields(call: str) -> dict:
    """What `Guard._audit` records when the handler answered."""
    return {"call": call, "phase": "outcome", "tool": "odoo_search_read", "grant": "local",
            "session": "stdio-48f05c9823f1", "decision": "allow", "rule": "tools.odoo_search_read",
            "reason": None, "outcome": "ok", "error": None, "counters": COUNTERS, "duration_ms": 16.966,
            "arguments": ARGUMENTS, "charged": True}


def load_audit_log(tree: Path) -> type:
    """`AuditLog` of `tree`'s `guard/audit.py`, with that tree's `audit_chain` and `fastjson`, beside this one's.

    The modules are imported from `tree` and then taken out of `sys.modules` (they keep their own
    globals), so the next import of `guard.audit` is this tree's again.
    """
    names = ("guard", "guard.audit", "guard.audit_chain", "foundation", "foundation.fastjson")
    kept = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    sys.path.insert(0, str(tree))
    try:
        module = importlib.import_module("guard.audit")
        assert Path(module.__file__).is_relative_to(tree), module.__file__
    finally:
        sys.path.remove(str(tree))
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(kept)
    return module.AuditLog


def audit_pair(audit_log: type, folder: Path) -> Callable[[int], None]:
    """A function writing one intent + outcome pair through `audit_log` to a file in `folder`."""
    log = audit_log(folder / "audit.jsonl", stderr=False)
    log.add_secrets(SECRETS)
    log.start()

    def pair(number: int) -> None:
        call = f"{number:016x}"
        log.record("tool_intent", required=True, **intent_fields(call))
        log.record("tool_call", **outcome_fields(call))
    return pair


def floor_pair(folder: Path) -> Callable[[int], None]:
    """The same two records as plain `json.dumps` + `os.write`: no redaction, chain, lock or timestamp."""
    fd = os.open(folder / "floor.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def pair(number: int) -> None:
        call = f"{number:016x}"
        for event, fields in (("tool_intent", intent_fields(call)), ("tool_call", outcome_fields(call))):
            fields["event"] = event
            os.write(fd, (json.dumps(fields, separators=(",", ":")) + "\n").encode())
    return pair


def _before_tree(given: str | None) -> Path:
    if given:
        return Path(given).resolve()
    target = Path(tempfile.mkdtemp(prefix="before-audit-"))
    archive = subprocess.run(["git", "-C", str(REPO), "archive", BEFORE_COMMIT], capture_output=True)
    if archive.returncode != 0:
        raise SystemExit(f"bench_audit: no {BEFORE_COMMIT} to compare with (git archive: "
                         f"{archive.stderr.decode(errors='replace').strip()}); pass --before DIR")
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", help=f"a checkout to compare with (default: git archive {BEFORE_COMMIT})")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--pairs", type=int, default=1000, help="pairs written back to back per side and round (hot)")
    parser.add_argument("--idle", type=int, default=100, help="pairs written after 15 ms idle per side and round")
    opts = parser.parse_args(argv)
    from guard.audit import AuditLog
    from guard.audit_chain import verify

    folders = {side: Path(tempfile.mkdtemp(prefix=f"bench-audit-{side}-")) for side in ("before", "after", "floor")}
    writers = {"before": audit_pair(load_audit_log(_before_tree(opts.before)), folders["before"]),
               "after": audit_pair(AuditLog, folders["after"]), "floor": floor_pair(folders["floor"])}
    load = os.getloadavg()[0]
    hot: dict[str, list[float]] = {side: [] for side in writers}
    idle: dict[str, list[float]] = {side: [] for side in writers}
    for number in range(200):
        for pair in writers.values():
            pair(number)
    for _ in range(opts.rounds):
        for side, pair in writers.items():
            started = time.thread_time_ns()
            for number in range(opts.pairs):
                pair(number)
            hot[side].append((time.thread_time_ns() - started) / 1000 / opts.pairs)
        for number in range(opts.idle):  # the sides alternate pair by pair
            for side, pair in writers.items():
                time.sleep(0.015)
                started = time.thread_time_ns()
                pair(number)
                idle[side].append((time.thread_time_ns() - started) / 1000)
    for side in ("before", "after"):  # both logs are valid chains for the verifier
        verdict = verify(lambda side=side: (folders[side] / "audit.jsonl").open("rb"))
        assert not verdict.breaks, (side, verdict.breaks[:3])
    best = {side: min(values) for side, values in hot.items()}
    median = {side: statistics.median(values) for side, values in idle.items()}
    print(f"audit intent+outcome pair, CPU µs of the writing thread; {opts.rounds} rounds, sides interleaved; "
          f"load average {load:.2f} → {os.getloadavg()[0]:.2f}; before = {opts.before or BEFORE_COMMIT}")
    print("| code | hot (best round) | after 15 ms idle (median) | hot / before | idle / before |")
    print("|---|---|---|---|---|")
    for side, name in (("before", "before"), ("after", "this tree"), ("floor", "floor: json.dumps + os.write")):
        print(f"| {name} | {best[side]:.1f} | {median[side]:.0f} | {best[side] / best['before']:.2f} | "
              f"{median[side] / median['before']:.2f} |")


if __name__ == "__main__":
    main()
