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
    python mutation/run.py --budget        # where the last run's time went, and what all of guard/ would take
    python mutation/run.py --survivors guard/limiter.py   # after new tests: judge only what was not killed

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


def exit_codes(path: str) -> dict[str, int | None]:
    """mutmut's verdict per mutant of `path` (its exit code) from the last run's results."""
    meta = MUTANTS / f"{path}.meta"
    if not meta.exists():
        raise SystemExit(f"no mutmut results for {path}: run `make mutants` first")
    return json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]


def unkilled(paths: list[str]) -> list[str]:
    """The mutants of `paths` the last run did not kill (survived, no tests, not checked), except those
    `mutation/equivalent.toml` lists (the report still checks that each makes the change it pins)."""
    listed = equivalents()
    names = []
    for path in paths:
        codes = exit_codes(path)
        names += sorted(name for name, code in codes.items()
                        if code not in KILLED and not (code == 0 and name in listed))
    return names


def run_mutmut(paths: list[str], jobs: int, keep: bool = False, names: list[str] | None = None) -> float:
    prepare(keep)
    log = MUTANTS / "run.log"
    targets = names if names is not None else [f"{dotted(p)}.*" for p in paths]
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs), *targets]
    print(f"mutmut on {len(paths)} modules with {jobs} workers (log: {log.relative_to(REPO)})", flush=True)
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, check=False)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"mutmut failed (exit {done.returncode}):\n{tail}")
    return elapsed


