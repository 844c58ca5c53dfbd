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


@pytest.mark.parametrize("word", ["1", "true", "YES", "on", "0", "false", "No", "off"])
def test_every_boolean_setting_takes_the_same_words(word):
    """One parser: the audit's stderr switch and an Odoo connection's TLS check read the same words."""
    from foundation.env import parse_bool
    from odoo_client.settings import OdooSettings
    from odoo_mcp.config import Settings

    expected = parse_bool(word, "x")
    settings = Settings.load(policy="p.json", env={"ODOO_MCP_AUDIT_STDERR": word})
    assert settings.audit_stderr is expected
    odoo = OdooSettings.from_env({"ODOO_URL": "https://odoo.example.com", "ODOO_DB": "d", "ODOO_USERNAME": "u",
                                  "ODOO_PASSWORD": "p", "ODOO_VERIFY_SSL": word})
    assert odoo.connections["default"].verify_ssl is expected


@pytest.mark.parametrize("word", ["maybe", "2", "enabled"])
def test_a_word_that_is_not_a_boolean_is_refused_naming_the_variable(word):
    from odoo_client.errors import ConfigError
    from odoo_mcp.config import Settings

    with pytest.raises(ConfigError, match=f"ODOO_MCP_AUDIT_STDERR: '{word}' is not a boolean"):
        Settings.load(policy="p.json", env={"ODOO_MCP_AUDIT_STDERR": word})
