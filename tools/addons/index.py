"""The addons index: every module of a root, parsed once and kept until the tree changes.

Upstream rescans and re-parses every manifest on each call. Here a scan is cached per root
and revalidated by a *fingerprint*: the root's own stat (an added, removed or re-pointed
entry changes it), each repository folder's stat (OCA layout) and the stat of every
manifest (an in-place edit changes its mtime/size/inode). Checking the fingerprint costs
one `stat` per module; parsing costs a read plus `ast.literal_eval` — that gap is the
speed-up `bench/bench_addons.py` measures.

Scans are confined: an entry whose resolved path leaves the root (a symlink pointing out
of the checkout) is reported as a problem and its files are never read.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, NamedTuple

from foundation.fsroot import RootRefused, walk
from guard.paths import is_within
from odoo_client.names import MODULE_NAME_RE
from tools.addons.manifest import (
    MANIFEST,
    Manifest,
    ManifestError,
    NoManifest,
    inherited_models,
    read_manifest_at,
)
from tools.addons.tree_watch import EXPIRED, QUIET, TreeWatch, arm

Kind = Literal["enterprise", "community", "oca"]
Layout = Literal["flat", "repos"]

SKIPPED_DIRS = frozenset({"tests", "migrations", "upgrades", "static", "__pycache__", "node_modules"})
MAX_PY_FILES_PER_MODULE = 2000


class ModuleRecord(NamedTuple):
    """One module of one root: where it is, what its manifest says (or why it is unusable).

    Immutable (shared by cached scans); a named tuple because one is built per module on
    every cold scan and a frozen dataclass costs four times as much to build.
    """

    name: str
    kind: Kind
    path: Path
    """The entry inside the root (not resolved): `root/name` or `root/repo/name`."""
    real_path: Path
    repo: str | None
    manifest: Manifest | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.manifest is not None and self.problem is None

    def summary(self) -> dict[str, Any]:
        """The JSON-able view returned by listing tools (built once per scan, then shared)."""
        m = self.manifest
        data: dict[str, Any] = {"module": self.name, "source": self.kind}
        if self.repo:
            data["repo"] = self.repo
        if m is None:
            data["problem"] = self.problem
            return data
        data.update(
            name=m.name,
            version=m.version,
            summary=m.summary,
            category=m.category,
            license=m.license,
            application=m.application,
            countries=list(m.countries),
            depends=list(m.depends),
        )
        return data


class Folded(NamedTuple):
    """A module's searchable texts, case-folded (the technical name is lowercase already)."""

    module: str
    name: str
    summary: str
    category: str
    description: str


@dataclass
class Scan:
    """All modules of one root, by name; problems are kept per entry, never raised."""

    root: Path
    kind: Kind
    records: tuple[ModuleRecord, ...]
    by_name: dict[str, tuple[ModuleRecord, ...]] = field(default_factory=dict)
    summaries: tuple[dict[str, Any], ...] = ()
    problems: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        grouped: dict[str, list[ModuleRecord]] = {}
        for record in self.records:
            grouped.setdefault(record.name, []).append(record)
        self.by_name = {name: tuple(items) for name, items in grouped.items()}
        self.summaries = tuple(record.summary() for record in self.records if record.ok)
        self.problems = tuple(record.summary() for record in self.records if not record.ok)

    @cached_property
    def folded(self) -> tuple[Folded, ...]:
        """The text fields of each usable module, case-folded once per scan (parallel to `summaries`).

        Searches and filters compare against these: folding 1,000 modules' texts on every call
        cost more than the rest of a cached listing."""
        return tuple(
            Folded(r.name, m.name.casefold(), m.summary.casefold(), m.category.casefold(), m.description.casefold())
            for r in self.records if r.ok and (m := r.manifest) is not None
        )

    def get(self, name: str) -> ModuleRecord | None:
        """The first usable module called `name` (OCA: several repos may ship it)."""
        for record in self.by_name.get(name, ()):
            if record.ok:
                return record
        return None

    def names(self) -> set[str]:
        return {record.name for record in self.records if record.ok}


