"""File work inside one OCA repository, by descriptor: open, read, replace, create folders.

The OCA root (direct: ODOO_MCP_OCA_DIR; buffered: `<ODOO_MCP_OCA_BUFFER_DIR>/<instance>`) is
opened once; the repository and addon folders are walked below it with `O_NOFOLLOW` (a
folder that is a symlink is refused, never followed). A file is replaced by writing a new
file under a hidden name (exclusive create) and renaming it over the old name relative to
the same descriptor: a symlink planted at the name is replaced, never written through, and a
reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

from foundation.fsroot import RootDir, RootRefused, create_file_at, read_file_at, walk
from guard.paths import confine
from guard.spec import Call, NotConfigured, PathRefused, ToolFailure
from tools.addons.roots import oca_root

MAX_TEXT_BYTES = 1024 * 1024


def oca_base(call: Call, mode: str, instance: str | None) -> Path:
    """The folder of OCA repositories a call works on: the direct one or a buffered instance."""
    if mode != "buffered":
        return oca_root(call)
    buffer = call.runtime.settings.roots.oca_buffer_dir
    if buffer is None:
        raise NotConfigured("buffered mode needs ODOO_MCP_OCA_BUFFER_DIR (or OCA_BUFFER_DIR)")
    if not buffer.is_dir():
        raise NotConfigured(f"the OCA buffer dir ({buffer}) is not an existing folder")
    path = confine("instance", instance or "default", buffer, must_exist=True)
    if path.parent != Path(os.path.realpath(buffer)) or not path.is_dir():
        raise PathRefused("instance", "not a buffered instance folder directly inside the OCA buffer dir")
    return path


@contextlib.contextmanager
def open_repo(call: Call, mode: str, instance: str | None, repo: str) -> Iterator[tuple[Path, int]]:
    """(repository path as shown, descriptor of the repository folder)."""
    base = oca_base(call, mode, instance)
    with RootDir(base, "repo") as opened:
        fd = walk(opened.fd, [repo], "repo")
        try:
            yield opened.path / repo, fd
        finally:
            os.close(fd)


def read_text(dir_fd: int, name: str, arg: str, max_bytes: int = MAX_TEXT_BYTES) -> str | None:
    """The UTF-8 text of `name` in `dir_fd`, or None when there is no such entry."""
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    data = read_file_at(dir_fd, name, arg, max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolFailure(f"{arg}: {name} is not UTF-8 text") from None


def replace_file(dir_fd: int, name: str, data: bytes, arg: str) -> bool:
    """Write `data` as `name` in `dir_fd` (atomic rename of a fresh file); False when unchanged."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise ToolFailure(f"{arg}: {name} is a folder; not replaced")
    if st is not None and stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and st.st_size == len(data):
        with contextlib.suppress(RootRefused):
            if read_file_at(dir_fd, name, arg, len(data)) == data:
                return False
    temp = f".{name}.odoo-mcp-{uuid.uuid4().hex[:8]}"
    create_file_at(dir_fd, temp, data, arg, 0o644)
    try:
        os.rename(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=dir_fd)
        raise
    return True


def ensure_dir(dir_fd: int, parts: tuple[str, ...], arg: str) -> int:
    """A descriptor on the folder `parts` below `dir_fd`, creating missing folders (never through a link)."""
    fd = os.dup(dir_fd)
    try:
        for part in parts:
            try:
                os.mkdir(part, 0o755, dir_fd=fd)
            except FileExistsError:
                pass
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise
            child = walk(fd, [part], arg)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def list_names(dir_fd: int) -> list[str]:
    """Visible entry names of an open folder, sorted."""
    with os.scandir(dir_fd) as entries:
        return sorted(entry.name for entry in entries if not entry.name.startswith("."))


def is_plain_dir(dir_fd: int, name: str) -> bool:
    try:
        return stat.S_ISDIR(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False
