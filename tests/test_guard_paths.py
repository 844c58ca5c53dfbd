"""guard.paths.confine: the one function every path argument passes through."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from guard.paths import confine, is_within
from guard.spec import PathRefused


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root" / "sub").mkdir(parents=True)
    (tmp_path / "root" / "sub" / "file.txt").write_text("x")
    (tmp_path / "root2").mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", tmp_path / "root" / "out_link")
    os.symlink("sub", tmp_path / "root" / "in_link")
    return tmp_path / "root"


def test_inside_paths_resolve(root: Path) -> None:
    assert confine("p", "sub/file.txt", root, must_exist=True) == root.resolve() / "sub" / "file.txt"
    assert confine("p", str(root / "sub"), root) == root.resolve() / "sub"
    assert confine("p", "in_link/file.txt", root, must_exist=True) == root.resolve() / "sub" / "file.txt"
    assert confine("p", "sub/new.txt", root) == root.resolve() / "sub" / "new.txt"


@pytest.mark.parametrize(
    "candidate",
    ["", "   ", "../outside", "sub/../../outside", "/etc/passwd", "~/x", "~root", "a\x00b", "x" * 1100,
     "out_link", "out_link/anything", "../root2", "sub/missing_dir/new.txt"],
)
def test_hostile_paths_refused(root: Path, candidate: str) -> None:
    with pytest.raises(PathRefused) as refused:
        confine("p", candidate, root)
    assert refused.value.arg == "p"


def test_sibling_prefix_is_not_inside(tmp_path: Path) -> None:
    assert not is_within(tmp_path / "ee2", tmp_path / "ee")
    assert is_within(tmp_path / "ee" / "x", tmp_path / "ee")
    assert is_within(tmp_path / "ee", tmp_path / "ee")


def test_must_exist(root: Path) -> None:
    with pytest.raises(PathRefused, match="no such file"):
        confine("p", "sub/nope.txt", root, must_exist=True)


def test_resolution_errors_are_refusals_not_crashes(root: Path) -> None:
    with pytest.raises(PathRefused, match="a name in the path is too long"):
        confine("p", "sub/" + "x" * 300 + "/new.txt", root)


def test_a_path_of_exactly_the_longest_length_is_accepted(root: Path) -> None:
    """1024 characters pass, 1025 are refused (break: the limit itself refused)."""
    longest = "./" * 511 + "ab"
    assert len(longest) == 1024
    assert confine("path", longest, root) == Path(os.path.realpath(root)) / "ab"
    with pytest.raises(PathRefused, match="longer than 1024"):
        confine("path", "./" + longest[:-1] + "bc", root)


def test_a_missing_file_is_refused_under_the_arguments_name(root: Path) -> None:
    with pytest.raises(PathRefused) as refused:
        confine("source", "sub/none.txt", root, must_exist=True)
    assert str(refused.value) == "source: no such file inside the root"
