"""foundation/env.py: one boolean parser for every layer's settings, and a refusal that names the variable
(moved from tests/test_startup_settings.py, then named tests/test_odoo_client_env.py); the one reader
(our name first, blank means unset) and count settings that never read 0 or a word as "no cap"."""

from __future__ import annotations

import re

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


@pytest.mark.parametrize(("env", "expected"), [
    ({"ODOO_MCP_X": " ours ", "X": "upstream"}, "ours"),  # our name first, stripped
    ({"ODOO_MCP_X": "", "X": "upstream"}, "upstream"),  # blank means unset: the fallback is read
    ({"ODOO_MCP_X": "   ", "X": " upstream "}, "upstream"),
    ({"X": ""}, None),
    ({}, None),
])
def test_a_variable_is_found_by_our_name_first_and_blank_means_unset(env, expected):
    from foundation.env import first_set

    assert first_set(env, "ODOO_MCP_X", "X") == expected


@pytest.mark.parametrize(("raw", "expected"), [(None, 7), ("", 7), ("1", 1), ("250", 250)])
def test_a_count_setting_takes_a_whole_number_or_its_default(raw, expected):
    from foundation.env import positive_int

    assert positive_int({} if raw is None else {"CAP": raw}, "CAP", 7) == expected


@pytest.mark.parametrize("raw", ["0", "-3", "lots", "2.5"])
def test_a_count_of_zero_or_a_word_is_refused_never_read_as_no_cap(raw):
    from foundation.env import ConfigError, positive_int

    with pytest.raises(ConfigError, match="^" + re.escape(f"CAP={raw!r} is not a positive integer") + "$"):
        positive_int({"CAP": raw}, "CAP", 7)
