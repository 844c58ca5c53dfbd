"""Manifest parsing, the cached index and dependency graphs, on a copy of addons_stub/."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.addons_helpers import copy_stub
from tools.addons import tree_watch
from tools.addons.graph import Universe, dependencies
from tools.addons.index import AddonsIndex
from tools.addons.manifest import ManifestError, inherited_models, parse_manifest_text


def test_manifest_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with pytest.raises(ManifestError):
        parse_manifest_text(f'{{"name": __import__("os").system("touch {marker}")}}')
    assert not marker.exists()


@pytest.mark.parametrize(
    "text",
    ["[1, 2]", "{'depends': 'base'}", "{'name': 3}", "{'application': 'yes'}", "{", "", "{'depends': [1]}"],
)
def test_bad_manifests_are_errors(text: str) -> None:
    with pytest.raises(ManifestError):
        parse_manifest_text(text)


def test_manifest_fields_and_country_inference() -> None:
    m = parse_manifest_text("{'name': 'X', 'depends': ['base'], 'application': True}", "l10n_fr_reports")
    assert m.depends == ("base",) and m.application and m.countries == ("fr",)
    assert m.license == "LGPL-3" and m.installable


def test_inherited_models_text_scan() -> None:
    source = '''
class A(models.Model):
    _inherit = "sale.order"
class B(models.Model):
    _inherit = ['stock.picking', "stock.move"]
    x = "_inherit = 'not.this'"
'''
    assert inherited_models(source) == {"sale.order", "stock.picking", "stock.move"}


@pytest.fixture
def stub(tmp_path: Path) -> Path:
    return copy_stub(tmp_path)


def test_stub_is_big_enough_and_traps_are_reported(stub: Path) -> None:
    index = AddonsIndex()
    ee = index.scan(stub / "enterprise", "enterprise")
    community = index.scan(stub / "addons", "community")
    oca = index.scan(stub / "oca", "oca", "repos")
    total = len(ee.summaries) + len(community.summaries) + len(oca.summaries)
    assert total >= 30
    problems = {p["module"]: p["problem"] for p in ee.problems}
    assert "outside its root" in problems["evil_link"]
    assert "broken manifest" in problems["marketing_automation"]
    assert "doc" not in ee.by_name  # a folder without manifest is not a module
    assert {r.repo for r in oca.records} == {"sale-workflow", "stock-logistics-barcode", "contract"}
    assert (stub / "enterprise" / "evil_link").is_symlink()
    assert os.readlink(stub / "enterprise" / "evil_link").startswith("../")


def test_cache_hits_until_the_tree_changes(stub: Path) -> None:
    index = AddonsIndex()
    ee_dir = stub / "enterprise"
    first = index.scan(ee_dir, "enterprise")
    assert index.scan(ee_dir, "enterprise") is first
    assert (index.cold_scans, index.cache_hits) == (1, 1)

    manifest = ee_dir / "planning" / "__manifest__.py"
    manifest.write_text(manifest.read_text().replace('"Planning"', '"Planning 2"'))
    os.utime(manifest, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    second = index.scan(ee_dir, "enterprise")
    assert second is not first and second.get("planning").manifest.name == "Planning 2"

    new = ee_dir / "new_module"
    new.mkdir()
    (new / "__manifest__.py").write_text("{'name': 'New', 'depends': ['base']}")
    third = index.scan(ee_dir, "enterprise")
    assert third.get("new_module") is not None

    (ee_dir / "doc" / "__manifest__.py").write_text("{'name': 'Doc'}")
    assert index.scan(ee_dir, "enterprise").get("doc") is not None

    shutil.rmtree(ee_dir / "sign")
    assert "sign" not in index.scan(ee_dir, "enterprise").by_name


watched = pytest.mark.skipif(tree_watch.INotify is None, reason="inotify is Linux-only")


@watched
def test_an_unchanged_tree_is_answered_without_touching_its_files(stub: Path) -> None:
    index = AddonsIndex()
    ee_dir = stub / "enterprise"
    first = index.scan(ee_dir, "enterprise")
    for _ in range(5):
        assert index.scan(ee_dir, "enterprise") is first
    assert (index.cold_scans, index.cache_hits, index.stat_checks) == (1, 5, 0)
    index.close()


@watched
def test_the_watch_sees_an_edit_that_stat_cannot(stub: Path) -> None:
    """Same size, mtime put back: the fingerprint alone would keep the stale manifest."""
    index = AddonsIndex()
    ee_dir = stub / "enterprise"
    first = index.scan(ee_dir, "enterprise")
    manifest = ee_dir / "planning" / "__manifest__.py"
    before = manifest.stat()
    manifest.write_text(manifest.read_text().replace('"Planning"', '"Plannin2"'))
    os.utime(manifest, ns=(before.st_atime_ns, before.st_mtime_ns))
    second = index.scan(ee_dir, "enterprise")
    assert second.get("planning").manifest.name == "Plannin2" and second is not first
    index.close()


@watched
def test_a_module_added_after_the_scan_is_watched_too(stub: Path) -> None:
    index = AddonsIndex()
    ee_dir = stub / "enterprise"
    index.scan(ee_dir, "enterprise")
    new = ee_dir / "new_module"
    new.mkdir()
    manifest = new / "__manifest__.py"
    manifest.write_text("{'name': 'Neu', 'depends': ['base']}")
    assert index.scan(ee_dir, "enterprise").get("new_module").manifest.name == "Neu"
    stamp = manifest.stat()
    manifest.write_text("{'name': 'New', 'depends': ['base']}")
    os.utime(manifest, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert index.scan(ee_dir, "enterprise").get("new_module").manifest.name == "New"
    index.close()


def test_without_a_watch_every_call_checks_by_stat(stub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where inotify is missing or too old to vouch alone, the fingerprint decides, on every call."""
    ee_dir = stub / "enterprise"
    unwatched = AddonsIndex(watch=False)
    first = unwatched.scan(ee_dir, "enterprise")
    assert unwatched.scan(ee_dir, "enterprise") is first and unwatched.stat_checks == 1
    monkeypatch.setattr(tree_watch, "TRUST_SECONDS", -1.0)
    expiring = AddonsIndex()
    first = expiring.scan(ee_dir, "enterprise")
    assert expiring.scan(ee_dir, "enterprise") is first and expiring.scan(ee_dir, "enterprise") is first
    assert expiring.stat_checks == 2
    expiring.close()


