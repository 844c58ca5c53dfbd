"""The pure parts of the OCA tools and of dependency classification, table-driven, in-process."""

from __future__ import annotations

import ast
import datetime as dt

import pytest

from tools.addons import oca_gen
from tools.addons.core import core_kind, series_from
from tools.addons.graph import Universe, dependencies
from tools.addons.index import ModuleRecord, Scan
from tools.addons.manifest import ManifestError, parse_manifest_text


def manifest(**keys):
    return parse_manifest_text(repr({"name": "X", "version": "19.0.1.0.0", **keys}), "x")


@pytest.mark.parametrize(("name", "version", "default", "expected"), [
    ("account", "19.0.1.0.0", "19.0", "core_ce"),
    ("web", None, "17.0", "core_ce"),
    ("account_reports", "19.0.1.0.0", "19.0", "core_ee"),
    ("web_enterprise", None, "8.0", None),          # no EE list before 9.0 holds it
    ("contract", "19.0.1.0.0", "19.0", None),       # an OCA module is not core
    ("account", "1.0", "saas-17.4", None),          # no series known: nothing claimed
])
def test_core_classification(name, version, default, expected):
    assert core_kind(name, series_from(version, default)) == expected


def test_dependencies_split_core_from_missing():
    ee = Scan(root=__import__("pathlib").Path("/ee"), kind="enterprise", records=(
        ModuleRecord("account_reports", "enterprise", None, None, None,  # type: ignore[arg-type]
                     manifest(depends=["account", "web", "no_such_module", "documents"])),))
    report = dependencies(Universe(enterprise=ee), "account_reports").as_dict()
    assert report["core_depends"] == ["account", "web"]
    assert report["core_enterprise_depends"] == ["documents"]
    assert report["missing"] == ["no_such_module"] and report["series"] == "19.0"


@pytest.mark.parametrize("text", [
    '{"name": __import__("os").system("id")}', "{", "[1, 2]", '{"depends": [1]}', '{"installable": "yes"}',
    '{"external_dependencies": {"python": "requests"}}',
])
def test_manifests_are_never_executed_and_bad_types_refused(text):
    with pytest.raises(ManifestError):
        parse_manifest_text(text, "x")


@pytest.mark.parametrize(("item", "kept"), [
    ("requests>=2", True), ("python-dateutil", True), ("--index-url http://evil", False), ("-e git+https://x", False),
    ("-r other.txt", False), ("pkg @ https://evil.example/p.whl", False), ("req\n--extra-index-url x", False),
    ("not a requirement!", False),
])
def test_requirements_refuse_options_and_urls(item, kept):
    result = oca_gen.requirements([("a", manifest(external_dependencies={"python": [item]}))])
    assert (result.text is not None and item.strip() in result.text) is kept
    assert (item in result.refused) is (not kept)


def test_requirements_skip_uninstallable_and_dedupe():
    rows = [("a", manifest(external_dependencies={"python": ["Requests"]})),
            ("b", manifest(external_dependencies={"python": ["requests", "zeep"]})),
            ("c", manifest(installable=False, external_dependencies={"python": ["old"]}))]
    assert oca_gen.requirements(rows).text == f"{oca_gen.REQUIREMENTS_HEADER}\nRequests\nzeep\n"


@pytest.mark.parametrize("url", ['https://x/"+__import__("os").system("id")+"', "https://x/\\'", "https://ok.org/a"])
def test_manifest_edit_writes_a_literal_that_round_trips(url):
    text = '# head\n{\n    "name": "Ünï",\n    "website": "https://old",\n}\n'
    new = oca_gen.set_manifest_key(text, "website", url)
    assert ast.literal_eval(new) == {"name": "Ünï", "website": url} and new.startswith("# head\n")
    added = oca_gen.set_manifest_key('{"name": "a"}', "website", url)
    assert ast.literal_eval(added) == {"name": "a", "website": url}


@pytest.mark.parametrize("text", ['{"name": f()}', "x = {}", "{"])
def test_manifest_edit_refuses_what_it_cannot_edit_safely(text):
    with pytest.raises(oca_gen.ManifestEditError):
        oca_gen.set_manifest_key(text, "website", "https://a")


