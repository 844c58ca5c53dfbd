"""pytest plugin for mutmut's runs: per mutant, which test killed it and where its time went.

Why: mutmut records a mutant's exit code and wall time, not which test failed nor how the time
split between pytest's start (collecting the selected test files) and the tests themselves.
Both are needed to keep `make mutants` inside its budget (docs/development.md, "Mutation
testing"): a test that kills nothing another test would not, but is slow and selected for
hundreds of mutants, is dropped from the selection; a test that is the only killer of
mutants stays, however slow.

Loaded by `[tool.mutmut] pytest_add_cli_args` (`-p mutation.verdicts`). Inside a mutant's run
(`MUTANT_UNDER_TEST` names a mutant) it appends one JSON line to `mutants/verdicts.jsonl`:
`{"mutant", "killer" (node id or null), "tests" (how many ran), "collect" (s from session start
to the end of collection), "run" (s of test phases), "cpu" (CPU s of the forked worker since the
fork, with the processes its tests started and waited for: what the run costs a core)}`. Outside a mutant
(the stats, clean and forced-fail runs, or a plain `pytest`) it does nothing.
`python mutation/run.py --budget` reads the file.

A mutant listed in `mutation/equivalent.toml` whose change is still the one its entry pins is not
tested at all (`pytest_cmdline_main` answers "survived" before collection): its verdict is already
written there, with a reason, and running its whole selection was the most expensive thing in a run
(each equivalent mutant survives every test mutmut picked for it: ~4 s of a worker, against ~0.3 s for a
killed one). Its line says `"equivalent": true`.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

OUT = Path(__file__).resolve().parent.parent / "verdicts.jsonl"
"""`mutants/verdicts.jsonl`: this file runs from mutmut's copy, `mutants/mutation/verdicts.py`."""


def _mutant() -> str:
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    return name if "__mutmut_" in name else ""


def _cpu() -> float:
    """CPU seconds of this process since it was forked (a child's times start at zero) and of its waited children."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: Any) -> int | None:
    """In a mutant's run: "survived" at once for a mutant equivalent.toml pins as equivalent (see above)."""
    name = _mutant()
    if not name:
        return None
    from mutation.run import pinned_equivalent  # only inside a mutant's run: run.py is the report's module

    if not pinned_equivalent(name, OUT.parent):
        return None
    _record({"mutant": name, "killer": None, "tests": 0, "collect": 0.0, "run": 0.0, "cpu": round(_cpu(), 3),
             "equivalent": True})
    return 0


class _Run:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.collected = self.started
        self.tests = 0
        self.running = 0.0
        self.killer: str | None = None


_run: _Run | None = None


def pytest_sessionstart(session: Any) -> None:
    global _run
    _run = _Run() if _mutant() else None


def pytest_collection_finish(session: Any) -> None:
    if _run is not None:
        _run.collected = time.monotonic()


def pytest_runtest_logreport(report: Any) -> None:
    if _run is None:
        return
    _run.running += report.duration
    if report.when == "call":
        _run.tests += 1
    if report.failed and _run.killer is None:
        _run.killer = report.nodeid


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if _run is None:
        return
    line = {
        "mutant": _mutant(),
        "killer": _run.killer,
        "tests": _run.tests,
        "collect": round(_run.collected - _run.started, 3),
        "run": round(_run.running, 3),
        "cpu": round(_cpu(), 3),
    }
    _record(line)


def _record(line: dict[str, Any]) -> None:
    data = (json.dumps(line) + "\n").encode()
    descriptor = os.open(OUT, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, data)
    finally:
        os.close(descriptor)
