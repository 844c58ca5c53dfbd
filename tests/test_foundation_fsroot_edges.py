"""guard/fsroot.py where a test must make the world change under it: a file swapped or grown
between two system calls, a rename without `renameat2`, a refusal that must name its argument.

In process. A race is injected by wrapping the `os` call that precedes the window (the swap
itself is real, on disk), never by replacing our own functions. Rows found by `make mutants`.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from foundation import fsroot
from foundation.fsroot import RootDir, RootPins, RootRefused, copy_tree, remove_if_same, rename_new


def dir_fd(path: Path) -> int:
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root").mkdir()
    return tmp_path / "root"


def test_every_read_refusal_names_the_argument(root: Path):
    """The client reads `<arg>: <why>` (break: a refusal built with no argument name)."""
    (root / "f").write_text("12345")
    (root / "big").write_text("12345")
    os.link(root / "f", root / "hard")
    os.symlink(root / "f", root / "link")
    os.mkfifo(root / "fifo")
    with RootDir(root, "source") as opened:
        for name, cap in [("hard", 100), ("link", 100), ("fifo", 100), ("missing", 100), ("big", 4)]:
            with pytest.raises(RootRefused) as refused:
                opened.read_file((name,), cap)
            assert refused.value.arg == "source" and str(refused.value).startswith(f"source: {name}"), name


def test_walk_create_and_pin_refusals_name_the_argument(tmp_path: Path, root: Path):
    """(break: `parts`, `open_dir`, a failed create or a replaced root refused with no argument name)."""
    pins = RootPins()
    with RootDir(root, "target", pins=pins, key="k") as opened:
        refusals = []
        for attempt in (lambda: opened.parts("../x"), lambda: opened.open_dir(("missing",)),
                        lambda: opened.open_dir(("..",)),
                        lambda: opened.create_file(("n" * 300,), b"x")):
            with pytest.raises(RootRefused) as refused:
                attempt()
            refusals.append(str(refused.value))
    (tmp_path / "other").mkdir()
    with pytest.raises(RootRefused) as replaced:
        RootDir(tmp_path / "other", "target", pins=pins, key="k").__enter__()
    refusals.append(str(replaced.value))
    assert [text.split(": ", 1)[0] for text in refusals] == ["target"] * 5, refusals


def test_a_file_created_without_a_mode_is_private_to_owner_and_group(root: Path):
    """The default mode is 0o640 (break: another default)."""
    fd = dir_fd(root)
    try:
        fsroot.create_file_at(fd, "f", b"x", "path")
    finally:
        os.close(fd)
    assert (root / "f").stat().st_mode & 0o777 == 0o640


def test_a_file_read_in_several_chunks_comes_back_whole(root: Path):
    """Over the 1 MiB read size (break: chunks joined with something between them)."""
    data = os.urandom((1 << 20) + 4096)
    (root / "big").write_bytes(data)
    with RootDir(root, "path") as opened:
        assert opened.read_file(("big",), 2 << 20) == data


def test_a_file_that_grows_past_the_cap_between_chunks_is_refused(root: Path, monkeypatch):
    """`st_size` was under the cap; the file grows after the first chunk (break: the total counts
    only the last chunk)."""
    (root / "grows").write_bytes(b"a" * (1 << 20))
    real_read = os.read
    grown = []

    def read_then_grow(fd: int, size: int) -> bytes:
        chunk = real_read(fd, size)
        if not grown:
            grown.append(True)
            with open(root / "grows", "ab") as more:
                more.write(b"b" * (1 << 20))
        return chunk

    monkeypatch.setattr(fsroot.os, "read", read_then_grow)
    with RootDir(root, "path") as opened, pytest.raises(RootRefused) as refused:
        opened.read_file(("grows",), (1 << 20) + 10)
    assert refused.value.why == f"grows is larger than {(1 << 20) + 10} bytes" and refused.value.arg == "path"


@pytest.mark.parametrize(("swap", "why"), [
    ("symlink", "a symlink or changed while copying"),
    ("fifo", "not a regular file"),
])
def test_a_file_swapped_between_look_and_open_is_skipped_in_words(tmp_path: Path, monkeypatch, swap, why):
    """copy_tree saw a regular file; by the time it opens it, the name is a symlink or a FIFO."""
    source, dest = tmp_path / "source", tmp_path / "dest"
    source.mkdir()
    dest.mkdir()
    (source / "f").write_text("secret")
    real_stat = os.stat

    def stat_then_swap(name, *args, **kwargs):
        result = real_stat(name, *args, **kwargs)
        if name == "f" and (source / "f").is_file() and not (source / "f").is_symlink():
            (source / "f").unlink()
            if swap == "symlink":
                os.symlink("/etc/passwd", source / "f")
            else:
                os.mkfifo(source / "f")
        return result

    monkeypatch.setattr(fsroot.os, "stat", stat_then_swap)
    sfd, dfd = dir_fd(source), dir_fd(dest)
    try:
        assert copy_tree(sfd, dfd) == [f"f: {why}"]
    finally:
        os.close(sfd)
        os.close(dfd)
    assert os.listdir(dest) == []


def test_remove_if_same_leaves_a_missing_name_and_a_link_to_our_file_alone(tmp_path: Path):
    """(break: the failed stat of a missing name escapes, or the stat follows a link to our file)."""
    fd = dir_fd(tmp_path)
    try:
        (tmp_path / "ours").write_text("ours")
        made = os.stat(tmp_path / "ours")
        remove_if_same(fd, "gone", (made.st_dev, made.st_ino))  # nothing there: nothing to do, no error
        os.symlink(tmp_path / "ours", tmp_path / "link")
        remove_if_same(fd, "link", (made.st_dev, made.st_ino))
        assert (tmp_path / "link").is_symlink()
    finally:
        os.close(fd)


def test_pins_keep_one_identity_per_root(tmp_path: Path):
    """Two roots under two keys are both accepted (break: every key shares one pin)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    pins = RootPins()
    for _ in range(2):
        for name in ("a", "b"):
            with RootDir(tmp_path / name, name, pins=pins, key=name):
                pass
            with RootDir(tmp_path / name, name, pins=pins):  # no key: the root's real path is its key
                pass


