"""Issue 9, item 12: a module whose `__manifest__.py` is a symlink (or a hard link) out of its root
is listed as a problem, its content is never returned, and it is never linked or deployed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from guard.spec import ToolFailure
from tests.addons_helpers import copy_stub, stub_call
from tools.addons import ee_tools as ee

OUTSIDE_TEXT = "{'name': 'OUTSIDE SECRET', 'summary': 'read from outside the root', 'depends': []}"


@pytest.mark.parametrize("how", ["symlink", "relative symlink", "hard link"])
def test_manifest_leading_out_of_the_root_is_not_read(tmp_path: Path, how: str) -> None:
    stub = copy_stub(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "__manifest__.py").write_text(OUTSIDE_TEXT)
    module = stub / "enterprise" / "stolen"
    module.mkdir()
    manifest = module / "__manifest__.py"
    if how == "symlink":
        os.symlink(outside / "__manifest__.py", manifest)
    elif how == "relative symlink":
        os.symlink(os.path.relpath(outside / "__manifest__.py", module), manifest)
    else:
        os.link(outside / "__manifest__.py", manifest)
    call = stub_call(stub)
    listed = ee.ee_modules(ee.EeModulesArgs(), call)
    assert "OUTSIDE SECRET" not in repr(listed) and "read from outside" not in repr(listed)
    [problem] = [p for p in listed["problems"] if p["module"] == "stolen"]
    assert "never read" in problem["problem"]
    assert ee.ee_search(ee.EeSearchArgs(query="outside"), call)["count"] == 0
    with pytest.raises(ToolFailure, match="stolen"):
        ee.ee_link(ee.EeLinkArgs(modules=["stolen"]), call)
    assert not (stub / "target" / "stolen").exists() and not (stub / "target" / "stolen").is_symlink()


def test_a_plain_manifest_next_to_it_still_answers(tmp_path: Path) -> None:
    stub = copy_stub(tmp_path)
    os.symlink(tmp_path, stub / "enterprise" / "sign" / "elsewhere")  # a link inside a module is harmless
    listed = ee.ee_modules(ee.EeModulesArgs(filter="sign"), stub_call(stub))
    assert [m["module"] for m in listed["modules"]] == ["sign"]


def test_manifest_swapped_for_a_link_after_a_cached_scan_is_refused(tmp_path: Path) -> None:
    stub = copy_stub(tmp_path)
    call = stub_call(stub)
    assert "sign" in {m["module"] for m in ee.ee_modules(ee.EeModulesArgs(), call)["modules"]}
    outside = tmp_path / "outside"
    outside.mkdir()
    manifest = stub / "enterprise" / "sign" / "__manifest__.py"
    manifest.rename(outside / "__manifest__.py")  # same inode, size and mtime, now outside the root
    os.symlink(outside / "__manifest__.py", manifest)
    listed = ee.ee_modules(ee.EeModulesArgs(), call)
    assert "sign" not in {m["module"] for m in listed["modules"]}
    assert "sign" in {p["module"] for p in listed["problems"]}
