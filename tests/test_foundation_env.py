"""foundation/env.py: one boolean parser for every layer's settings, and a refusal that names the variable.
Moved from tests/test_startup_settings.py (then named tests/test_odoo_client_env.py)."""

from __future__ import annotations

import pytest


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
