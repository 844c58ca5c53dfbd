"""Every family's settings are checked at start-up: a bad value stops `serve` in one line naming it.

In process (`cli.main`), one row per setting; tests/test_startup_fail_closed.py keeps the one
real-process check that the refusal reaches stderr with nothing on stdout.
"""

from __future__ import annotations

import sys

import pytest

from odoo_mcp.cli import main

POLICY = '{"version": "1", "default": "deny"}'


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"ODOO_MCP_GIT_TIMEOUT": "abc"}, "ODOO_MCP_GIT_TIMEOUT: 'abc' is not a number of seconds"),
        ({"ODOO_MCP_LIMITS_STORAGE": "bogus://x"}, "rate-limit storage bogus:// cannot give back"),
        ({"ODOO_MCP_AUDIT_LOG": "/etc/passwd/a.jsonl"}, "audit log /etc/passwd/a.jsonl: cannot be opened"),
    ],
    ids=["git timeout", "unknown storage", "audit log under a file"],
)
def test_a_bad_setting_stops_serve_naming_it(tmp_path, monkeypatch, capsys, variables, message):
    (tmp_path / "policy.json").write_text(POLICY)
    monkeypatch.setenv("ODOO_MCP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ODOO_MCP_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("ODOO_MCP_AUDIT_STDERR", "0")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--policy", str(tmp_path / "policy.json")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("odoo-mcp: refusing to start: ")
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_a_redis_store_without_the_redis_extra_stops_serve(tmp_path, monkeypatch, capsys):
    (tmp_path / "policy.json").write_text(POLICY)
    monkeypatch.setenv("ODOO_MCP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ODOO_MCP_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("ODOO_MCP_AUDIT_STDERR", "0")
    monkeypatch.setenv("ODOO_MCP_LIMITS_STORAGE", "redis://127.0.0.1:1")
    monkeypatch.setitem(sys.modules, "redis", None)  # as if `pip install odoo-guard-mcp[redis]` had not been run
    assert main(["serve", "--policy", str(tmp_path / "policy.json")]) == 2
    err = capsys.readouterr().err
    assert "ODOO_MCP_LIMITS_STORAGE: redis:// needs the redis client" in err
    assert "Traceback" not in err
