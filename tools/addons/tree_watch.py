"""Change notification for an addons tree: an unchanged tree is answered without touching its files.

The index (`tools/addons/index.py`) proves a cached scan still holds by its fingerprint: a `stat`
of every folder and manifest. On a 1,000-module tree that is 1,000 system calls (~7 to 9 ms here) on
every call that reads the tree. The kernel can tell us instead: an inotify watch on the root, its
repository folders and every module folder reports any entry created, removed, renamed or
written in them — a manifest edited in place included, even one whose size and mtime are put back
— and the event is queued before the writing call returns. While no event has arrived, the tree
is what was scanned; after one, it is scanned again.

The watch only decides *when to re-check*, never what is read: scans still read every file by
descriptor, confined to the root. It is armed **before** the scan it vouches for, so a change
racing the scan leaves an event behind; any event (or a queue overflow) means "scan again", with
a new watch armed before that scan, so a folder created meanwhile is watched.
Filesystems whose changes the kernel does not see (NFS edits from another host, some FUSE
mounts) are covered by a full stat check at least every `TRUST_SECONDS`. Where inotify is
missing (macOS, Windows) or out of watches (`fs.inotify.max_user_watches`), `arm` answers None
and the index checks by stat on every call, as before.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

try:  # Linux only; elsewhere the index falls back to a stat per manifest
    from inotify_simple import INotify, flags
except ImportError:  # pragma: no cover - non-Linux platforms
    INotify = None  # type: ignore[assignment,misc]
    flags = None  # type: ignore[assignment]

QUIET, EXPIRED, CHANGED = "quiet", "expired", "changed"

TRUST_SECONDS = 5.0
"""At most this long between two full stat checks, for filesystems whose changes inotify misses."""


def _mask() -> int:
    assert flags is not None
    return (flags.MODIFY | flags.ATTRIB | flags.CLOSE_WRITE | flags.MOVED_FROM | flags.MOVED_TO
            | flags.CREATE | flags.DELETE | flags.DELETE_SELF | flags.MOVE_SELF | flags.ONLYDIR)


class TreeWatch:
    """Watches on a set of folders; `state()` says whether anything happened since it was armed."""

    def __init__(self, folders: Iterable[str]) -> None:
        assert INotify is not None
        self._inotify = INotify(nonblocking=True)
        self.armed_at = time.monotonic()
        self.changed = False
        mask = _mask()
        try:
            for folder in folders:
                try:
                    self._inotify.add_watch(folder, mask)
                except (FileNotFoundError, NotADirectoryError):
                    continue  # a file, or gone already: the parent's watch reports what happens to it
        except OSError:
            self.close()  # out of watches (ENOSPC) or instances: no watch at all, never a partial one
            raise

    def state(self) -> str:
        """`changed` once any event arrived (it stays so), else `expired` when the watch is older
        than `TRUST_SECONDS`, else `quiet`: the tree is the one scanned."""
        if self.changed:
            return CHANGED
        try:
            self.changed = bool(self._inotify.read(timeout=0))
        except OSError:
            self.changed = True
        if self.changed:
            return CHANGED
        return EXPIRED if time.monotonic() - self.armed_at > TRUST_SECONDS else QUIET

    def close(self) -> None:
        self._inotify.close()


def tree_folders(real_root: str, repos: bool) -> list[str]:
    """The folders to watch: the root, each repository folder (OCA layout), every module folder."""
    tops = [real_root]
    if repos:
        tops += [entry.path for entry in _dirs(real_root)]
    folders = list(tops)
    for top in tops:
        folders += [entry.path for entry in _dirs(top)]
    return folders


def _dirs(folder: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return [e for e in it if not e.name.startswith(".") and e.is_dir()]
    except OSError:
        return []


def arm(real_root: str, repos: bool) -> TreeWatch | None:
    """A watch over the tree at `real_root`, or None where the platform or its limits give none."""
    if INotify is None:
        return None
    try:
        return TreeWatch(tree_folders(real_root, repos))
    except OSError:
        return None
