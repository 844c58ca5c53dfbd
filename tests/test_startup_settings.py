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


def test_one_parse_of_the_odoo_settings_feeds_every_family_and_the_audit(tmp_path):
    """`ODOO_*` and `CONNECTIONS_FILE` are parsed once (`Settings.odoo`): the start-up check, every Odoo
    family's context and the audit's secrets read the same connections, never a second reading."""
    from guard.policy import parse_policy
    from odoo_client.settings import OdooSettings
    from odoo_mcp.assembly import build_guard
    from odoo_mcp.config import Roots, Settings

    connections = tmp_path / "connections.json"
    connections.write_text('[{"alias": "other", "url": "http://127.0.0.1:9", "db": "d", "username": "u", '
                           '"password": "file-secret-42"}]')
    env = {"ODOO_URL": "http://127.0.0.1:8", "ODOO_DB": "d", "ODOO_USERNAME": "u", "ODOO_PASSWORD": "env-pw-1234",
           "CONNECTIONS_FILE": str(connections), "ODOO_MCP_STATE_DIR": str(tmp_path / "state")}
    settings = Settings(policy_path=tmp_path / "policy.json", audit_log=tmp_path / "audit.jsonl", roots=Roots(),
                        env=env)
    guard, runtime = build_guard(settings, parse_policy({"version": "1", "default": "deny"}))
    try:
        parsed = [tool.context.odoo for tool in guard.tools.values()
                  if isinstance(getattr(tool.context, "odoo", None), OdooSettings)]
        assert len({id(tool.context) for tool in guard.tools.values() if hasattr(tool.context, "odoo")}) > 1
        assert set(settings.odoo.connections) == {"default", "other"}
        assert all(odoo is settings.odoo for odoo in parsed)  # the one parse, not one per family
        guard.audit.record("tool_call", error="file-secret-42 env-pw-1234")
    finally:
        runtime.close()
        guard.audit.close()
    assert "file-secret-42" not in (tmp_path / "audit.jsonl").read_text()