def _stat_key(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path, follow_symlinks=False)  # a file swapped for a link changes the key
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError:
        return []


def _realpath(path: Path) -> Path | None:
    try:
        return Path(os.path.realpath(path))
    except OSError:  # a link changing while it is resolved
        return None


def _record(
    parent_fd: int, entry_path: Path, real_root: Path, kind: Kind, repo: str | None, root_fd: int,
    is_link: bool = True, keys: dict[str, Any] | None = None,
) -> ModuleRecord | None:
    """A record for one entry, or None when the entry is simply not a module.

    `is_link=False` (from the directory entry's type, free with scandir) skips `realpath`:
    the folders above are already resolved, so a plain entry is its own real path, opened
    relative to its (open) parent folder without following links. A linked entry is resolved,
    checked to stay inside the root, and walked from the root's descriptor. Its manifest is
    read relative to the module folder (a symlinked or hard-linked manifest is refused), and
    `keys` receives the stat key of the manifest actually read (the index's fingerprint).
    """
    name = entry_path.name
    path = f"{entry_path}/{MANIFEST}"
    keys = keys if keys is not None else {}
    if is_link:
        keys[path] = _stat_key(path)  # taken before anything is read, as the fingerprint must be
        real = _realpath(entry_path)
        if real is None or not is_within(real, real_root):
            # Never read a file outside the root, even to tell whether it is a module.
            return ModuleRecord(name, kind, entry_path, real or entry_path, repo, None,
                                "resolves outside its root (symlink)")
    else:  # a plain entry of a plain folder of the (resolved) root: inside by construction
        real = entry_path
    try:
        if is_link:
            module_fd = walk(root_fd, real.relative_to(real_root).parts, "module")
        else:
            module_fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd)
    except (RootRefused, OSError):
        keys.setdefault(path, None)
        return None  # not a folder (any more): not a module
    seen: list[tuple[int, int, int]] = []
    try:
        if not MODULE_NAME_RE.fullmatch(name):
            key = _stat_key_at(module_fd)
            keys.setdefault(path, key)
            if key is None:
                return None
            return ModuleRecord(name, kind, entry_path, real, repo, None, "folder name is not an Odoo technical name")
        try:
            manifest = read_manifest_at(module_fd, name, seen)
        except NoManifest:
            keys.setdefault(path, None)
            return None
        except ManifestError as exc:
            if not seen:  # refused before opening (a symlink): key it only if it still is one
                key = _stat_key_at(module_fd)
                keys.setdefault(path, key if _is_link_at(module_fd) else ("changed",))
            return ModuleRecord(name, kind, entry_path, real, repo, None, f"broken manifest: {exc}")
        finally:
            if seen:
                keys.setdefault(path, seen[0])
    finally:
        os.close(module_fd)
    return ModuleRecord(name, kind, entry_path, real, repo, manifest)


