"""foundation.fsroot: the descriptor walk every root-relative file operation goes through (in-process)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from foundation.fsroot import NameTaken, RootDir, RootPins, RootRefused, fd_path, relative_parts


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root" / "a" / "b").mkdir(parents=True)
    (tmp_path / "root" / "a" / "b" / "file.txt").write_text("inside")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "outside", tmp_path / "root" / "out_link")
    os.symlink("a", tmp_path / "root" / "in_link")
    os.symlink(tmp_path / "outside" / "secret.txt", tmp_path / "root" / "file_link")
    os.link(tmp_path / "outside" / "secret.txt", tmp_path / "root" / "hard.txt")
    os.mkfifo(tmp_path / "root" / "fifo")
    return tmp_path / "root"


@pytest.mark.parametrize(("path", "parts"), [
    ("a/b/x", ("a", "b", "x")), ("x", ("x",)), ("a//b", ("a", "b")), ("a/./b", ("a", "b")), (".", ()),
])
def test_relative_parts_accepts(root: Path, path: str, parts: tuple[str, ...]) -> None:
    assert relative_parts("p", path, root) == parts
    assert relative_parts("p", str(root / path), root) == parts


@pytest.mark.parametrize("path", ["", "a\x00b", "../x", "a/../../x", "a/..", "/etc/passwd", "/"])
def test_relative_parts_refuses(root: Path, path: str) -> None:
    with pytest.raises(RootRefused) as refused:
        relative_parts("p", path, root)
    assert refused.value.arg == "p"


def test_sibling_prefix_is_outside(tmp_path: Path) -> None:
    with pytest.raises(RootRefused):
        relative_parts("p", str(tmp_path / "root2" / "x"), tmp_path / "root")


@pytest.mark.parametrize(("path", "why"), [
    ("out_link/new.txt", "symlink"),
    ("in_link/b/new.txt", "symlink"),  # even a link that stays inside is not followed
    ("a/missing/new.txt", "does not exist"),
    ("a/b/file.txt/new.txt", "not a folder"),
    ("file_link", "already exists"),  # the last component: O_EXCL refuses the link's name
    ("a/b/file.txt", "already exists"),
])
def test_create_refused(root: Path, path: str, why: str) -> None:
    outside_before = sorted(p.name for p in (root.parent / "outside").iterdir())
    with RootDir(root, "save_path") as opened, pytest.raises((RootRefused, NameTaken), match=why):
        opened.create_file(opened.parts(path), b"x")
    assert sorted(p.name for p in (root.parent / "outside").iterdir()) == outside_before
    assert (root.parent / "outside" / "secret.txt").read_text() == "secret"


def test_create_and_read_inside(root: Path) -> None:
    with RootDir(root, "save_path") as opened:
        assert opened.create_file(opened.parts("a/b/new.bin"), b"\x00\x01") == 2
        assert opened.read_file(opened.parts(str(root / "a" / "b" / "new.bin")), 10) == b"\x00\x01"
    assert (root / "a" / "b" / "new.bin").read_bytes() == b"\x00\x01"


@pytest.mark.parametrize(("path", "why"), [
    ("file_link", "symlink"),
    ("out_link/secret.txt", "symlink"),
    ("hard.txt", "hard links"),
    ("fifo", "not a regular file"),
    ("a/b", "not a regular file"),
    ("a/b/missing", "does not exist"),
])
def test_read_refused(root: Path, path: str, why: str) -> None:
    with RootDir(root, "file_path") as opened, pytest.raises(RootRefused, match=why):
        opened.read_file(opened.parts(path), 1000)


def test_read_size_cap(root: Path) -> None:
    with RootDir(root, "file_path") as opened, pytest.raises(RootRefused, match="larger than 3"):
        opened.read_file(("a", "b", "file.txt"), 3)


def test_root_that_is_a_file_or_missing_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    for bad in (tmp_path / "plain", tmp_path / "missing"):
        with pytest.raises(RootRefused), RootDir(bad, "save_path"):
            pass


def test_pins_refuse_a_replaced_root(tmp_path: Path) -> None:
    pins = RootPins()
    (tmp_path / "files").mkdir()
    with RootDir(tmp_path / "files", "save_path", pins=pins, key="files"):
        pass
    (tmp_path / "files").rename(tmp_path / "files_old")
    (tmp_path / "files").mkdir()
    with pytest.raises(RootRefused, match="replaced"), RootDir(tmp_path / "files", "save_path", pins=pins, key="files"):
        pass
    shutil.rmtree(tmp_path / "files")
    (tmp_path / "files_old").rename(tmp_path / "files")
    with RootDir(tmp_path / "files", "save_path", pins=pins, key="files"):
        pass


def test_fd_path_names_the_open_folder_after_a_rename(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with RootDir(tmp_path / "d", "p") as opened:
        (tmp_path / "d").rename(tmp_path / "moved")
        os.symlink(tmp_path, tmp_path / "d")
        (Path(fd_path(opened.fd)) / "made.txt").write_text("x")
    assert (tmp_path / "moved" / "made.txt").exists()
    assert not (tmp_path / "made.txt").exists()
