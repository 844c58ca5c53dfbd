"""A co-tenant in another process: swaps a folder inside a root for a symlink (and back) while calls run.

The attack of issue 9: the guard checks a path by name, then a folder on that path is swapped
for a link to somewhere outside the root before the handler uses it. `swapping()` keeps doing
that for as long as its block runs (bounded by a deadline), then restores the folder. It runs
as its own small process, so it really races the handler (a thread would mostly wait for the GIL).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_SWAPPER = r"""
import ctypes, os, sys, time
folder, outside, spare, stop, seconds, hold = sys.argv[1:7]
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
os.symlink(outside, spare)

def exchange():
    # renameat2(RENAME_EXCHANGE): the name is always either the folder or the link, never absent
    if libc.renameat2(AT_FDCWD, folder.encode(), AT_FDCWD, spare.encode(), RENAME_EXCHANGE) != 0:
        raise OSError(ctypes.get_errno(), "renameat2")

deadline = time.monotonic() + float(seconds)
swaps = 0
print("ready", flush=True)
while not os.path.exists(stop) and time.monotonic() < deadline:
    exchange()  # now `folder` is the link to `outside`
    for _ in range(int(hold) // 4):
        pass
    exchange()  # the real folder is back
    swaps += 1
    for _ in range(int(hold)):
        pass
print(swaps, flush=True)
"""

_PLANTER = r"""
import os, sys, time
name, outside, stop, seconds, hold = sys.argv[1:6]
deadline = time.monotonic() + float(seconds)
plants = 0
print("ready", flush=True)
while not os.path.exists(stop) and time.monotonic() < deadline:
    try:
        os.symlink(outside, name)
        plants += 1
        for _ in range(int(hold) // 4):
            pass
        if os.path.islink(name):
            os.unlink(name)
    except OSError:
        pass
    for _ in range(int(hold)):
        pass
print(plants, flush=True)
"""


@dataclass
class Swapper:
    """How many swaps the co-tenant made (a race test that swapped nothing proves nothing)."""

    swaps: int = 0


def _restore(folder: Path, spare: Path) -> None:
    if folder.is_symlink() and spare.is_dir() and not spare.is_symlink():
        folder.unlink()
        spare.rename(folder)
    elif spare.is_symlink():
        spare.unlink()


@contextlib.contextmanager
def _co_tenant(script: str, stop: Path, *args: str) -> Iterator[Swapper]:
    """Run a co-tenant `script` in another process until the block ends; count what it did."""
    state = Swapper()
    child = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        yield state
    finally:
        stop.touch()
        out, _ = child.communicate(timeout=30)
        stop.unlink()
        state.swaps = int(out.strip() or 0)


@contextlib.contextmanager
def swapping(folder: Path, outside: Path, *, seconds: float = 60.0, hold: int = 4000) -> Iterator[Swapper]:
    """While the block runs: atomically exchange `folder` with a link to `outside`, and back, repeatedly.

    `hold` is a short busy pause with the real folder in place, so calls also get through
    (a test must see both outcomes: work done inside, and refusals of a swapped folder).
    """
    spare = folder.with_name(folder.name + ".swap")
    stop = folder.with_name(folder.name + ".stop-swapping")
    try:
        args = (str(folder), str(outside), str(spare), str(stop), str(seconds), str(hold))
        with _co_tenant(_SWAPPER, stop, *args) as state:
            time.sleep(0.01)
            yield state
    finally:
        _restore(folder, spare)


@contextlib.contextmanager
def planting(name: Path, outside: Path, *, seconds: float = 60.0, hold: int = 4000) -> Iterator[Swapper]:
    """While the block runs: keep planting a link `name` → `outside` (when the name is free) and removing it."""
    stop = name.with_name(name.name + ".stop-planting")
    try:
        with _co_tenant(_PLANTER, stop, str(name), str(outside), str(stop), str(seconds), str(hold)) as state:
            yield state
    finally:
        if name.is_symlink():
            name.unlink()


def tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder` (links not followed) with its content: what 'nothing changed' means."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(folder))] = f"link:{os.readlink(path)}"
        elif path.is_file():
            found[str(path.relative_to(folder))] = path.read_bytes()
        else:
            found[str(path.relative_to(folder))] = "dir"
    return found
