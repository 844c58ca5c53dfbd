"""guard/fsroot.py's promises with real failures: a write cut short, a walk asked to climb, a nested `.git`.

- A write that fails half-way (the kernel's file-size limit, `RLIMIT_FSIZE`, for a moment in-process)
  leaves no partial file, and never removes a file someone else put at that name.
- A walk refuses `..` (and `.`, empty, slashed components) before opening anything: the parent
  of the root is never opened.
- `ee_deploy` never copies a `.git` folder, at any depth (a checkout's `.git/config` may hold a token).
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import shutil
import signal
from pathlib import Path

import pytest

from foundation.fsroot import (
    NameTaken,
    RootDir,
    RootRefused,
    copy_tree,
    create_file_at,
    relative_parts,
    remove_if_same,
    walk,
)
from tests.addons_helpers import copy_stub, stub_call
from tools.addons import ee_tools as ee


@contextlib.contextmanager
def _file_size_limit(limit: int):
    """The kernel's file-size limit (`RLIMIT_FSIZE`) for this process: a write past it fails with
    EFBIG once `limit` bytes are in the file (SIGXFSZ ignored, so the write fails instead of the
    process). In-process, so that the mutation run sees which code the failure went through."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


def test_a_write_that_fails_half_way_leaves_no_partial_file(tmp_path: Path):
    """The first 4096 bytes are written, the next write fails (break: `create_file_at` does not
    remove what it made when a write fails, or removes it without closing it)."""
    (tmp_path / "sub").mkdir()
    with RootDir(tmp_path, "path") as root:
        with _file_size_limit(4096), pytest.raises(OSError) as failed:
            root.create_file(("sub", "big.bin"), b"x" * 100_000)
        assert failed.value.errno == errno.EFBIG
        assert os.listdir(tmp_path / "sub") == []
        assert _open_inside(tmp_path / "sub") == []  # the failed file's descriptor was closed
        assert root.create_file(("sub", "big.bin"), b"small") == 5  # the name is free again
    assert (tmp_path / "sub" / "big.bin").read_bytes() == b"small"


def _open_inside(folder: Path) -> list[str]:
    """What this process holds open inside `folder` (a removed file shows as `... (deleted)`);
    by path, not by counting descriptors, which other threads open and close meanwhile."""
    held = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed meanwhile (the listing's own descriptor, say)
        if target.startswith(f"{folder}/"):
            held.append(target)
    return held


def test_a_file_put_in_place_of_ours_is_not_removed(tmp_path: Path):
    """`remove_if_same` removes our file only (break: it unlinks without comparing identities)."""
    dir_fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        create_file_at(dir_fd, "ours.txt", b"ours", "path")
        made = os.stat("ours.txt", dir_fd=dir_fd)
        os.rename(tmp_path / "ours.txt", tmp_path / "moved.txt")
        (tmp_path / "ours.txt").write_text("theirs")
        remove_if_same(dir_fd, "ours.txt", (made.st_dev, made.st_ino))
        assert (tmp_path / "ours.txt").read_text() == "theirs"
        remove_if_same(dir_fd, "moved.txt", (made.st_dev, made.st_ino))
        assert not (tmp_path / "moved.txt").exists()
        with pytest.raises(NameTaken, match="already exists"):
            create_file_at(dir_fd, "ours.txt", b"again", "path")
        assert (tmp_path / "ours.txt").read_text() == "theirs"
    finally:
        os.close(dir_fd)


# A component that could climb or alias is refused before anything is opened (break: `walk`
# skips its component check, and `os.open("..", dir_fd=root)` opens the root's parent).
BAD_PARTS = [("..",), ("a", ".."), ("a", "..", ".."), (".",), ("",), ("a/../..",), ("a", "/")]


@pytest.mark.parametrize("parts", BAD_PARTS, ids=["/".join(p) or "(empty)" for p in BAD_PARTS])
def test_a_walk_refuses_dot_dot_and_never_opens_the_parent_of_the_root(tmp_path: Path, parts):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    with RootDir(root, "path") as opened:
        before = set(os.listdir("/proc/self/fd"))
        with pytest.raises(RootRefused, match="is not allowed"):
            walk(opened.fd, parts, "path")
        with pytest.raises(RootRefused, match="is not allowed"):
            opened.open_dir(parts)
        assert set(os.listdir("/proc/self/fd")) == before  # nothing left open, nothing opened above


RELATIVE = [
    ("a/../b", None), ("..", None), ("a/./b", ("a", "b")), ("../root/a", None),
    ("a/b", ("a", "b")), ("a//b/", ("a", "b")), (".", ()),
]


@pytest.mark.parametrize(("path", "parts"), RELATIVE, ids=[c[0] for c in RELATIVE])
def test_relative_parts_refuse_rather_than_normalise(tmp_path: Path, path, parts):
    if parts is None:
        with pytest.raises(RootRefused, match="is not allowed"):
            relative_parts("path", path, tmp_path)
    else:
        assert relative_parts("path", path, tmp_path) == parts


def test_an_absolute_path_outside_the_root_is_refused(tmp_path: Path):
    with pytest.raises(RootRefused, match="outside its root"):
        relative_parts("path", str(tmp_path.parent / "other"), tmp_path)
    with pytest.raises(RootRefused, match="outside its root"):
        relative_parts("path", f"{tmp_path}2/a", tmp_path)  # a sibling sharing the root's prefix
    assert relative_parts("path", str(tmp_path / "a" / "b"), tmp_path) == ("a", "b")
    assert relative_parts("path", str(tmp_path), tmp_path) == ()


def test_a_nested_git_folder_is_never_copied_on_deploy(tmp_path: Path):
    """`.git` at the module's top and deeper (a vendored checkout inside the module): neither is
    copied, nor a token inside (break: `copy_tree` does not pass `skip` down, or deploy passes none)."""
    stub = copy_stub(tmp_path)
    module = stub / "buffer" / "staging" / "sign"
    module.parent.mkdir()
    shutil.copytree(stub / "enterprise" / "sign", module)
    for git in (module / ".git", module / "static" / "lib" / "vendored" / ".git"):
        git.mkdir(parents=True)
        (git / "config").write_text("[remote]\n url = https://x-access-token:ghp_SECRET@example.invalid/r.git\n")
    (module / "static" / "lib" / "vendored" / "keep.js").write_text("kept")
    ee.ee_deploy(ee.EeDeployArgs(instance="staging", target="second"), stub_call(stub))
    copied = stub / "target2" / "sign"
    assert (copied / "static" / "lib" / "vendored" / "keep.js").read_text() == "kept"
    found = [str(p.relative_to(copied)) for p in copied.rglob("*") if p.name == ".git" or "ghp_SECRET" in (
        p.read_text(errors="replace") if p.is_file() else "")]
    assert found == []


def test_copy_tree_skips_the_named_folders_at_every_depth(tmp_path: Path):
    source, dest = tmp_path / "source", tmp_path / "dest"
    (source / "a" / "b" / ".git").mkdir(parents=True)
    (source / ".git").mkdir()
    (source / "a" / "b" / "f.txt").write_text("f")
    dest.mkdir()
    sfd, dfd = os.open(source, os.O_RDONLY | os.O_DIRECTORY), os.open(dest, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert copy_tree(sfd, dfd, skip=frozenset({".git"})) == []
    finally:
        os.close(sfd)
        os.close(dfd)
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*")) == ["a", "a/b", "a/b/f.txt"]
