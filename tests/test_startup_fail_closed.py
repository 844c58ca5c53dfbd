"""A broken or missing policy stops the server before it serves anything, and says why."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from odoo_mcp.cli import main
from tests.harness import REPO


def start(policy_text: str | None, tmp_path, policy_path=None) -> subprocess.CompletedProcess:
    path = policy_path or tmp_path / "policy.json"
    if policy_text is not None:
        path.write_text(policy_text)
    env = {**os.environ, "ODOO_MCP_POLICY": str(path), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "odoo_mcp", "serve"],
        input="",
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )


def test_invalid_policy_refuses_to_start_naming_the_path(tmp_path):
    """One real process: a broken policy stops `serve` before it serves (every broken key, in both
    spellings, is checked in process by tests/test_guard_policy.py)."""
    broken = {"version": "1", "default": "deny", "tools": {"ee_link": {"limits": [{"counter": "c", "max": 0}]}}}
    done = start(json.dumps(broken), tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""  # stdout is the MCP transport: nothing may be printed there
    assert "refusing to start: invalid policy" in done.stderr
    assert "tools.ee_link.limits[0].max: Input should be greater than or equal to 1" in done.stderr
    assert "tools.ee_link.limits[0].window: required key is missing" in done.stderr


def test_misspelt_tool_name_stops_serve_with_a_suggestion(tmp_path, capsys):
    (tmp_path / "policy.yaml").write_text("version: '1'\nhide: [ee_deplooy]\n")
    assert main(["serve", "--policy", str(tmp_path / "policy.yaml")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "hide[0]: 'ee_deplooy' is not a tool of this server; did you mean 'ee_deploy'" in captured.err


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("{", "policy.json", "(json): line 1 column 2"),
        (None, "nowhere.json", "(file): not found"),
        ('{"version": "1", "default": "allow", "tools": {"odoo_unlnk": {"action": "deny"}}}', "p.json",
         "tools.odoo_unlnk: 'odoo_unlnk' is not a tool of this server; did you mean 'odoo_unlink'"),
    ],
    ids=["not json", "missing file", "misspelt tool"],
)  # fmt: skip
def test_serve_refuses_in_process(tmp_path, capsys, text, name, message):
    if text is not None:
        (tmp_path / name).write_text(text)
    assert main(["serve", "--policy", str(tmp_path / name)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "odoo-mcp: refusing to start: invalid policy" in captured.err
    assert message in captured.err


def test_no_policy_configured(monkeypatch, capsys):
    monkeypatch.delenv("ODOO_MCP_POLICY", raising=False)
    assert main(["serve"]) == 2
    assert "no policy: pass --policy FILE or set ODOO_MCP_POLICY" in capsys.readouterr().err


def test_cli_policy_check_lists_every_problem(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"version": "2", "default": "maybe", "tools": {"x": {"limits": [{"counter": "c"}]}}}))
    assert main(["policy", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "INVALID (4 problems)" in out
    for path_text in ("version:", "default:", "tools.x.limits[0].window:", "tools.x.limits[0].max:"):
        assert path_text in out


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"ODOO_URL": "http://127.0.0.1:1", "ODOO_DB": "x", "ODOO_USERNAME": "u", "ODOO_PASSWORD": "p",
          "ODOO_PROTOCOL": "soap"}, "protocol 'soap' is not one of jsonrpc, xmlrpc, json2"),
        ({"ODOO_URL": "ftp://odoo.example.com", "ODOO_DB": "x", "ODOO_USERNAME": "u", "ODOO_PASSWORD": "p"},
         "ODOO_URL"),
        ({"CONNECTIONS_FILE": "/nonexistent/connections.json"}, "CONNECTIONS_FILE"),
    ],
    ids=["unknown protocol", "not an http url", "missing connections file"],
)  # fmt: skip
def test_bad_odoo_settings_stop_the_start(tmp_path, monkeypatch, capsys, variables, message):
    """In process (`cli.main`): the real-process path of a refusal is covered once above."""
    (tmp_path / "policy.json").write_text(json.dumps({"version": "1", "default": "deny"}))
    for name in list(os.environ):
        if (name.startswith("ODOO_") and name != "ODOO_MCP_STATE_DIR") or name == "CONNECTIONS_FILE":
            monkeypatch.delenv(name)
    monkeypatch.setenv("ODOO_MCP_POLICY", str(tmp_path / "policy.json"))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert main(["serve"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "refusing to start" in captured.err
    assert message in captured.err
