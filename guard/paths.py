"""Path confinement: one function every path a tool touches goes through.

Modelled on the MCP reference filesystem server: refuse empty input and NUL bytes,
resolve (symlinks included), compare against the root with a separator-aware check
(`/srv/ee2` is not inside `/srv/ee`), and for a path that does not exist yet check its
parent. This is a check by *name*, the floor: a folder on the path can still be swapped for
a link after it. Handlers therefore never re-open the path by name: they walk it by
descriptor from the root (`foundation.fsroot`), which refuses a swapped folder.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from guard.spec import PathRefused

MAX_PATH_CHARS = 1024


def is_within(path: Path, root: Path) -> bool:
    """True when resolved `path` is `root` or lies below it (both already resolved)."""
    return path == root or root in path.parents


def confine(arg: str, candidate: str, root: Path, *, must_exist: bool = False) -> Path:
    """Resolve `candidate` (relative to `root`, or absolute) and refuse it unless it stays inside `root`.

    Returns the resolved path. Raises `PathRefused(arg, why)` otherwise.
    """
    if not isinstance(candidate, str) or not candidate.strip():
        raise PathRefused(arg, "empty path")
    if "\x00" in candidate:
        raise PathRefused(arg, "NUL byte in path")
    if len(candidate) > MAX_PATH_CHARS:
        raise PathRefused(arg, f"path longer than {MAX_PATH_CHARS} characters")
    if candidate.startswith("~"):
        raise PathRefused(arg, "'~' is not expanded; give a path inside the root")
    try:
        real_root = Path(os.path.realpath(root))
        raw = Path(candidate)
        joined = raw if raw.is_absolute() else real_root / raw
        resolved = Path(os.path.realpath(joined))
        if not is_within(resolved, real_root):
            raise PathRefused(arg, f"resolves outside its root ({root})")
        if must_exist and not resolved.exists():
            raise PathRefused(arg, "no such file inside the root")
        if not must_exist and not resolved.exists():
            parent = resolved.parent
            if not parent.is_dir():
                raise PathRefused(arg, "its folder does not exist inside the root")
    except OSError as exc:
        # A component too long, or a link changing under `realpath` (a race): refused, not crashed.
        raise path_error(arg, exc) from None
    return resolved


def path_error(name: str, exc: OSError) -> PathRefused:
    """An OSError met while confining a path (ENAMETOOLONG, ELOOP, EACCES...) as a `[PATH REFUSED]`."""
    why = {
        errno.ENAMETOOLONG: "a name in the path is too long",
        errno.ELOOP: "too many levels of symbolic links",
        errno.EACCES: "permission denied",
    }.get(exc.errno or 0, f"cannot be resolved ({errno.errorcode.get(exc.errno or 0, type(exc).__name__)})")
    return PathRefused(name, why)
