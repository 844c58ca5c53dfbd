"""ee_link / ee_unlink / oca_link / oca_unlink / ee_deploy handlers, called directly on a stub copy."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from guard.spec import PathRefused, ToolFailure
from tests.addons_helpers import copy_stub, diff, snapshot, stub_call
from tools.addons import ee_tools as ee
from tools.addons import linking, oca_tools
from tools.addons.errors import Conflict


@pytest.fixture
def stub(tmp_path: Path) -> Path:
    return copy_stub(tmp_path)


def link(call, **kw):
    return ee.ee_link(ee.EeLinkArgs(**kw), call)


def unlink(call, **kw):
    return ee.ee_unlink(ee.EeUnlinkArgs(**kw), call)


def test_link_then_unlink(stub: Path) -> None:
    call = stub_call(stub)
    result = link(call, modules=["account_reports"], with_depends=True)
    assert result["linked"] == ["web_enterprise", "account_accountant", "account_reports"]
    target = stub / "target"
    assert os.readlink(target / "account_reports") == str((stub / "enterprise" / "account_reports").resolve())
    assert link(call, modules=["account_reports"])["already_linked"] == ["account_reports"]
    removed = unlink(call, modules=["account_reports", "web_enterprise", "account_accountant", "sign"])
    assert sorted(removed["unlinked"]) == ["account_accountant", "account_reports", "web_enterprise"]
    assert removed["not_linked"] == ["sign"]
    assert sorted(p.name for p in target.iterdir()) == [".gitkeep"]


def test_target_by_name_and_exact_path_only(stub: Path) -> None:
    call = stub_call(stub)
    assert link(call, modules=["sign"], target_dir="second")["target"] == "second"
    assert link(call, modules=["planning"], target_dir=str(stub / "target2"))["target"] == "second"
    for bad in [str(stub / "target2" / "sub"), str(stub / "target2" / ".." / "target2"), "/tmp", "..", "main/.."]:
        with pytest.raises(PathRefused):
            link(call, modules=["helpdesk"], target_dir=bad)


def test_all_or_nothing(stub: Path) -> None:
    call = stub_call(stub)
    before = snapshot(stub)
    with pytest.raises(PathRefused):
        link(call, modules=["sign", "evil_link"])
    with pytest.raises(ToolFailure):
        link(call, modules=["sign", "marketing_automation"])
    with pytest.raises(ToolFailure):
        link(call, modules=["sign", "no_such_module"])
    with pytest.raises(Conflict):
        link(call, modules=["sign", "stock_barcode"])  # the OCA ships stock_barcode: would shadow it
    assert diff(before, snapshot(stub)) == {"added": [], "removed": [], "changed": []}


def test_existing_entries_are_never_replaced(stub: Path, tmp_path: Path) -> None:
    call = stub_call(stub)
    target = stub / "target"
    (target / "sign").mkdir()
    os.symlink(tmp_path, target / "planning")
    (target / "helpdesk").write_text("a file")
    before = snapshot(stub, tmp_path / "stub" / "target")
    for name in ("sign", "planning", "helpdesk"):
        with pytest.raises(Conflict):
            link(call, modules=["quality", name])
        with pytest.raises(Conflict):
            unlink(call, modules=[name])
    assert diff(before, snapshot(stub, tmp_path / "stub" / "target"))["changed"] == []
    assert not (target / "quality").exists()


def test_failure_midway_rolls_back(stub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    call = stub_call(stub)
    real_symlink = os.symlink
    calls = []

    def flaky(src, dst, target_is_directory=False, *, dir_fd=None):
        calls.append(dst)
        if len(calls) == 3:
            # someone plants a link at the very name between our check and our create
            real_symlink("/etc", dst, dir_fd=dir_fd)
        return real_symlink(src, dst, target_is_directory, dir_fd=dir_fd)

    monkeypatch.setattr(linking.os, "symlink", flaky)
    with pytest.raises(Conflict, match="removed"):
        link(call, modules=["sign", "planning", "helpdesk"])
    target = stub / "target"
    assert sorted(p.name for p in target.iterdir()) == [".gitkeep", "helpdesk"]
    assert os.readlink(target / "helpdesk") == "/etc"  # the planted link is left alone


def test_target_swapped_for_a_link_is_refused(stub: Path, tmp_path: Path) -> None:
    call = stub_call(stub)
    link(call, modules=["sign"])  # pins the target
    outside = tmp_path / "sentinel"
    outside.mkdir()
    target = stub / "target"
    target.rename(stub / "target_old")
    os.symlink(outside, target)
    with pytest.raises(PathRefused):
        link(call, modules=["planning"])
    assert list(outside.iterdir()) == []


def test_open_target_refuses_a_moved_folder(stub: Path, tmp_path: Path) -> None:
    call = stub_call(stub)
    from tools.addons.roots import resolve_target

    target = resolve_target(call, "main")
    (stub / "target").rename(stub / "target_moved")
    os.symlink(tmp_path, stub / "target")
    with pytest.raises(PathRefused), linking.open_target(target):
        pass


def test_unlink_refuses_foreign_links_and_dirs(stub: Path, tmp_path: Path) -> None:
    call = stub_call(stub)
    target = stub / "target"
    os.symlink(stub / "oca" / "contract" / "contract", target / "contract")
    os.symlink(stub / "enterprise", target / "enterprise_root")
    with pytest.raises(Conflict):
        unlink(call, modules=["contract"])
    with pytest.raises(Conflict):
        unlink(call, modules=["enterprise_root"])
    assert (target / "contract").is_symlink() and (target / "enterprise_root").is_symlink()
    # the OCA tool removes its own link
    out = oca_tools.oca_unlink(oca_tools.OcaUnlinkArgs(module="contract"), call)
    assert out["unlinked"] == ["contract"]


def test_oca_link_rules(stub: Path) -> None:
    call = stub_call(stub)
    out = oca_tools.oca_link(oca_tools.OcaLinkArgs(module="sale_order_type"), call)
    assert out["linked"] == ["sale_order_type"] and out["repo"] == "sale-workflow"
    dup = stub / "oca" / "contract" / "sale_order_type"
    dup.mkdir()
    (dup / "__manifest__.py").write_text("{'name': 'dup'}")
    with pytest.raises(Conflict, match="several OCA repos"):
        oca_tools.oca_link(oca_tools.OcaLinkArgs(module="sale_order_type", target_dir="second"), call)
    base = stub / "oca" / "contract" / "base"
    base.mkdir()
    (base / "__manifest__.py").write_text("{'name': 'base'}")
    with pytest.raises(Conflict, match="community"):
        oca_tools.oca_link(oca_tools.OcaLinkArgs(module="base"), call)


def test_link_shadowing_community_is_a_conflict(stub: Path) -> None:
    call = stub_call(stub)
    fake = stub / "enterprise" / "mail"
    fake.mkdir()
    (fake / "__manifest__.py").write_text("{'name': 'Mail EE fork'}")
    with pytest.raises(Conflict, match="community"):
        link(call, modules=["mail"])


def test_with_depends_reports_missing_and_cycles(stub: Path) -> None:
    call = stub_call(stub)
    out = link(call, modules=["sale_amazon", "documents"], with_depends=True)
    assert out["missing_dependencies"] == ["stock_delivery_amazon"]
    assert out["cycles"] and set(out["linked"]) == {
        "sale_amazon", "documents", "documents_spreadsheet", "spreadsheet_edition"
    }


def test_deploy_copies_and_replaces_only_its_own(stub: Path) -> None:
    call = stub_call(stub)
    buffer = stub / "buffer" / "prod"
    buffer.mkdir()
    for name in ("sign", "planning"):
        shutil.copytree(stub / "enterprise" / name, buffer / name)
    os.symlink("/etc", buffer / "sign" / "escape")
    args = ee.EeDeployArgs(instance="prod", target="second")
    out = ee.ee_deploy(args, call)
    assert sorted(out["deployed"]) == ["planning", "sign"]
    deployed = stub / "target2" / "sign"
    assert deployed.is_dir() and not (deployed / "escape").exists() and not (deployed / "escape").is_symlink()
    (buffer / "planning" / "__manifest__.py").write_text("{'name': 'Planning v2'}")
    shutil.rmtree(buffer / "sign")
    out = ee.ee_deploy(args, call)
    assert out["removed"] == ["sign"] and out["deployed"] == ["planning"]
    assert "v2" in (stub / "target2" / "planning" / "__manifest__.py").read_text()
    (stub / "target2" / "hand_made").mkdir()
    (buffer / "hand_made").mkdir()
    (buffer / "hand_made" / "__manifest__.py").write_text("{'name': 'x'}")
    with pytest.raises(Conflict):
        ee.ee_deploy(args, call)
