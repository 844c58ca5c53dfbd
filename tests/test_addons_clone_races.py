"""Issue 9, critical item 3 and the low item on a checkout's own config running programs.

The race: while `ee_clone` (buffered) and `oca_clone_repo` run, a co-tenant process keeps
planting a symlink to an outside folder at the clone's destination name. A stand-in `git`
first on PATH (an external program, as in `addons_helpers.git_wrapper`) clones fast: it
writes into the destination it is given — by name when given a path, into its working
directory when given "." — so an implementation that handed git a path would write outside.
Several hundred calls later nothing exists outside the roots.

The config tests use the real git: a checkout whose `.git/config` would run a program
(`remote.origin.uploadpack`, `core.fsmonitor`, a filter driver) is refused before git runs.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import pytest

from guard.spec import PathRefused
from tests.addons_helpers import bare_repo_from, copy_stub, git, stub_call
from tests.race_helpers import planting, tree
from tools.addons import ee_tools as ee
from tools.addons import oca_tools
from tools.addons.errors import Conflict, GitFailure
from tools.addons.gitops import unsafe_config_keys

ITERATIONS = 200  # each call spawns the stand-in git twice; 200 keeps the test near 2 s

FAKE_GIT = """#!/bin/sh
case "$1" in
  clone)
    for last; do :; done
    if [ "$last" != "." ]; then mkdir -p "$last" && cd "$last" || exit 1; fi
    mkdir .git && echo "ref: refs/heads/19.0" > .git/HEAD && echo "cloned" > README.md ;;
  rev-parse)
    test -d .git && echo 0123456789abcdef0123456789abcdef01234567 && echo 19.0 ;;
  *) exit 1 ;;
esac
"""


@pytest.fixture
def fake_git_env(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(FAKE_GIT)
    (bin_dir / "git").chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}", "ODOO_MCP_EE_GIT_URL": "/nonexistent/enterprise.git",
            "ODOO_MCP_OCA_GIT_BASE": "/nonexistent/oca"}


def _race(clone, landed: Path, parked: Path) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    for i in range(ITERATIONS):
        time.sleep(0.0005)
        try:
            clone()
        except PathRefused:
            outcomes["refused"] += 1
            continue
        except Conflict:
            outcomes["conflict"] += 1
            continue
        except GitFailure:
            outcomes["git_failed"] += 1
            continue
        outcomes["ok"] += 1
        assert landed.is_dir() and not landed.is_symlink() and (landed / "README.md").read_text() == "cloned\n"
        landed.rename(parked / f"clone_{i}")  # make room for the next call
    return outcomes


@pytest.mark.parametrize("tool", ["ee_clone", "oca_clone_repo"])
def test_clone_never_lands_outside(tmp_path: Path, fake_git_env: dict[str, str], tool: str) -> None:
    stub = copy_stub(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("outside")
    parked = tmp_path / "parked"
    parked.mkdir()
    call = stub_call(stub, fake_git_env)
    if tool == "ee_clone":
        landed = stub / "buffer" / "fresh"
        args = ee.EeCloneArgs(mode="buffered", instance="fresh")
        clone = lambda: ee.ee_clone(args, call)  # noqa: E731
    else:
        landed = stub / "oca" / "fresh-repo"
        args = oca_tools.OcaCloneRepoArgs(repo="fresh-repo")
        clone = lambda: oca_tools.oca_clone_repo(args, call)  # noqa: E731
    before = tree(outside)
    with planting(landed, outside) as planter:
        outcomes = _race(clone, landed, parked)
    assert planter.swaps >= 10
    assert tree(outside) == before, "the clone wrote outside its root"
    assert outcomes["ok"] > 0 and outcomes["refused"] + outcomes["conflict"] > 0, outcomes
    assert set(outcomes) <= {"ok", "refused", "conflict"}, outcomes
    assert not [p for p in landed.parent.iterdir() if p.name.startswith(".clone-")], "a staging folder was left"


@pytest.mark.parametrize(("listing", "unsafe"), [
    ("local\tremote.origin.uploadpack", ["remote.origin.uploadpack"]),
    ("local\tcore.fsmonitor\nlocal\tcore.sshCommand", ["core.fsmonitor", "core.sshcommand"]),
    ("local\tfilter.lfs.smudge\nlocal\tdiff.x.textconv\nlocal\tmerge.ours.driver",
     ["filter.lfs.smudge", "diff.x.textconv", "merge.ours.driver"]),
    ("local\tcore.worktree\nlocal\tinclude.path\nlocal\turl.ext::sh.insteadof", ["core.worktree", "include.path",
                                                                                "url.ext::sh.insteadof"]),
    ("worktree\tremote.x.vcs\nlocal\thttp.proxy", ["remote.x.vcs", "http.proxy"]),
    ("global\tcore.pager\ncommand\tcore.fsmonitor", []),  # the operator's own config, our overrides
    ("local\tcore.bare\nlocal\tremote.origin.url\nlocal\tbranch.19.0.merge\nlocal\textensions.objectformat", []),
])
def test_unsafe_config_keys(listing: str, unsafe: list[str]) -> None:
    assert unsafe_config_keys(listing) == unsafe


@pytest.fixture
def oca_checkout(tmp_path: Path) -> tuple[Path, Path]:
    stub = copy_stub(tmp_path)
    bare = bare_repo_from(stub / "oca" / "contract", tmp_path / "src" / "contract.git", tmp_path / "work")
    git("clone", "-q", str(bare), str(stub / "oca" / "checked"))
    return stub, tmp_path / "pwned"


@pytest.mark.parametrize("key", ["remote.origin.uploadpack", "core.fsmonitor", "core.sshCommand",
                                 "filter.x.smudge", "core.pager"])
def test_checkout_config_that_runs_programs_is_refused(oca_checkout, key: str) -> None:
    stub, pwned = oca_checkout
    git("config", key, f"touch {pwned}", cwd=stub / "oca" / "checked")
    call = stub_call(stub)
    with pytest.raises(Conflict, match=key.lower()):
        oca_tools.oca_update(oca_tools.OcaUpdateArgs(repo="checked"), call)
    status = oca_tools.oca_status(oca_tools.OcaStatusArgs(repo="checked"), call)
    assert key.lower() in status["repos"][0]["refused"]
    assert not pwned.exists()


def test_clean_checkout_still_updates(oca_checkout) -> None:
    stub, _ = oca_checkout
    out = oca_tools.oca_update(oca_tools.OcaUpdateArgs(repo="checked"), stub_call(stub))
    assert out["updated"][0]["changed"] is False


def test_gitdir_file_pointing_elsewhere_is_refused(oca_checkout, tmp_path: Path) -> None:
    stub, _ = oca_checkout
    checkout = stub / "oca" / "checked"
    (checkout / ".git").rename(tmp_path / "elsewhere.git")
    (checkout / ".git").write_text(f"gitdir: {tmp_path / 'elsewhere.git'}\n")
    before = tree(tmp_path / "elsewhere.git")
    out = oca_tools.oca_update(oca_tools.OcaUpdateArgs(repo="checked"), stub_call(stub))
    assert out["updated"] == [] and "not a folder" in out["skipped"][0]["why"]
    status = oca_tools.oca_status(oca_tools.OcaStatusArgs(repo="checked"), stub_call(stub))
    assert "not a folder" in status["repos"][0]["refused"]
    assert tree(tmp_path / "elsewhere.git") == before
