"""`make mutants`: mutation testing of the guard, the roots code and linking, judged against a floor.

Why: a suite can be large and fast and still miss the promises the docs make. A mutant is a
one-line change to the code (an operator flipped, a condition dropped, a constant changed);
a test suite that still passes with it in place does not guard that line. This script runs
mutmut (configured under `[tool.mutmut]` in pyproject.toml: which tests, which files) on the
modules listed in `mutation/modules.txt`, then prints, per module and overall, how many
mutants the tests killed, and exits 1 when a module or the whole is under the floor.

Survivors that cannot be killed because they change nothing a caller can observe (an
equivalent mutant) are listed in `mutation/equivalent.toml`, each with the mutated line(s) and
a one-line reason. An entry counts only while its mutant still makes exactly that change: when
the code moves and mutmut's numbering shifts, the entry is reported stale and the mutant counts
as a survivor again, so the list can never hide a new survivor.

    python mutation/run.py                 # run, then report (what `make mutants` does)
    python mutation/run.py --report        # report on the last run's results only
    python mutation/run.py --show NAME     # one mutant's change, as for an equivalent.toml entry
    python mutation/run.py guard/limiter.py   # only these modules (while writing their tests)

Environment: MUTANTS_JOBS (parallel mutmut workers; default: the number of CPUs).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MUTANTS = REPO / "mutants"
FLOOR = 0.90
KILLED = {1, 3, 24, -24, 152, 255, 36}
"""mutmut exit codes that mean a test failed (1, 3), or the mutant made the tests run forever (timeouts)."""
STATUS = {0: "survived", 33: "no tests", 5: "no tests", None: "not checked", 34: "skipped", 35: "suspicious"}


def modules(listing: Path = HERE / "modules.txt") -> list[str]:
    """The module files the floor applies to (one path a line, `#` comments)."""
    found = []
    for line in listing.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            if not (REPO / line).is_file():
                raise SystemExit(f"mutation/modules.txt: {line} is not a file of the repository")
            found.append(line)
    return found


def dotted(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def prepare(keep: bool) -> None:
    """A fresh mutants/ (unless `keep`): mutmut's cache maps each function to the tests that ran it,
    and a cache carried over from an interrupted run or older tests judged killable mutants
    "survived" here. The addons stub must keep its symlinks (a planted link is one of its traps),
    so it is linked, not copied (mutmut's copy would follow the link)."""
    if not keep and MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    MUTANTS.mkdir(exist_ok=True)
    stub = MUTANTS / "addons_stub"
    if stub.is_symlink():
        return
    if stub.exists():
        shutil.rmtree(stub)
    stub.symlink_to(REPO / "addons_stub")


def run_mutmut(paths: list[str], jobs: int, keep: bool = False) -> float:
    prepare(keep)
    log = MUTANTS / "run.log"
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs), *(f"{dotted(p)}.*" for p in paths)]
    print(f"mutmut on {len(paths)} modules with {jobs} workers (log: {log.relative_to(REPO)})", flush=True)
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, check=False)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"mutmut failed (exit {done.returncode}):\n{tail}")
    return elapsed


