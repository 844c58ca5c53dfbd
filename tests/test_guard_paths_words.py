"""guard/paths.py's refusals word for word: what `[PATH REFUSED] <arg>: <why>` says for each way out.

In process on `confine` and `path_error`; rows found by `make mutants`.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from guard.paths import MAX_PATH_CHARS, confine, path_error
from guard.spec import PathRefused


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root" / "sub").mkdir(parents=True)
    (tmp_path / "root" / "sub" / "file.txt").write_text("x")
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", tmp_path / "root" / "out_link")
    os.symlink("loop", tmp_path / "root" / "loop")
    return tmp_path / "root"


REFUSED = [
    ("", "empty path"),
    ("  ", "empty path"),
    ("a\x00b", "NUL byte in path"),
    ("x" * (MAX_PATH_CHARS + 1), f"path longer than {MAX_PATH_CHARS} characters"),
    ("~/x", "'~' is not expanded; give a path inside the root"),
    ("sub/nope/new.txt", "its folder does not exist inside the root"),
    ("sub/file.txt/new.txt", "its folder does not exist inside the root"),
    ("sub/" + "x" * 300 + "/new.txt", "a name in the path is too long"),
]


@pytest.mark.parametrize(
    ("candidate", "why"),
    REFUSED,
    ids=["empty", "blank", "NUL", "too long", "tilde", "missing folder", "file as folder", "long name"],
)
def test_each_refusal_says_why(root: Path, candidate, why):
    with pytest.raises(PathRefused) as refused:
        confine("save_path", candidate, root)
    assert (refused.value.arg, refused.value.why) == ("save_path", why)


def test_outside_names_the_root(root: Path):
    for candidate in ("../outside", "out_link/x", str(root.parent / "outside")):
        with pytest.raises(PathRefused) as refused:
            confine("p", candidate, root)
        assert refused.value.why == f"resolves outside its root ({root})"


def test_must_exist_and_the_longest_path_allowed(root: Path):
    with pytest.raises(PathRefused) as refused:
        confine("p", "sub/none.txt", root, must_exist=True)
    assert refused.value.why == "no such file inside the root"
    longest = "sub/" + "/".join(["d" * 200] * 5)
    longest = longest[:MAX_PATH_CHARS]
    with pytest.raises(PathRefused) as refused:
        confine("p", longest, root)
    assert refused.value.why != f"path longer than {MAX_PATH_CHARS} characters"  # exactly the limit: resolved
    assert confine("p", "sub", root, must_exist=True) == root / "sub"
    with pytest.raises(PathRefused) as refused:
        confine("p", 5, root)  # type: ignore[arg-type]
    assert refused.value.why == "empty path"


ERRORS = [
    (errno.ENAMETOOLONG, "a name in the path is too long"),
    (errno.ELOOP, "too many levels of symbolic links"),
    (errno.EACCES, "permission denied"),
    (errno.ENOTDIR, "cannot be resolved (ENOTDIR)"),
    (None, "cannot be resolved (OSError)"),
]


@pytest.mark.parametrize(("code", "why"), ERRORS, ids=[str(c) for c, _ in ERRORS])
def test_an_error_while_resolving_is_a_refusal_in_words(code, why):
    refused = path_error("p", OSError(code, "x") if code else OSError())
    assert (refused.arg, refused.why) == ("p", why)
