"""What a call's two audit records cost: the intent and outcome pair, against the code before and a floor.

    python -m bench.bench_audit                       # against main at 89558f1 (git archive into a temp dir)
    python -m bench.bench_audit --before /tmp/before-audit --rounds 7

Every allowed tool call writes two records through `AuditLog.record` (the intent before the
handler, the outcome after): the structlog chain (timestamp, redaction, JSON, the known-secret
scan), the hash chain (`flock`, the file's size, SHA-256) and the `write(2)`. This times that pair
with the fields `Guard.write_intent` and `Guard._audit` give an `odoo_search_read` of
`bench_peers` (res.partner, fields name/email/city, limit 100, one rate-limit counter), to a file,
with two configured secrets — in three processes per round, alternated: this tree's
`guard/audit.py`, the same module of the `--before` tree, and a floor (the same two records as a
plain `json.dumps` + `os.write`, no redaction, no chain, no lock).

Two figures per side, the CPU time of the writing thread:

- **hot**: per pair, over `--pairs` pairs written back to back (caches warm; the code's own work);
- **after 15 ms idle**: the median pair written after sleeping 15 ms, as in the server, where
  each pair is split by Odoo's answer time (`bench_peers`' stand-in takes 15 ms). On a shared VM
  the first microseconds after a wake-up run with cold caches: this is what a call pays
  (`python -m bench.trace_call` measures the same two records in the server).

Ratios are against the `--before` side of the same run; best of `--rounds` for hot, median of
the rounds' medians after idle. A diagnostic: no test asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
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


def _pair_writer(side: str, folder: Path):
    """A function writing one intent + outcome pair, for `side` ("audit": the importable guard.audit)."""
    if side == "floor":
        fd = os.open(folder / "floor.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

        def floor(number: int) -> None:
            call = f"{number:016x}"
            for event, fields in (("tool_intent", intent_fields(call)), ("tool_call", outcome_fields(call))):
                fields["event"] = event
                os.write(fd, (json.dumps(fields, separators=(",", ":")) + "\n").encode())
        return floor

    from guard.audit import AuditLog

    log = AuditLog(folder / "audit.jsonl", stderr=False)
    log.add_secrets(SECRETS)
    log.start()

    def pair(number: int) -> None:
        call = f"{number:016x}"
        log.record("tool_intent", required=True, **intent_fields(call))
        log.record("tool_call", **outcome_fields(call))
    return pair


def measure(side: str, pairs: int, idle: int) -> dict:
    """Run in a child process: hot µs per pair, and the median µs of a pair after 15 ms idle."""
    folder = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    pair = _pair_writer(side, folder)
    for number in range(200):
        pair(number)
    started = time.thread_time_ns()
    for number in range(pairs):
        pair(number)
    hot = (time.thread_time_ns() - started) / 1000 / pairs
    after_idle = []
    for number in range(idle):
        time.sleep(0.015)
        started = time.thread_time_ns()
        pair(number)
        after_idle.append((time.thread_time_ns() - started) / 1000)
    if side != "floor":
        from guard.audit_chain import verify

        verdict = verify(lambda: (folder / "audit.jsonl").open("rb"))
        assert not verdict.breaks, verdict.breaks  # the log written is a valid chain
    return {"hot": hot, "idle": statistics.median(after_idle)}


def _before_tree(given: str | None) -> Path:
    if given:
        return Path(given)
    target = Path(tempfile.mkdtemp(prefix="before-audit-"))
    archive = subprocess.run(["git", "-C", str(REPO), "archive", BEFORE_COMMIT], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def _run_side(tree: Path, side: str, pairs: int, idle: int) -> dict:
    """One side in a child process whose `guard` package is `tree`'s (this file run as a script)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, __file__, "--child", side, str(pairs), str(idle)],
                         env=env, cwd=tree, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", help=f"a checkout of the code to compare with (default: git archive {BEFORE_COMMIT})")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=3000, help="pairs written back to back per round (hot)")
    parser.add_argument("--idle", type=int, default=150, help="pairs written after 15 ms idle per round")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.child:
        side, pairs, idle = opts.child
        print(json.dumps(measure(side, int(pairs), int(idle))))
        return
    before = _before_tree(opts.before)
    load = os.getloadavg()[0]
    results: dict[str, list[dict]] = {"before": [], "after": [], "floor": []}
    for _ in range(opts.rounds):
        results["before"].append(_run_side(before, "audit", opts.pairs, opts.idle))
        results["after"].append(_run_side(REPO, "audit", opts.pairs, opts.idle))
        results["floor"].append(_run_side(REPO, "floor", opts.pairs, opts.idle))
    hot = {side: min(r["hot"] for r in rounds) for side, rounds in results.items()}
    idle = {side: statistics.median(r["idle"] for r in rounds) for side, rounds in results.items()}
    print(f"audit intent+outcome pair, CPU µs of the writing thread; {opts.rounds} interleaved rounds; "
          f"load average {load:.2f} → {os.getloadavg()[0]:.2f}; before = {opts.before or BEFORE_COMMIT}")
    print("| code | hot (best round) | after 15 ms idle (median) | hot / before | idle / before |")
    print("|---|---|---|---|---|")
    for side, name in (("before", "before"), ("after", "this tree"), ("floor", "floor: json.dumps + os.write")):
        print(f"| {name} | {hot[side]:.1f} | {idle[side]:.0f} | {hot[side] / hot['before']:.2f} | "
              f"{idle[side] / idle['before']:.2f} |")


if __name__ == "__main__":
    main()