def test_readme_html_never_includes_files_or_raw_html(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE")
    rst = f".. include:: {secret}\n\nhello\n\n.. raw:: html\n\n   <script>evil()</script>\n"
    html = oca_gen.readme_html(rst)
    assert "hello" in html and "TOP-SECRET-LINE" not in html and "<script>" not in html


def test_addons_table_between_markers_and_escaped():
    rows = [("b", manifest(summary="pipes | here")), ("a", manifest(installable=False))]
    text = oca_gen.addons_table(f"top\n{oca_gen.TABLE_START}\nold\n{oca_gen.TABLE_END}\nbottom\n", rows)
    assert text.startswith("top\n") and text.endswith("bottom\n") and "old" not in text
    assert "[b](b/) | 19.0.1.0.0 |  | pipes \\| here" in text
    assert text.index("Unported addons") < text.index("[a](a/)")
    assert oca_gen.addons_table("", rows).startswith(oca_gen.TABLE_START)


def test_changelog_from_fragments():
    entry = oca_gen.changelog_entry("19.0.1.0.1", {"7.feature": "New", "8.bugfix": "Fixed", "README": "no"},
                                    dt.date(2026, 1, 2))
    assert entry.splitlines()[:2] == ["19.0.1.0.1 (2026-01-02)", "~" * 23]
    assert "**Features**\n\n- New (#7)" in entry and "**Bugfixes**\n\n- Fixed (#8)" in entry
    assert oca_gen.fragment_kind("README") is None and oca_gen.fragment_kind("12.bugfix") == ("12", "bugfix", 0)


@pytest.mark.parametrize(("version", "series", "expected"), [
    ("18.0.1.4.2", "19.0", "19.0.1.0.0"), ("18.0.3.0.0", "19.0", "19.0.3.0.0"), ("1.0", "19.0", "19.0.1.0.0")])
def test_migrated_version(version, series, expected):
    assert oca_gen.migrated_version(version, series) == expected


def test_default_icon_is_a_png():
    icon = oca_gen.default_icon()
    assert icon.startswith(b"\x89PNG\r\n\x1a\n") and b"IHDR" in icon and icon.endswith(b"IEND\xaeB`\x82")


@pytest.mark.parametrize(("url", "name"), [
    ("https://odoo.example.com", "odoo.example.com_443.pem"),
    ("https://Odoo.Example.com:8443", "odoo.example.com_8443.pem"),
    ("https://[::1]:8069", "__1_8069.pem"),
    ("https://..:443", "host_443.pem"),
])
def test_pins_are_named_by_server_never_by_alias(url, name):
    from odoo_client.pins import pin_name

    assert pin_name(url) == name and "/" not in pin_name(url)


@pytest.mark.parametrize(("url", "verify", "pinned", "refused"), [
    ("https://odoo.example.com", True, False, None),
    ("https://odoo.example.com", False, True, None),
    ("https://odoo.example.com", False, False, "TLS verification off"),
    ("http://odoo.example.com", True, False, "plain http"),
    ("http://127.0.0.1:8069", True, False, None),
    ("http://localhost:8069", True, False, None),
])
def test_license_status_needs_tls(url, verify, pinned, refused):
    from tools.addons.ee_license import tls_problem

    problem = tls_problem(url, verify, pinned)
    assert (problem is None) if refused is None else (refused in problem)


@pytest.mark.parametrize(("code", "shown"), [
    (None, "not set"), ("", "not set"), ("M2404abcdef1234567890", "*" * 17 + "7890"), ("ab", "****ab")])
def test_subscription_code_is_masked(code, shown):
    from tools.addons.ee_license import mask

    assert mask(code) == shown


@pytest.mark.parametrize(("expiration", "left"), [("2027-01-10 00:00:00", 9), ("2026-12-31", -1), ("unknown", None),
                                                  ("garbage", None), (None, None)])
def test_days_left(expiration, left):
    from tools.addons.ee_license import days_left

    assert days_left(expiration, dt.date(2027, 1, 1)) == left


def test_changelog_follows_towncriers_conventions():
    """What oca-towncrier writes: equal texts share a bullet, `misc` lists only its issues, issues sorted
    with bare numbers last and numerically, multi-line fragments indented under their bullet."""
    entry = oca_gen.changelog_entry(
        "19.0.1.0.2",
        {"12.feature": "Same", "3.feature": "Same", "gh-10.bugfix": "a", "gh-4.bugfix": "a", "alpha.bugfix": "b",
         "4.misc": "hidden text", "9.doc": "Line one\nline two"},
        dt.date(2026, 1, 2),
    )
    body = entry.split("\n\n", 1)[1]
    assert body == (
        "**Features**\n\n- Same (#3, #12)\n\n"
        "**Bugfixes**\n\n- b (alpha)\n- a (gh-4, gh-10)\n\n"
        "**Improved Documentation**\n\n- Line one\n  line two (#9)\n\n"
        "**Misc**\n\n- #4\n"
    )