def _stat_key_at(module_fd: int) -> tuple[int, int, int] | None:
    try:
        st = os.stat(MANIFEST, dir_fd=module_fd, follow_symlinks=False)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _is_link_at(module_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(MANIFEST, dir_fd=module_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _folders(real_root: Path, kind: Kind, layout: Layout, records: list[ModuleRecord]) -> list[tuple[Path, str | None]]:
    """The folders holding modules: the root (flat) or each repository folder inside it (repos)."""
    if layout == "flat":
        return [(real_root, None)]
    folders: list[tuple[Path, str | None]] = []
    for entry in _entries(real_root):
        repo_path = real_root / entry.name
        real_repo = _realpath(repo_path)
        if real_repo is None or not is_within(real_repo, real_root):
            why = "repository resolves outside its root"
            records.append(ModuleRecord(entry.name, kind, repo_path, repo_path, entry.name, None, why))
            continue
        if entry.is_dir():
            folders.append((repo_path, entry.name))
    return folders


def scan_root(root: Path, kind: Kind, layout: Layout, keys: dict[str, Any] | None = None,
              listed: list[str] | None = None) -> Scan:
    """Parse every module under `root` (flat: a folder of modules; repos: a folder of folders of modules).

    `keys` receives manifest path → stat key for the manifests read; `listed` every manifest
    path looked at (the index's fingerprint covers both).
    """
    real_root = Path(os.path.realpath(root))
    records: list[ModuleRecord] = []
    folders = _folders(real_root, kind, layout, records)
    try:
        root_fd = os.open(real_root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return Scan(real_root, kind, tuple(records))
    try:
        for folder, repo in folders:
            plain = repo is None or not os.path.islink(folder)
            try:
                folder_fd = root_fd if repo is None else (walk(root_fd, [repo], "module") if plain else -1)
            except RootRefused:
                continue
            try:
                for entry in _entries(folder):
                    if listed is not None:
                        listed.append(f"{entry.path}/{MANIFEST}")
                    is_link = entry.is_symlink() or not plain
                    record = _record(folder_fd, folder / entry.name, real_root, kind, repo, root_fd, is_link, keys)
                    if record is not None:
                        records.append(record)
            finally:
                if folder_fd not in (root_fd, -1):
                    os.close(folder_fd)
    finally:
        os.close(root_fd)
    return Scan(real_root, kind, tuple(records))


@dataclass
class _Cached:
    scan: Scan
    layout: Layout
    manifest_paths: tuple[str, ...]
    dir_paths: tuple[str, ...]
    key: tuple[Any, ...]
    watch: TreeWatch | None = None
    """Armed before the scan: while it is quiet, the tree is the one scanned (no stat needed)."""


class AddonsIndex:
    """The runtime service (`runtime.service("addons_index", AddonsIndex.factory)`).

    `scan(root, kind, layout)` returns a cached `Scan` while the root's fingerprint holds.
    Counters `cold_scans` / `cache_hits` / `stat_checks` let tests check the cache without timing
    anything. A hit is proved by the tree's watch where the platform has one (`tree_watch.py`: no
    file touched), else by the fingerprint (one stat per folder and manifest).
    """

    def __init__(self, *, watch: bool = True) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], _Cached] = {}
        self._inherits: dict[str, tuple[tuple[Any, ...], frozenset[str]]] = {}
        self._watch = watch
        self.cold_scans = 0
        self.cache_hits = 0
        self.stat_checks = 0

    @classmethod
    def factory(cls, _runtime: object = None) -> AddonsIndex:
        return cls()

    def _quick_key(self, cached: _Cached) -> tuple[Any, ...]:
        """Recompute the fingerprint from the remembered paths, without listing folders.

        Any added/removed entry changes a folder's stat (in `dir_paths`), so listing again
        is only needed when that part already differs — then the full scan runs anyway.
        """
        dirs = tuple(_stat_key(path) for path in cached.dir_paths)
        manifests = tuple(_stat_key(path) for path in cached.manifest_paths)
        return dirs + manifests

    def scan(self, root: Path, kind: Kind, layout: Layout = "flat") -> Scan:
        real_root = Path(os.path.realpath(root))
        cache_key = (kind, str(real_root))
        with self._lock:
            cached = self._cache.get(cache_key)
            if cached is not None and cached.layout == layout:
                state = cached.watch.state() if cached.watch is not None else EXPIRED
                if state == QUIET:
                    self.cache_hits += 1
                    return cached.scan
                if cached.watch is not None:
                    cached.watch.close()
                    cached.watch = None
                if state == EXPIRED:  # nothing seen, but no watch (or too old to vouch alone): ask stat
                    watch = self._arm(real_root, layout)  # armed before the check it continues
                    self.stat_checks += 1
                    if self._quick_key(cached) == cached.key:
                        cached.watch = watch
                        self.cache_hits += 1
                        return cached.scan
                    if watch is not None:
                        watch.close()
            watch = self._arm(real_root, layout)  # before the scan: a change racing it leaves an event
            # Folders' stats first, scan second: an entry added or removed during the scan changes a
            # folder's stat, so the next call rescans. Each manifest's key is the stat of the very
            # file that was parsed (taken by descriptor before reading); entries that were not read
            # (no manifest, a link, refused) get a by-name stat, as the quick check does.
            dir_paths = [str(real_root)]
            if layout == "repos":
                dir_paths += [os.path.join(real_root, e.name) for e in _entries(real_root) if e.is_dir()]
            dir_keys = tuple(_stat_key(path) for path in dir_paths)
            keys: dict[str, Any] = {}
            listed: list[str] = []
            scan = scan_root(real_root, kind, layout, keys, listed)
            manifest_paths = tuple(listed)
            manifest_keys = tuple(keys.get(path, ("changed",)) for path in manifest_paths)
            entry = _Cached(scan, layout, manifest_paths, tuple(dir_paths), dir_keys + manifest_keys, watch)
            self._cache[cache_key] = entry
            self.cold_scans += 1
            return entry.scan

    def _arm(self, real_root: Path, layout: Layout) -> TreeWatch | None:
        return arm(str(real_root), layout == "repos") if self._watch else None

    def close(self) -> None:
        """Release the trees' watches (their inotify descriptors)."""
        with self._lock:
            for cached in self._cache.values():
                if cached.watch is not None:
                    cached.watch.close()
                    cached.watch = None

    def inherits(self, record: ModuleRecord) -> frozenset[str]:
        """Models the module extends with `_inherit` (its Python files read as text, cached by stat).

        The module folder is walked by descriptor (`os.fwalk`, links never followed) and each
        file opened relative to its folder with `O_NOFOLLOW`: a folder or file swapped for a
        link mid-walk is skipped, never read through.
        """
        if not record.ok:
            return frozenset()
        try:
            top = os.open(record.real_path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return frozenset()
        try:
            return self._inherits_at(record, top)
        finally:
            os.close(top)

    def _inherits_at(self, record: ModuleRecord, top: int) -> frozenset[str]:
        key = tuple(_python_files(top, read=False))
        with self._lock:
            hit = self._inherits.get(str(record.real_path))
            if hit is not None and hit[0] == key:
                return hit[1]
        models: set[str] = set()
        for _, _, data in _python_files(top, read=True):
            if data is not None:
                models |= inherited_models(data.decode("utf-8", errors="replace"))
        result = frozenset(models)
        with self._lock:
            self._inherits[str(record.real_path)] = (key, result)
        return result


def _python_files(top: int, *, read: bool) -> Iterator[tuple[str, tuple[Any, ...] | None, bytes | None]]:
    """(relative path, stat key, content if `read`) of a module's Python files, walked by descriptor."""
    count = 0
    for folder, dirs, names, folder_fd in os.fwalk(".", dir_fd=top, follow_symlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(n for n in names if n.endswith(".py") and n != MANIFEST):
            count += 1
            if count > MAX_PY_FILES_PER_MODULE:
                return
            stat_key, data = _read_source(folder_fd, name, read)
            yield os.path.join(folder, name), stat_key, (data if read else None)


def _read_source(folder_fd: int, name: str, read: bool) -> tuple[tuple[Any, ...] | None, bytes | None]:
    """(stat key, first MB if `read`) of a plain Python file in `folder_fd`; (None, None) for a link or odd file."""
    if not read:  # the cache check: one stat, no open
        try:
            st = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
        except OSError:
            return None, None
        plain = stat.S_ISREG(st.st_mode) and st.st_nlink == 1
        return ((st.st_mtime_ns, st.st_size, st.st_ino), None) if plain else (None, None)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=folder_fd)
    except OSError:
        return None, None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            return None, None
        return (st.st_mtime_ns, st.st_size, st.st_ino), (os.read(fd, 1024 * 1024) if read else None)
    finally:
        os.close(fd)
