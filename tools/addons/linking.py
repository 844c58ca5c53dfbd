"""Creating and removing module links in an addons target, all-or-nothing, without following links.

Every operation works through a file descriptor of the target folder, opened with
`O_NOFOLLOW` and checked (via `/proc/self/fd`) to be the pinned target: if the folder was
swapped for a link between resolution and use, nothing is done. Links are created with
`symlinkat`, which is exclusive: a name planted after our check makes the call fail and
roll back, and what was planted is left alone. Rollback only removes links this call made
(and only while they still point where we made them point).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from guard.paths import is_within
from guard.spec import PathRefused
from tools.addons.errors import Conflict
from tools.addons.roots import Target


@contextlib.contextmanager
def open_target(target: Target) -> Iterator[int]:
    """A directory fd on the pinned target; refuses if the path is now a link or elsewhere."""
    try:
        fd = os.open(target.real, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        why = f"cannot open target {target.name!r} without following links ({exc.strerror})"
        raise PathRefused("target_dir", why) from None
    try:
        proc = f"/proc/self/fd/{fd}"
        actual = Path(os.readlink(proc)) if os.path.exists(proc) else target.real
        if actual != target.real:
            raise PathRefused("target_dir", f"target {target.name!r} moved while in use; nothing done")
        yield fd
    finally:
        os.close(fd)


def read_entry(fd: int, name: str) -> tuple[str, str | None]:
    """What is at `name` in the target: ("absent"|"link"|"dir"|"other", link text or None)."""
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return "absent", None
    if stat.S_ISLNK(st.st_mode):
        return "link", os.readlink(name, dir_fd=fd)
    if stat.S_ISDIR(st.st_mode):
        return "dir", None
    return "other", None


def link_destination(target: Target, link_text: str) -> Path:
    """Where a link in the target leads once resolved (relative links are relative to the target)."""
    joined = Path(link_text) if os.path.isabs(link_text) else target.real / link_text
    return Path(os.path.realpath(joined))


@dataclass
class LinkPlan:
    """What a link call will do, decided before anything is touched."""

    target: Target
    create: dict[str, Path] = field(default_factory=dict)
    already: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)


def plan_links(fd: int, target: Target, sources: dict[str, Path]) -> LinkPlan:
    """Check each `name → source` against what is in the target now; nothing is changed."""
    plan = LinkPlan(target)
    for name, source in sources.items():
        kind, text = read_entry(fd, name)
        if kind == "absent":
            plan.create[name] = source
        elif kind == "link" and text is not None and link_destination(target, text) == source:
            plan.already.append(name)
        elif kind == "link":
            plan.problems[name] = f"a link to {text} is already in target {target.name!r}; not replaced"
        elif kind == "dir":
            plan.problems[name] = f"a real folder of that name is in target {target.name!r}; not replaced"
        else:
            plan.problems[name] = f"a file of that name is in target {target.name!r}; not replaced"
    return plan


def apply_links(fd: int, plan: LinkPlan) -> list[str]:
    """Create the planned links (exclusive); on any failure remove the ones this call made."""
    made: list[tuple[str, str]] = []
    try:
        for name, source in plan.create.items():
            text = str(source)
            try:
                os.symlink(text, name, target_is_directory=True, dir_fd=fd)
            except FileExistsError:
                raise Conflict(
                    "target changed while linking; links made by this call were removed",
                    {name: "something appeared at this name after the check; left untouched"},
                ) from None
            made.append((name, text))
    except BaseException:
        rollback(fd, made)
        raise
    return [name for name, _ in made]


def rollback(fd: int, made: list[tuple[str, str]]) -> None:
    """Remove links this call created, only if each still is the link we wrote."""
    for name, text in reversed(made):
        with contextlib.suppress(OSError):
            if read_entry(fd, name) == ("link", text):
                os.unlink(name, dir_fd=fd)


def plan_unlinks(
    fd: int, target: Target, names: list[str], owner_root: Path, owner: str
) -> tuple[list[str], list[str], dict[str, str]]:
    """Split `names` into (removable links into `owner_root`, absent, refused with reasons)."""
    removable: list[str] = []
    absent: list[str] = []
    problems: dict[str, str] = {}
    for name in names:
        kind, text = read_entry(fd, name)
        if kind == "absent":
            absent.append(name)
        elif kind == "link" and text is not None:
            if is_within(link_destination(target, text), owner_root) and link_destination(target, text) != owner_root:
                removable.append(name)
            else:
                problems[name] = f"a link to {text}, not into the {owner} root; left in place"
        elif kind == "dir":
            problems[name] = "a real folder, not a link; never removed"
        else:
            problems[name] = "a file, not a link; never removed"
    return removable, absent, problems


def apply_unlinks(fd: int, target: Target, names: list[str], owner_root: Path) -> list[str]:
    """Remove links, re-checking each one right before (a link only: `unlink` never removes a folder)."""
    removed: list[str] = []
    for name in names:
        kind, text = read_entry(fd, name)
        if kind != "link" or text is None or not is_within(link_destination(target, text), owner_root):
            continue
        try:
            os.unlink(name, dir_fd=fd)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
            continue
        removed.append(name)
    return removed
