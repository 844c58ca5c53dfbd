"""guard/fsroot.py in detail: the exact refusal words, modes of created and copied files, what a
copy skips and says, renames that never replace, removals that never follow a link.

In process, on folders in `tmp_path` (real files, links, FIFOs and hard links). Rows found by
`make mutants`.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from foundation.fsroot import (
    MAX_TREE_DEPTH,
    NameTaken,
    RootDir,
    RootPins,
    RootRefused,
    _refuse_walk,
    copy_tree,
    create_file_at,
    fd_path,
    read_file_at,
    remove_tree,
    rename_new,
    walk,
)
from guard.refusals import failure_of

WALK_ERRORS = [
    (errno.ELOOP, "a/b is a symlink or not a folder; refusing to follow it"),
    (errno.ENOTDIR, "a/b is a symlink or not a folder; refusing to follow it"),
    (errno.EMLINK, "a/b is a symlink or not a folder; refusing to follow it"),
    (errno.ENOENT, "a/b does not exist inside the root"),
    (errno.ENAMETOOLONG, "a/b: name too long"),
    (errno.EACCES, "a/b: Permission denied"),
]


@pytest.mark.parametrize(("code", "why"), WALK_ERRORS, ids=[errno.errorcode[c] for c, _ in WALK_ERRORS])
def test_a_failed_step_is_refused_in_words(code, why):
    refused = _refuse_walk("path", "a/b", OSError(code, os.strerror(code)))
    assert (refused.arg, refused.why) == ("path", why)
    assert _refuse_walk("path", "a/b", OSError()).why == "a/b: OSError"


def dir_fd(path: Path) -> int:
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY)


def test_walk_refusals_name_the_steps_up_to_the_bad_one(tmp_path: Path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "f").write_text("x")
    os.symlink(tmp_path / "a", tmp_path / "link")
    fd = dir_fd(tmp_path)
    try:
        with pytest.raises(RootRefused) as refused:
            walk(fd, ("a", "missing", "c"), "path")
        assert refused.value.why == "a/missing does not exist inside the root"
        with pytest.raises(RootRefused) as refused:
            walk(fd, ("link", "b"), "path")
        assert refused.value.why == "link is a symlink or not a folder; refusing to follow it"
        with pytest.raises(RootRefused) as refused:
            walk(fd, ("a", "f"), "path")
        assert refused.value.why == "a/f is a symlink or not a folder; refusing to follow it"
        inner = walk(fd, ("a", "b"), "path")
        assert os.path.samestat(os.fstat(inner), os.stat(tmp_path / "a" / "b"))
        os.close(inner)
    finally:
        os.close(fd)


def test_a_root_that_does_not_open_is_refused_in_words(tmp_path: Path):
    with pytest.raises(RootRefused) as refused, RootDir(tmp_path / "missing", "save_path"):
        pass
    assert failure_of(refused.value).render() == "[PATH REFUSED] save_path: the root does not exist inside the root"


def test_the_root_itself_is_not_an_entry(tmp_path: Path):
    with RootDir(tmp_path, "path") as root:
        with pytest.raises(RootRefused) as refused:
            root.create_file((), b"x")
        assert refused.value.why == "names the root itself, not an entry inside it"
        assert root.parts(str(tmp_path / "x")) == ("x",)
        fd = root.fd
        assert fd >= 0 and fd_path(fd) == f"/proc/{os.getpid()}/fd/{fd}"
    assert root.fd == -1
    with pytest.raises(OSError):
        os.fstat(fd)  # closed on exit


def test_a_replaced_root_is_refused_in_words_and_its_descriptor_closed(tmp_path: Path):
    pins = RootPins()
    (tmp_path / "r").mkdir()
    with RootDir(tmp_path / "r", "save_path", pins=pins):
        pass
    (tmp_path / "r").rename(tmp_path / "old")
    (tmp_path / "r").mkdir()
    before = set(os.listdir("/proc/self/fd"))
    with pytest.raises(RootRefused) as refused, RootDir(tmp_path / "r", "save_path", pins=pins):
        pass
    assert refused.value.why == (
        "the configured root was replaced by another folder while the server runs; "
        "refusing to use it (restart the server to accept the new folder)"
    )
    assert set(os.listdir("/proc/self/fd")) == before


def test_a_created_file_has_the_asked_mode_and_is_never_overwritten(tmp_path: Path):
    old = os.umask(0)
    try:
        with RootDir(tmp_path, "save_path") as root:
            assert root.create_file(("default.txt",), b"abc") == 3
            assert root.create_file(("private.txt",), b"", 0o600) == 0
            with pytest.raises(NameTaken) as refused:
                root.create_file(("default.txt",), b"new")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "default.txt").st_mode) == 0o640
    assert stat.S_IMODE(os.stat(tmp_path / "private.txt").st_mode) == 0o600
    assert failure_of(refused.value).render() == (
        "[TOOL ERROR] save_path: default.txt already exists; choose another name (nothing is overwritten)"
    )
    assert (tmp_path / "default.txt").read_bytes() == b"abc"


def test_create_refuses_a_name_through_a_missing_folder_in_words(tmp_path: Path):
    fd = dir_fd(tmp_path)
    try:
        os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
        with pytest.raises(NameTaken, match="already exists"):
            create_file_at(fd, "dangling", b"x", "p")  # O_EXCL: even a dangling link's name is taken
        with pytest.raises(RootRefused) as refused:
            create_file_at(fd, "x" * 300, b"x", "p")
        assert refused.value.why == f"{'x' * 300}: name too long"
    finally:
        os.close(fd)
    assert not (tmp_path / "nowhere").exists()


def test_reads_are_refused_in_words(tmp_path: Path):
    (tmp_path / "f").write_text("12345")
    os.link(tmp_path / "f", tmp_path / "hard")
    (tmp_path / "one").write_text("12345")
    os.symlink(tmp_path / "one", tmp_path / "link")
    os.mkfifo(tmp_path / "fifo")
    fd = dir_fd(tmp_path)
    try:
        assert read_file_at(fd, "one", "p", 5) == b"12345"  # exactly the cap
        cases = {
            "hard": "hard has 2 hard links; a hard link may name a file outside the root, so it is not read",
            "link": "link is a symlink; refusing to follow it",
            "fifo": "fifo is not a regular file",
            "missing": "missing does not exist inside the root",
        }
        for name, why in cases.items():
            with pytest.raises(RootRefused) as refused:
                read_file_at(fd, name, "p", 100)
            assert refused.value.why == why
        with pytest.raises(RootRefused) as refused:
            read_file_at(fd, "one", "p", 4)
        assert refused.value.why == "one is larger than 4 bytes"
    finally:
        os.close(fd)


def test_a_file_that_grows_while_read_is_cut_at_the_cap(tmp_path: Path):
    """`st_size` said small; the content read is larger (a file in /proc lies the same way)."""
    fd = os.open("/proc/self", os.O_RDONLY | os.O_DIRECTORY)
    try:
        data = read_file_at(fd, "status", "p", 1 << 16)
        assert data.startswith(b"Name:")
        with pytest.raises(RootRefused) as refused:
            read_file_at(fd, "status", "p", 10)
        assert refused.value.why == "status is larger than 10 bytes"
    finally:
        os.close(fd)


def test_rename_new_never_replaces(tmp_path: Path):
    (tmp_path / "src").mkdir()
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep").write_text("theirs")
    (tmp_path / "empty").mkdir()
    fd = dir_fd(tmp_path)
    try:
        for name in ("taken", "empty"):
            with pytest.raises(FileExistsError):
                rename_new(fd, "src", name)
        rename_new(fd, "src", "fresh")
    finally:
        os.close(fd)
    assert (tmp_path / "fresh").is_dir() and not (tmp_path / "src").exists()
    assert (tmp_path / "taken" / "keep").read_text() == "theirs" and (tmp_path / "empty").is_dir()


def test_remove_tree_never_follows_a_link(tmp_path: Path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "keep").write_text("x")
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "sub" / "f").write_text("x")
    os.symlink(tmp_path / "outside", tmp_path / "tree" / "sub" / "link")
    fd = dir_fd(tmp_path)
    try:
        remove_tree(fd, "tree")
    finally:
        os.close(fd)
    assert not (tmp_path / "tree").exists()
    assert (tmp_path / "outside" / "keep").read_text() == "x"


def copy(source: Path, dest: Path, **options) -> list[str]:
    dest.mkdir()
    sfd, dfd = dir_fd(source), dir_fd(dest)
    try:
        return copy_tree(sfd, dfd, **options)
    finally:
        os.close(sfd)
        os.close(dfd)


def test_a_copy_says_what_it_skipped_and_why(tmp_path: Path):
    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "f.txt").write_text("f")
    os.symlink(tmp_path, source / "sub" / "link")
    os.mkfifo(source / "fifo")
    (tmp_path / "outside.txt").write_text("o")
    os.link(tmp_path / "outside.txt", source / "hard.txt")
    skipped = copy(source, tmp_path / "dest", where="mod/")
    assert skipped == [
        "mod/fifo: not a regular file",
        "mod/hard.txt: 2 hard links (may name a file outside the source)",
        "mod/sub/link: a symlink",
    ]
    assert (tmp_path / "dest" / "sub" / "f.txt").read_text() == "f"
    assert sorted(os.listdir(tmp_path / "dest")) == ["sub"]


def test_a_copy_drops_setuid_and_keeps_the_owner_able_to_read(tmp_path: Path):
    source = tmp_path / "source"
    (source / "bin").mkdir(parents=True)
    for name, mode in (("run", 0o4755), ("shared", 0o2775), ("locked", 0o000), ("plain", 0o644)):
        (source / "bin" / name).write_text(name)
        os.chmod(source / "bin" / name, mode)
    os.chmod(source / "bin", 0o2750)
    old = os.umask(0)  # the modes the copy asks for, not the process umask's
    try:
        copy(source, tmp_path / "dest")
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "dest" / "bin").iterdir()}
    assert modes == {"run": 0o755, "shared": 0o775, "locked": 0o600, "plain": 0o644}
    assert stat.S_IMODE((tmp_path / "dest" / "bin").stat().st_mode) == 0o750


def test_a_copy_stops_at_its_depth_limit(tmp_path: Path):
    source = tmp_path / "source"
    deep = source.joinpath(*["d"] * (MAX_TREE_DEPTH + 2))
    deep.mkdir(parents=True)
    (deep / "f").write_text("x")
    skipped = copy(source, tmp_path / "dest")
    where = "/".join(["d"] * (MAX_TREE_DEPTH + 1))
    assert skipped == [f"{where}/: deeper than {MAX_TREE_DEPTH} folders"]
    assert tmp_path.joinpath("dest", *["d"] * (MAX_TREE_DEPTH + 1)).is_dir()
    assert not tmp_path.joinpath("dest", *["d"] * (MAX_TREE_DEPTH + 2)).exists()
