"""Descriptor-relative file work inside a root: the root is opened once, every step is relative.

`guard.paths.confine` checks a *name*; between that check and the use of the name, someone who
can rename or symlink inside the root (a co-tenant, a shared folder, a repository's own
content) can swap a folder for a symlink, and any later `open(path)` follows it. This module
closes that window: a `RootDir` opens the root once (`O_DIRECTORY|O_NOFOLLOW`), and every
component below it is opened relative to its parent's descriptor with `O_NOFOLLOW` as well,
so a component that is (or becomes) a symlink makes the walk fail with `RootRefused` instead
of leaving the root. Files are created exclusively (`O_EXCL`) and read from the descriptor the
walk produced, never re-opened by name.

Reads refuse a file with more than one hard link: a hard link inside the root can name an
inode that lives outside it (an agent must not export it), and a name-based check can never
tell. `RootPins` records the identity (device, inode) of each root the first time it is opened,
so a root swapped for another folder while the server runs is refused rather than followed.

Its two errors are its own (`RootRefused`: the path cannot be used inside the root; `NameTaken`:
exclusive creation found the name taken), so that every layer can use it, the Odoo client's
certificate pins included; the guard says them in its words (`guard.refusals.failure_of`: a
`[PATH REFUSED]` refusal audited `path_refused`, and a `[TOOL ERROR]`). No MCP or Odoo import
here, and nothing of ours: tested in-process.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import stat
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any


class RootRefused(Exception):
    """A path that cannot be used inside its root (it would climb out, follow a link, or names
    nothing there): `arg` is the argument it came from, `why` says what is wrong, in one line."""

    def __init__(self, arg: str, why: str) -> None:
        super().__init__(f"{arg}: {why}")
        self.arg = arg
        self.why = why
        self.message = f"{arg}: {why}"


class NameTaken(Exception):
    """Exclusive creation found the name taken; nothing was overwritten."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0)
CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC

Parts = tuple[str, ...]


def relative_parts(arg: str, path: str | os.PathLike[str], root_real: Path) -> Parts:
    """The components of `path` below `root_real`, refusing anything that could climb or alias.

    `path` is relative to the root, or absolute and lexically inside `root_real` (the guard
    hands handlers resolved absolute paths). `.`/`..`/empty components are refused rather
    than normalised: a walk never needs them.
    """
    text = os.fspath(path)
    if not text or "\x00" in text:
        raise RootRefused(arg, "empty path or NUL byte")
    pure = PurePosixPath(text)
    if pure.is_absolute():
        root = PurePosixPath(root_real)
        if pure != root and root not in pure.parents:
            raise RootRefused(arg, "outside its root")
        pure = pure.relative_to(root)
    raw = [part for part in str(pure).split("/") if part]
    if raw == ["."]:
        return ()
    for part in raw:
        if part in {".", ".."}:
            raise RootRefused(arg, f"component {part!r} is not allowed")
    return tuple(raw)


