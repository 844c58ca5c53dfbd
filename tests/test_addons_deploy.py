"""ee_deploy: descriptor-only copies, a server-side ledger instead of a trusted marker, races.

Called in-process on a stub copy (fast). Issue 9 critical item 4 (a swapped target or source
gets nothing written or read outside) and the low item "deploy trusts any folder carrying its
marker file".
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest

from foundation.fsroot import RootRefused
from guard.spec import NotConfigured, PathRefused
from tests.addons_helpers import copy_stub, stub_call
from tests.race_helpers import swapping, tree
from tools.addons import ee_tools as ee
from tools.addons.deploy_ledger import MARKER
from tools.addons.errors import Conflict

ITERATIONS = 200  # a deploy copies a module tree (~7 ms of syscalls here); 200 keeps the test near 1.5 s


@pytest.fixture
def stub(tmp_path: Path) -> Path:
    stub = copy_stub(tmp_path)
    staging = stub / "buffer" / "staging"
    staging.mkdir()
    for name in ("sign", "planning"):
        shutil.copytree(stub / "enterprise" / name, staging / name)
    return stub


def deploy(call, target: str = "second"):
    return ee.ee_deploy(ee.EeDeployArgs(instance="staging", target=target), call)


def test_a_copied_marker_does_not_make_a_folder_ours(stub: Path) -> None:
    call = stub_call(stub)
    assert sorted(deploy(call)["deployed"]) == ["planning", "sign"]
    ours = stub / "target2" / "sign"
    assert (ours / MARKER).stat().st_mode & 0o777 == 0o600
    # a co-tenant plants a folder with a copy of our marker (token included) under a new module name
    (stub / "buffer" / "staging" / "extra").mkdir()
    (stub / "buffer" / "staging" / "extra" / "__manifest__.py").write_text("{'name': 'Extra'}")
    forged = stub / "target2" / "extra"
    forged.mkdir()
    shutil.copy(ours / MARKER, forged / MARKER)
    (forged / "keep.txt").write_text("theirs")
    with pytest.raises(Conflict, match="extra"):
        deploy(call)
    # and replaces our deployed folder with their own, marker copied: not ours any more
    shutil.rmtree(stub / "buffer" / "staging" / "extra")
    (stub / "target2" / "sign").rename(stub / "target2" / "sign_was")
    shutil.copytree(stub / "target2" / "sign_was", stub / "target2" / "sign")
    (stub / "target2" / "sign" / "keep.txt").write_text("theirs")
    with pytest.raises(Conflict, match="sign"):
        deploy(call)
    assert (stub / "target2" / "sign" / "keep.txt").read_text() == "theirs"
    assert (forged / "keep.txt").read_text() == "theirs"  # not ours: never removed as stale


def test_ledger_survives_a_restart_only_with_a_state_dir(stub: Path, tmp_path: Path) -> None:
    state = {"ODOO_MCP_STATE_DIR": str(tmp_path / "state")}
    deploy(stub_call(stub, state))
    assert (tmp_path / "state" / "deployed.json").stat().st_mode & 0o777 == 0o600
    assert sorted(deploy(stub_call(stub, state))["deployed"]) == ["planning", "sign"]  # a new runtime: still ours
    with pytest.raises(Conflict, match="not made by ee_deploy"):
        deploy(stub_call(stub))  # no state dir: earlier deploys are not trusted


def test_a_broken_ledger_refuses_to_deploy(stub: Path, tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "deployed.json").write_text("{not json")
    with pytest.raises(NotConfigured, match="deploy ledger"):
        deploy(stub_call(stub, {"ODOO_MCP_STATE_DIR": str(tmp_path / "state")}))
    assert not (stub / "target2" / "sign").exists()


def test_links_and_hard_links_in_the_buffer_are_not_copied(stub: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    sign = stub / "buffer" / "staging" / "sign"
    os.link(outside / "secret.txt", sign / "hard.txt")
    os.symlink(outside / "secret.txt", sign / "soft.txt")
    (sign / "views").mkdir(exist_ok=True)
    os.symlink(outside, sign / "views" / "dir_link")
    out = deploy(stub_call(stub))
    copied = stub / "target2" / "sign"
    assert not (copied / "hard.txt").exists() and not (copied / "soft.txt").is_symlink()
    assert not (copied / "views" / "dir_link").is_symlink()
    assert any("hard links" in why for why in out["skipped"]["sign"])
    assert (copied / "__manifest__.py").read_text() == (sign / "__manifest__.py").read_text()


def _race(call, target_dir: Path) -> Counter[str]:
    shutil.rmtree(target_dir.parent / "buffer" / "staging" / "planning", ignore_errors=True)  # one module: faster
    outcomes: Counter[str] = Counter()
    for _ in range(ITERATIONS):
        time.sleep(0.0005)
        try:
            deploy(call)
            outcomes["ok"] += 1
        except (PathRefused, RootRefused):  # refused by name (the tool) or by the descriptor walk
            outcomes["refused"] += 1
        except Conflict:
            outcomes["conflict"] += 1
    return outcomes


def test_target_swapped_for_a_link_gets_nothing_outside(stub: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("outside")
    call = stub_call(stub)
    deploy(call)
    before = tree(outside)
    with swapping(stub / "target2", outside) as swapper:
        outcomes = _race(call, stub / "target2")
    assert swapper.swaps >= 10
    assert tree(outside) == before, "a module was copied (or removed) outside the target"
    assert outcomes["refused"] > 0 and set(outcomes) <= {"ok", "refused"}, outcomes


def test_source_module_swapped_for_a_link_reads_nothing_outside(stub: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "sign").mkdir(parents=True)
    (outside / "sign" / "__manifest__.py").write_text("{'name': 'Sign'}")
    (outside / "sign" / "secret.txt").write_text("outside secret")
    call = stub_call(stub)
    before = tree(outside)
    with swapping(stub / "buffer" / "staging" / "sign", outside / "sign") as swapper:
        outcomes = _race(call, stub / "target2")
    assert swapper.swaps >= 10
    assert tree(outside) == before
    assert not list((stub / "target2").rglob("secret.txt")), "a file outside the buffer was copied in"
    assert outcomes["ok"] > 0 and set(outcomes) <= {"ok", "refused"}, outcomes
    assert not [p for p in (stub / "target2").iterdir() if p.name.startswith((".deploy-", ".trash-"))]
