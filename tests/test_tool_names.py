"""A policy's tool names: a typo fails closed with a suggestion; an upstream name only warns."""

from __future__ import annotations

import pytest

from guard.policy import parse_text
from odoo_mcp.cli import main
from odoo_mcp.families import all_specs
from odoo_mcp.policy_names import UPSTREAM_TOOL_NAMES, check_tool_names, is_upstream_name

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


UPSTREAM_ELSEWHERE_POLICY = """\
version: "1"
default: deny
tools:
  telegram_send_message:
    rules:
      - {name: hourly, rate_limit: 5/hour}
  google_gmail_send:
    rules:
      - {name: never, action: deny}
  odoo_read:
    rules: []
hide: [cf_dns_create, memory_write]
"""


def test_upstreams_tools_served_by_other_servers_load_with_one_warning_each(tmp_path, capsys):
    """A policy written for upstream names its Telegram, Gmail, Cloudflare and memory tools: it loads, and
    `policy check` says, once per name, that such a tool is served here by mounting a server that has it."""
    path = tmp_path / "upstream.yaml"
    path.write_text(UPSTREAM_ELSEWHERE_POLICY)
    assert main(["policy", "check", str(path)]) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.out.splitlines() if line.startswith("  warning: ")]
    named = ["tools.telegram_send_message", "tools.google_gmail_send", "hide[0]", "hide[1]"]
    assert [line.split(": ")[1] for line in warnings] == named
    for line, tool in zip(warnings, ["telegram_send_message", "google_gmail_send", "cf_dns_create", "memory_write"],
                          strict=True):
        assert f"'{tool}' is an upstream tool (" in line and f"<mount>__{tool}" in line, line
        assert "mount an MCP server that provides it" in line
    assert "(Telegram)" in warnings[0] and "(Cloudflare (cloudflare-mcp))" in warnings[2]
    stderr = [line for line in captured.err.splitlines() if "is an upstream tool" in line]
    assert len(stderr) == 4  # one line each on stderr too


def test_a_name_neither_ours_nor_upstreams_is_still_refused(tmp_path, capsys):
    path = tmp_path / "typo.yaml"
    path.write_text(UPSTREAM_ELSEWHERE_POLICY.replace("telegram_send_message:", "telegram_send_mesage:"))
    assert main(["policy", "check", str(path)]) == 1
    assert "tools.telegram_send_mesage: 'telegram_send_mesage' is not a tool of this server" in capsys.readouterr().out
