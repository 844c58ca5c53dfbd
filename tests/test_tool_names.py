"""A policy's tool names: a typo fails closed with a suggestion; an upstream name only warns."""

from __future__ import annotations

import pytest

from guard.policy import parse_text
from odoo_mcp.cli import main
from odoo_mcp.families import all_specs
from odoo_mcp.tool_names import UPSTREAM_TOOL_NAMES, check_tool_names, is_upstream_name

KNOWN = [spec.name for spec in all_specs()]


@pytest.mark.parametrize(
    ("text", "problems", "warnings"),
    [
        ('{"version": "1", "default": "allow", "hide": ["ee_deplooy"]}',
         ["hide[0]: 'ee_deplooy' is not a tool of this server; did you mean 'ee_deploy'?"], []),
        ('{"version": "1", "default": "allow", "tools": {"odoo_unlnk": {"action": "deny"}}}',
         ["tools.odoo_unlnk: 'odoo_unlnk' is not a tool of this server; did you mean 'odoo_unlink'?"], []),
        ("version: '1'\ntools:\n  frobnicate:\n    rules: []\n",
         ["tools.frobnicate: 'frobnicate' is not a tool of this server"], []),
        ('{"version": "1", "default": "deny", "hide": ["*"], "tools": {"*": {}, "ee_link": {}}}', [], []),
        ('{"version": "1", "default": "deny", "tools": {"oca__oca_changelog": {}}, "hide": ["ee__ee_license_status"]}',
         [], ["tools.oca__oca_changelog: 'oca__oca_changelog' is an upstream Odoo Claude MCP tool that this server "
              "does not implement; its rule has no effect",
              "hide[0]: 'ee__ee_license_status' is an upstream Odoo Claude MCP tool that this server does not "
              "implement; its rule has no effect"]),
    ],
    ids=["hide typo", "tools typo", "yaml unknown, nothing close", "wildcards", "upstream names"],
)  # fmt: skip
def test_tool_names_are_checked_against_this_server(text, problems, warnings):
    report = check_tool_names(parse_text(text), KNOWN)
    assert (report.problems, report.warnings) == (problems, warnings)


def test_upstream_names_cover_the_three_upstream_servers():
    assert {"ee_license_status", "oca_gen_readme", "odoo_cert_info", "who_am_i", "public_access_shop"} <= (
        UPSTREAM_TOOL_NAMES
    )
    assert is_upstream_name("oca__oca_migrate")
    assert not is_upstream_name("ee__nothing")
    # every upstream name we implement is one of ours, so a policy for upstream loads here
    implemented = UPSTREAM_TOOL_NAMES & set(KNOWN)
    assert {"ee_link", "odoo_unlink", "oca_link"} <= implemented


def test_policy_check_reports_typos_warnings_and_the_implied_default(tmp_path, capsys):
    typo = tmp_path / "typo.yaml"
    typo.write_text("version: '1'\nhide: [odoo_unlnk]\n")
    assert main(["policy", "check", str(typo)]) == 1
    assert "hide[0]: 'odoo_unlnk' is not a tool of this server; did you mean 'odoo_unlink'?" in capsys.readouterr().out

    upstream = tmp_path / "upstream.yaml"
    upstream.write_text(
        "version: '1'\ntools:\n  ee__ee_link:\n    rules: []\n  ee_link:\n    rules:\n"
        "      - {name: hourly, rate_limit: 5/hour}\n"
    )
    assert main(["policy", "check", str(upstream)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == f"{upstream}: OK (version 1, default allow)"
    assert lines[1] == "  note: default: not given, so 'allow' (Intercept's default): tools not listed may be called"
    assert "  ee_link: allow, rule 'hourly' (evaluate, 5/hour)" in lines
    assert "tools.ee__ee_link: 'ee__ee_link' is an upstream Odoo Claude MCP tool" in captured.err


def test_policy_explain_names_the_intercept_counters_a_call_spends(capsys):
    example = "odoo_mcp/examples/intercept-sales-assistant.yaml"
    assert main(["policy", "explain", example, "odoo_search_read", "--args", '{"model": "res.partner"}']) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "odoo_search_read: ALLOW (rule: tools.odoo_search_read)",
        "  counts against state.odoo_search_read.records_read: 5000 per day (UTC, global)",
        "  counts against state._global._rate_minute: 60 per minute (UTC, global)",
    ]
    assert main(["policy", "explain", example, "odoo_search_read", "--args", '{"model": "res.users"}']) == 3
    assert "reason: This assistant reads partners, quotes and products only" in capsys.readouterr().out
