"""Path confinement: one function every path a tool touches goes through.

Modelled on the MCP reference filesystem server: refuse empty input and NUL bytes,
resolve (symlinks included), compare against the root with a separator-aware check
(`/srv/ee2` is not inside `/srv/ee`), and for a path that does not exist yet check its
parent. Callers create files exclusively (`O_EXCL`, `os.symlink`) so that a link planted
between this check and the write is not followed.
"""

from __future__ import annotations

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
    return resolved