def functions(path: str) -> dict[str, str]:
    """Every function of the mutated copy of `path`, by name, as source text."""
    source = (MUTANTS / path).read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = source.splitlines(True)  # once: ast.get_source_segment splits the whole file on every call,
    # which took minutes on guard/guard.py's mutated copy (4 MB, a thousand functions)
    return {
        node.name: "".join(lines[node.lineno - 1 : node.end_lineno])
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def change_of(name: str, bodies: dict[str, str]) -> str:
    """The mutated line(s) of mutant `name`, stripped: what an equivalent.toml entry pins."""
    local = name.rsplit(".", 1)[-1]
    original = bodies.get(local.rsplit("__mutmut_", 1)[0] + "__mutmut_orig")
    mutated = bodies.get(local)
    if original is None or mutated is None:
        return ""
    before, after = original.splitlines()[1:], mutated.splitlines()[1:]
    return " / ".join(
        line[1:].strip()
        for line in difflib.unified_diff(before, after, lineterm="", n=0)
        if line.startswith("+") and not line.startswith("+++")
    ) or "(a line removed)"


@dataclass
class Module:
    path: str
    killed: int = 0
    equivalent: int = 0
    survivors: list[str] = field(default_factory=list)
    other: dict[str, int] = field(default_factory=dict)

    @property
    def judged(self) -> int:
        return self.killed + len(self.survivors) + sum(self.other.values())

    @property
    def rate(self) -> float:
        return self.killed / self.judged if self.judged else 1.0


def equivalents(path: Path = HERE / "equivalent.toml") -> dict[str, dict[str, str]]:
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", [])
    listed: dict[str, dict[str, str]] = {}
    for entry in entries:
        if not entry.get("reason", "").strip():
            raise SystemExit(f"mutation/equivalent.toml: {entry.get('mutant')} has no reason")
        listed[entry["mutant"]] = entry
    return listed


def report(paths: list[str]) -> tuple[list[Module], list[str]]:
    listed = equivalents()
    stale: list[str] = []
    results = []
    for path in paths:
        meta = MUTANTS / f"{path}.meta"
        if not meta.exists():
            raise SystemExit(f"no mutmut results for {path}: run `make mutants` first")
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        bodies = functions(path)
        module = Module(path)
        for name, code in sorted(codes.items()):
            if code in KILLED:
                module.killed += 1
                continue
            entry = listed.get(name)
            if code == 0 and entry is not None:
                if change_of(name, bodies) == entry.get("change"):
                    module.equivalent += 1
                    continue
                stale.append(name)
            if code == 0:
                module.survivors.append(f"{name}: {change_of(name, bodies)}")
            else:
                status = STATUS.get(code, f"exit {code}")
                module.other[status] = module.other.get(status, 0) + 1
        results.append(module)
    return results, stale


def render(results: list[Module], stale: list[str], elapsed: float | None) -> bool:
    """Print the table and the survivors; True when every module and the whole meet the floor."""
    width = max(len(m.path) for m in results)
    print(f"\n{'module':<{width}}  killed / judged   rate  equivalent  other")
    for m in results:
        other = ", ".join(f"{n} {k}" for k, n in sorted(m.other.items())) or "-"
        mark = "" if m.rate >= FLOOR else "   < floor"
        print(f"{m.path:<{width}}  {m.killed:>6} / {m.judged:<6} {m.rate:6.1%}  {m.equivalent:>10}  {other}{mark}")
    killed = sum(m.killed for m in results)
    judged = sum(m.judged for m in results)
    overall = killed / judged if judged else 1.0
    print(f"{'overall':<{width}}  {killed:>6} / {judged:<6} {overall:6.1%}  {sum(m.equivalent for m in results):>10}")
    if elapsed is not None:
        print(f"mutmut ran {elapsed / 60:.1f} min")
    survivors = [name for m in results for name in m.survivors]
    if survivors:
        print(f"\n{len(survivors)} survivors (see one with: python mutation/run.py --show NAME):")
        for name in survivors:
            print(f"  {name}")
    for name in stale:
        print(f"stale entry in mutation/equivalent.toml (the mutant now changes something else): {name}")
    ok = overall >= FLOOR and all(m.rate >= FLOOR for m in results)
    print(f"\nfloor {FLOOR:.0%}: {'met' if ok else 'NOT met'}")
    return ok


def show(name: str) -> None:
    module = name.split(".x", 1)[0]
    path = module.replace(".", "/") + ".py"
    bodies = functions(path)
    local = name.rsplit(".", 1)[-1]
    original = bodies.get(local.rsplit("__mutmut_", 1)[0] + "__mutmut_orig", "")
    mutated = bodies.get(local, "")
    sys.stdout.writelines(difflib.unified_diff(original.splitlines(True), mutated.splitlines(True), "original", name))
    print(f'\n[[equivalent]]\nmutant = "{name}"\nchange = {json.dumps(change_of(name, bodies))}\nreason = ""')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="report on the last run without running mutmut")
    parser.add_argument("--show", metavar="MUTANT", help="print one mutant's change")
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ and mutmut's cache (faster, less sure)")
    parser.add_argument("modules", nargs="*", help="module files to run instead of those of mutation/modules.txt")
    args = parser.parse_args(argv)
    if args.show:
        show(args.show)
        return 0
    paths = args.modules or modules()
    elapsed = None
    if not args.report:
        elapsed = run_mutmut(paths, int(os.environ.get("MUTANTS_JOBS") or os.cpu_count() or 2), args.keep)
    results, stale = report(paths)
    return 0 if render(results, stale, elapsed) else 1


if __name__ == "__main__":
    sys.exit(main())