def _identity(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


class RootPins:
    """root key → (device, inode) seen at first open; a later open of another folder is refused."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pins: dict[str, tuple[int, int]] = {}

    def check(self, key: str, fd: int, arg: str) -> None:
        identity = _identity(fd)
        with self._lock:
            first = self._pins.setdefault(key, identity)
        if first != identity:
            raise RootRefused(arg, "the configured root was replaced by another folder while the server runs; "
                                   "refusing to use it (restart the server to accept the new folder)")


def _refuse_walk(arg: str, shown: str, exc: OSError) -> RootRefused:
    if exc.errno in {errno.ELOOP, errno.ENOTDIR, errno.EMLINK}:
        return RootRefused(arg, f"{shown} is a symlink or not a folder; refusing to follow it")
    if exc.errno == errno.ENOENT:
        return RootRefused(arg, f"{shown} does not exist inside the root")
    if exc.errno == errno.ENAMETOOLONG:
        return RootRefused(arg, f"{shown}: name too long")
    return RootRefused(arg, f"{shown}: {exc.strerror or type(exc).__name__}")


class RootDir:
    """An open root: walk, create, read, rename and remove, all relative to descriptors.

    Use as a context manager; the root descriptor is closed on exit. `pins` (optional) makes
    the root's identity fixed for the server's lifetime under `key`.
    """

    def __init__(self, root: str | os.PathLike[str], arg: str, *, pins: RootPins | None = None,
                 key: str | None = None) -> None:
        self.path = Path(os.path.realpath(root))
        self.arg = arg
        self.fd = -1
        self._pins = pins
        self._key = key or str(self.path)

    def __enter__(self) -> RootDir:
        try:
            self.fd = os.open(self.path, DIR_FLAGS)
        except OSError as exc:
            raise _refuse_walk(self.arg, "the root", exc) from None
        try:
            if self._pins is not None:
                self._pins.check(self._key, self.fd, self.arg)
        except BaseException:
            os.close(self.fd)
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def parts(self, path: str | os.PathLike[str]) -> Parts:
        """`path` (relative, or absolute inside the root) as components below the root."""
        return relative_parts(self.arg, path, self.path)

    def open_dir(self, parts: Sequence[str]) -> int:
        """A new descriptor on the folder at `parts` (the root itself for `()`); the caller closes it."""
        return walk(self.fd, parts, self.arg)

    @contextlib.contextmanager
    def parent(self, parts: Sequence[str]) -> Iterator[tuple[int, str]]:
        """(descriptor of the folder holding the last component, that component's name)."""
        if not parts:
            raise RootRefused(self.arg, "names the root itself, not an entry inside it")
        fd = self.open_dir(parts[:-1])
        try:
            yield fd, parts[-1]
        finally:
            os.close(fd)

    def create_file(self, parts: Sequence[str], data: bytes, mode: int = 0o640) -> int:
        """Create the file at `parts` exclusively and write `data`; nothing is left on failure."""
        with self.parent(parts) as (fd, name):
            return create_file_at(fd, name, data, self.arg, mode)

    def read_file(self, parts: Sequence[str], max_bytes: int) -> bytes:
        """The bytes of the regular, singly linked file at `parts` (at most `max_bytes`)."""
        with self.parent(parts) as (fd, name):
            return read_file_at(fd, name, self.arg, max_bytes)


def walk(start_fd: int, parts: Sequence[str], arg: str) -> int:
    """Open `parts` one by one below `start_fd` with `O_NOFOLLOW|O_DIRECTORY`; returns a new fd."""
    fd = os.dup(start_fd)
    for index, part in enumerate(parts):
        if part in {"", ".", ".."} or "/" in part:
            os.close(fd)
            raise RootRefused(arg, f"component {part!r} is not allowed")
        try:
            child = os.open(part, DIR_FLAGS, dir_fd=fd)
        except OSError as exc:
            os.close(fd)
            raise _refuse_walk(arg, "/".join(parts[: index + 1]), exc) from None
        os.close(fd)
        fd = child
    return fd


def create_file_at(dir_fd: int, name: str, data: bytes, arg: str, mode: int = 0o640) -> int:
    """Exclusive create of `name` in `dir_fd`; a partial write removes the file (if still ours)."""
    try:
        fd = os.open(name, CREATE_FLAGS, mode, dir_fd=dir_fd)
    except FileExistsError:
        raise NameTaken(f"{arg}: {name} already exists; choose another name (nothing is overwritten)") from None
    except OSError as exc:
        raise _refuse_walk(arg, name, exc) from None
    made = _identity(fd)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            if written <= 0:
                raise OSError(errno.EIO, "short write")
            view = view[written:]
    except BaseException:
        os.close(fd)
        remove_if_same(dir_fd, name, made)
        raise
    os.close(fd)
    return len(data)


def remove_if_same(dir_fd: int, name: str, identity: tuple[int, int]) -> None:
    """Unlink `name` only if it still is the file we made (never what someone put there since)."""
    with contextlib.suppress(OSError):
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if (st.st_dev, st.st_ino) == identity and stat.S_ISREG(st.st_mode):
            os.unlink(name, dir_fd=dir_fd)


def read_file_at(dir_fd: int, name: str, arg: str, max_bytes: int) -> bytes:
    """Read `name` in `dir_fd`: a regular file, one hard link, no larger than `max_bytes`."""
    try:
        fd = os.open(name, READ_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in {errno.ELOOP, errno.EMLINK}:
            raise RootRefused(arg, f"{name} is a symlink; refusing to follow it") from None
        raise _refuse_walk(arg, name, exc) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise RootRefused(arg, f"{name} is not a regular file")
        if st.st_nlink > 1:
            raise RootRefused(arg, f"{name} has {st.st_nlink} hard links; a hard link may name a file "
                                   "outside the root, so it is not read")
        if st.st_size > max_bytes:
            raise RootRefused(arg, f"{name} is larger than {max_bytes} bytes")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise RootRefused(arg, f"{name} is larger than {max_bytes} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def fd_path(fd: int) -> str:
    """A path naming the open folder `fd` itself (Linux `/proc`), for a child's working directory.

    The kernel resolves `/proc/<pid>/fd/<n>` to the open object, not by re-walking its name, so
    a child started there (`cwd=`) lands in the folder we checked even if its name was swapped.
    """
    return f"/proc/{os.getpid()}/fd/{fd}"


_RENAME_NOREPLACE = 1


def _renameat2() -> Any:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return function


_RENAMEAT2 = _renameat2()


def rename_new(dir_fd: int, source: str, name: str) -> None:
    """Rename `source` to `name` inside `dir_fd` only if `name` does not exist (never replaces).

    `renameat2(RENAME_NOREPLACE)` where the C library has it; elsewhere a check then rename,
    whose only loss in a race is replacing an *empty* folder (rename(2) refuses anything else).
    Raises `FileExistsError` when `name` is taken.
    """
    if _RENAMEAT2 is not None:
        if _RENAMEAT2(dir_fd, source.encode(), dir_fd, name.encode(), _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code not in {errno.ENOSYS, errno.EINVAL}:
            raise OSError(code, os.strerror(code), name)
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        os.rename(source, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        return
    raise FileExistsError(errno.EEXIST, "exists", name)


def remove_tree(dir_fd: int, name: str) -> None:
    """Remove the folder `name` of `dir_fd` and its content without following any link.

    `shutil.rmtree(dir_fd=…)` is the descriptor-based variant (`avoids_symlink_attacks`).
    """
    if not shutil.rmtree.avoids_symlink_attacks:  # pragma: no cover - Linux has it
        raise OSError(errno.ENOTSUP, "no symlink-safe rmtree on this platform")
    shutil.rmtree(name, dir_fd=dir_fd)


MAX_TREE_DEPTH = 64


def copy_tree(source_fd: int, dest_fd: int, *, skip: frozenset[str] = frozenset(), depth: int = 0,
              where: str = "") -> list[str]:
    """Copy the content of folder `source_fd` into the (new, empty) folder `dest_fd`, by descriptors.

    Regular files and folders only: symlinks, devices, sockets and files with several hard
    links are not copied (a link or a hard link may name something outside the source) and
    are returned as skipped. Setuid/setgid bits are dropped. Names in `skip` are not copied
    at any depth (e.g. `.git`).
    """
    if depth > MAX_TREE_DEPTH:
        return [f"{where or '.'}: deeper than {MAX_TREE_DEPTH} folders"]
    skipped: list[str] = []
    with os.scandir(source_fd) as entries:
        names = sorted(entry.name for entry in entries)
    for name in names:
        shown = f"{where}{name}"
        if name in skip:
            continue
        st = os.stat(name, dir_fd=source_fd, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            try:
                child_source = os.open(name, DIR_FLAGS, dir_fd=source_fd)
            except OSError:
                skipped.append(f"{shown}: changed while copying")
                continue
            try:
                os.mkdir(name, 0o700, dir_fd=dest_fd)
                child_dest = os.open(name, DIR_FLAGS, dir_fd=dest_fd)
                try:
                    skipped += copy_tree(child_source, child_dest, skip=skip, depth=depth + 1, where=f"{shown}/")
                    os.chmod(child_dest, stat.S_IMODE(st.st_mode) & 0o775 | 0o700)
                finally:
                    os.close(child_dest)
            finally:
                os.close(child_source)
        elif stat.S_ISREG(st.st_mode):
            why = _copy_file(source_fd, dest_fd, name)
            if why:
                skipped.append(f"{shown}: {why}")
        else:
            skipped.append(f"{shown}: {'a symlink' if stat.S_ISLNK(st.st_mode) else 'not a regular file'}")
    return skipped


def _copy_file(source_fd: int, dest_fd: int, name: str) -> str | None:
    """Copy one regular file by descriptors; the reason it was skipped, or None."""
    try:
        fd = os.open(name, READ_FLAGS, dir_fd=source_fd)
    except OSError:
        return "a symlink or changed while copying"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file"
        if st.st_nlink > 1:
            return f"{st.st_nlink} hard links (may name a file outside the source)"
        out = os.open(name, CREATE_FLAGS, stat.S_IMODE(st.st_mode) & 0o775 | 0o600, dir_fd=dest_fd)
        try:
            while chunk := os.read(fd, 1 << 20):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view):]
        finally:
            os.close(out)
    finally:
        os.close(fd)
    return None