def test_oca_cache_sees_a_new_repo(stub: Path) -> None:
    index = AddonsIndex()
    oca_dir = stub / "oca"
    index.scan(oca_dir, "oca", "repos")
    repo = oca_dir / "web"
    (repo / "web_widget_x").mkdir(parents=True)
    (repo / "web_widget_x" / "__manifest__.py").write_text("{'name': 'W', 'depends': ['web']}")
    assert index.scan(oca_dir, "oca", "repos").get("web_widget_x").repo == "web"


def _universe(stub: Path) -> Universe:
    index = AddonsIndex()
    return Universe(
        enterprise=index.scan(stub / "enterprise", "enterprise"),
        community=[index.scan(stub / "addons", "community")],
        oca=index.scan(stub / "oca", "oca", "repos"),
    )


def test_dependency_report(stub: Path) -> None:
    world = _universe(stub)
    report = dependencies(world, "account_reports")
    assert report.by_source["enterprise"] == ["account_accountant", "web_enterprise"]
    assert "account" in report.by_source["community"] and "base" in report.by_source["community"]
    order = report.install_order
    assert order.index("web_enterprise") < order.index("account_accountant") < order.index("account_reports")
    assert order.index("base") < order.index("web")
    assert report.cycles == []

    cyc = dependencies(world, "documents_spreadsheet")
    # cycles are reported once, rotated to start at their smallest name
    assert cyc.cycles == [["documents", "documents_spreadsheet", "spreadsheet_edition", "documents"]]
    miss = dependencies(world, "sale_amazon")
    assert miss.by_source["missing"] == ["stock_delivery_amazon"]


def test_deep_chain_does_not_recurse(tmp_path: Path) -> None:
    root = tmp_path / "ee"
    for i in range(3000):
        (root / f"m{i}").mkdir(parents=True)
        deps = [f"m{i + 1}"] if i < 2999 else []
        (root / f"m{i}" / "__manifest__.py").write_text(repr({"name": f"M{i}", "depends": deps}))
    world = Universe(enterprise=AddonsIndex().scan(root, "enterprise"))
    report = dependencies(world, "m0")
    assert len(report.install_order) == 3000 and report.install_order[0] == "m2999"