def functions(path: str, root: Path = MUTANTS) -> dict[str, str]:
    """Every function of the mutated copy of `path` (under `root`, mutmut's copy), by name, as source text."""
    source = (root / path).read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = [line.encode("utf-8") for line in source.splitlines(keepends=True)]

    def segment(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        # ast.get_source_segment, with the file split once: it splits the whole file on every call,
        # which took minutes on a mutated module of thousands of functions. Offsets are UTF-8 bytes.
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        if first == last:
            return lines[first][node.col_offset:node.end_col_offset].decode("utf-8")
        body = [lines[first][node.col_offset:], *lines[first + 1:last], lines[last][:node.end_col_offset]]
        return b"".join(body).decode("utf-8")

    return {
        node.name: segment(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def change_of(name: str, bodies: dict[str, str]) -> str:
    """The mutated line(s) of mutant `name`, stripped: what an equivalent.toml entry pins."""
    local = name.rsplit(".", 1)[-1]
    orig_name = local.rsplit("__mutmut_", 1)[0] + "__mutmut_orig"
    original = bodies.get(orig_name)
    mutated = bodies.get(local)
    if original is None or mutated is None:
        return ""
    # The def line too (a mutated default argument is there), with the mutant's name read as the original's.
    before, after = original.splitlines(), mutated.replace(f"def {local}(", f"def {orig_name}(", 1).splitlines()
    return " / ".join(
        line[1:].strip()
        for line in difflib.unified_diff(before, after, lineterm="", n=0)
        if line.startswith("+") and not line.startswith("+++")
    ) or "(a line removed)"


def pinned_equivalent(name: str, root: Path = MUTANTS) -> bool:
    """Whether mutant `name` is listed in equivalent.toml and still makes the change its entry pins.

    Read by `mutation/verdicts.py` inside a mutant's run, to skip the tests of a mutant already
    judged equivalent: they cannot change its verdict (a listed mutant that survives counts as
    equivalent, one a test kills as killed — skipping can only move it from killed to equivalent,
    which lowers the rate), and they were 390 survivors' worth of whole selections, the slowest
    runs of all. A stale entry (the code moved, the change differs) is not skipped."""
    entry = equivalents(root / "mutation" / "equivalent.toml").get(name)
    if entry is None:
        return False
    path = name.rsplit(".", 1)[0].replace(".", "/") + ".py"
    return (root / path).is_file() and change_of(name, functions(path, root)) == entry.get("change")


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
        codes = exit_codes(path)
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


def _stats() -> tuple[dict[str, float], dict[str, list[str]]]:
    data = json.loads((MUTANTS / "mutmut-stats.json").read_text(encoding="utf-8"))
    return data["duration_by_test"], data["tests_by_mangled_function_name"]


def _selection(name: str, tests_by_function: dict[str, list[str]]) -> list[str]:
    """The tests mutmut runs for mutant `name`: those that called its function during the stats run."""
    return tests_by_function.get(name.rsplit("__mutmut_", 1)[0], [])


def budget(workers: int) -> None:
    """Where the last run's time went (mutmut's per-mutant wall time, `mutation/verdicts.py`'s lines),
    and a projection for every module mutmut generated mutants for (all of guard/ and linking).

    The projection: a killed mutant costs what killed mutants cost in this run (mean wall time),
    a survivor runs its whole selection (the sum of its tests' stats-run durations); at the floor
    at most 10% survive. Divided by the workers, plus the run's fixed part (generation, stats,
    clean run), which `mutmut ran` minus the mutants' share shows.
    """
    durations, tests_by_function = _stats()
    verdicts = {}
    log = MUTANTS / "verdicts.jsonl"
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            verdicts[entry["mutant"]] = entry
    walls_by_name: dict[str, float] = {}
    cpu_per_wall = 1.0
    killed_walls: list[float] = []
    survived_walls: list[float] = []
    per_module = []
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        codes, walls = data["exit_code_by_key"], data.get("durations_by_key", {})
        selected = {name: sum(durations.get(t, 0.0) for t in _selection(name, tests_by_function)) for name in codes}
        with_tests = [name for name in codes if selected[name] > 0 or _selection(name, tests_by_function)]
        walls_by_name.update(walls)
        for name, wall in walls.items():
            (killed_walls if codes.get(name) in KILLED else survived_walls if codes.get(name) == 0 else []).append(wall)
        if codes:
            per_module.append((str(meta.relative_to(MUTANTS))[: -len(".meta")], len(codes), with_tests, selected))
    if not killed_walls:
        raise SystemExit("no mutant results with times in mutants/: run mutation/run.py first")
    killed_mean = sum(killed_walls) / len(killed_walls)
    print(f"this run: {len(killed_walls)} killed, mean {killed_mean:.2f} s each; "
          f"{len(survived_walls)} survived, mean {sum(survived_walls) / max(1, len(survived_walls)):.2f} s each "
          f"(wall, per worker)")
    if verdicts:
        collect = sum(v["collect"] for v in verdicts.values()) / len(verdicts)
        run = sum(v["run"] for v in verdicts.values()) / len(verdicts)
        cpu = sum(v["cpu"] for v in verdicts.values()) / len(verdicts)
        print(f"inside pytest, per mutant: collection {collect:.2f} s, tests {run:.2f} s; CPU since the fork "
              f"{cpu:.2f} s ({len(verdicts)} mutants)")
        timed = [v for v in verdicts.values() if v["mutant"] in walls_by_name]
        if timed:
            cpu_per_wall = sum(v["cpu"] for v in timed) / max(1e-9, sum(walls_by_name[v["mutant"]] for v in timed))
        killers: dict[str, int] = {}
        for v in verdicts.values():
            if v["killer"]:
                killers[v["killer"]] = killers.get(v["killer"], 0) + 1
        print("tests that killed the most mutants:")
        for test, count in sorted(killers.items(), key=lambda item: -item[1])[:10]:
            print(f"  {count:5d}  {durations.get(test, 0.0):6.2f} s  {test}")
    print(f"\nprojection with {workers} workers (killed: {killed_mean:.2f} s; 10% survivors run their "
          "whole selection):")
    total = 0.0
    for path, count, with_tests, selected in per_module:
        survivors = 0.1 * sum(selected[name] for name in with_tests)
        seconds = (0.9 * len(with_tests) * killed_mean + survivors) / workers
        total += seconds
        print(f"  {path:<28} {count:5d} mutants  {len(with_tests):5d} with tests  {seconds / 60:5.1f} min")
    print(f"  {'all':<28} {sum(c for _, c, _, _ in per_module):5d} mutants  {total / 60:17.1f} min + the fixed part")
    if cpu_per_wall < 1.0:
        print(f"on an idle machine (CPU-bound: wall = CPU; this run's workers got {cpu_per_wall:.0%} of a core): "
              f"{total * cpu_per_wall / 60:.1f} min + the fixed part")


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
    parser.add_argument("--budget", action="store_true", help="where the last run's time went; a projection for guard/")
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ and mutmut's cache (faster, less sure)")
    parser.add_argument("--survivors", action="store_true",
                        help="judge again only what the last run did not kill (after new tests; the code unchanged)")
    parser.add_argument("modules", nargs="*", help="module files to run instead of those of mutation/modules.txt")
    args = parser.parse_args(argv)
    if args.show:
        show(args.show)
        return 0
    jobs = int(os.environ.get("MUTANTS_JOBS") or os.cpu_count() or 2)
    if args.budget:
        budget(jobs)
        return 0
    paths = args.modules or modules()
    elapsed = None
    if not args.report:
        names = unkilled(paths) if args.survivors else None
        if names == []:
            print("nothing left to judge: every mutant of these modules was killed")
        else:
            elapsed = run_mutmut(paths, jobs, args.keep or args.survivors, names)
    results, stale = report(paths)
    return 0 if render(results, stale, elapsed) else 1


if __name__ == "__main__":
    sys.exit(main())