@pytest.mark.parametrize(("path", "why"), [
    ("", "empty path or NUL byte"),
    ("a\x00b", "empty path or NUL byte"),
    ("/elsewhere/a", "outside its root"),
])
def test_relative_parts_refusals_in_words(root: Path, path: str, why: str):
    with pytest.raises(RootRefused) as refused:
        fsroot.relative_parts("path", path, root)
    assert (refused.value.arg, refused.value.why) == ("path", why)


def test_a_copy_goes_on_past_a_folder_swapped_while_copying_and_keeps_folders_private_meanwhile(
        tmp_path: Path, monkeypatch):
    """A folder swapped for a link between look and open is skipped in words, the names after it are
    copied (break: the copy stops there); a folder being filled is the owner's alone until its mode is
    set (break: created with another mode), and then never writable by others (break: o+w kept)."""
    source, dest = tmp_path / "source", tmp_path / "dest"
    for folder in ("a", "open", "z"):
        (source / folder).mkdir(parents=True)
    (source / "open" / "f").write_text("f")
    (source / "z" / "f").write_text("z")
    os.chmod(source / "open", 0o777)
    dest.mkdir()
    real_stat = os.stat
    modes_while_filling = []

    def stat_then_swap(name, *args, **kwargs):
        result = real_stat(name, *args, **kwargs)
        if name == "a" and (source / "a").is_dir() and not (source / "a").is_symlink():
            (source / "a").rmdir()
            os.symlink("/etc", source / "a")
        if name == "f" and os.readlink(f"/proc/self/fd/{kwargs['dir_fd']}") == str(source / "open"):
            modes_while_filling.append(real_stat(dest / "open").st_mode & 0o777)
        return result

    monkeypatch.setattr(fsroot.os, "stat", stat_then_swap)
    sfd, dfd = dir_fd(source), dir_fd(dest)
    try:
        assert copy_tree(sfd, dfd) == ["a: changed while copying"]
    finally:
        os.close(sfd)
        os.close(dfd)
    monkeypatch.undo()
    assert (dest / "z" / "f").read_text() == "z"
    assert modes_while_filling == [0o700]
    assert (dest / "open").stat().st_mode & 0o777 == 0o775


RENAMES = ["renameat2", "check then rename"]


@pytest.fixture(params=RENAMES)
def renames(request, monkeypatch):
    """`rename_new` with the C library's `renameat2` (found afresh) and with the fallback a C library
    without it gets."""
    monkeypatch.setattr(fsroot, "_RENAMEAT2", fsroot._renameat2() if request.param == "renameat2" else None)
    return request.param


def test_the_c_library_offers_renameat2():
    """glibc since 2.28 (break: the lookup loses the function or its errno)."""
    assert fsroot._renameat2() is not None


def test_rename_new_never_replaces_and_says_why(tmp_path: Path, renames):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "mine").write_text("mine")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep").write_text("theirs")
    fd = dir_fd(tmp_path)
    try:
        with pytest.raises(FileExistsError) as taken:
            rename_new(fd, "src", "taken")
        assert (taken.value.errno, taken.value.filename) == (errno.EEXIST, "taken") and taken.value.strerror
        with pytest.raises(OSError) as missing:
            rename_new(fd, "nothing", "fresh")
        assert (missing.value.errno, missing.value.filename) == (errno.ENOENT, "fresh" if renames == RENAMES[0]
                                                                  else "nothing")
        assert missing.value.strerror == os.strerror(errno.ENOENT)
        os.symlink("nowhere", tmp_path / "dangling")
        with pytest.raises(FileExistsError):
            rename_new(fd, "src", "dangling")  # a link is something at that name, even pointing nowhere
        assert os.readlink(tmp_path / "dangling") == "nowhere"
        rename_new(fd, "src", "fresh")
    finally:
        os.close(fd)
    assert (tmp_path / "fresh" / "mine").read_text() == "mine" and not (tmp_path / "src").exists()
    assert (tmp_path / "taken" / "keep").read_text() == "theirs"
