"""What the OAuth state keeps at rest: sealed secrets bound to their grant, tokens only as hashes, a key file
only its owner reads."""

from __future__ import annotations

import os

import pytest

from odoo_mcp.config import ConfigError
from odoo_mcp.oauth.sealing import Sealer, load_oauth_key
from odoo_mcp.oauth.store import OAuthStore, Person


def test_a_sealed_secret_opens_only_for_its_grant_and_its_key():
    sealer = Sealer(b"k" * 32)
    sealed = sealer.seal("demo-secret-pw", "demo@prod")
    assert b"demo-secret-pw" not in sealed
    assert sealer.open(sealed, "demo@prod") == "demo-secret-pw"
    assert sealer.open(sealed, "admin@prod") is None  # copied onto another person's row: does not open
    assert Sealer(b"j" * 32).open(sealed, "demo@prod") is None  # another server's key
    assert sealer.seal("demo-secret-pw", "demo@prod") != sealed  # a fresh nonce each time


def test_the_state_file_holds_no_token_and_no_secret_in_clear(tmp_path):
    store = OAuthStore(tmp_path / "oauth.sqlite3")
    issued = store.issue(family="f", client_id="c", grant="demo@prod", scopes=["odoo"],
                         resource="https://mcp.example.com/mcp", access_ttl=60, refresh_ttl=600)
    store.add_code("the-code-value", client_id="c", grant="demo@prod", scopes=["odoo"], challenge="x",
                   redirect_uri="https://a.example/cb", explicit=True, resource="r", ttl=60)
    store.put_person(Person("demo@prod", "prod", "demo", 6, Sealer(b"k" * 32).seal("demo-secret-pw", "demo@prod"),
                            None, ["odoo"]))
    store.close()
    raw = (tmp_path / "oauth.sqlite3").read_bytes()
    for value in (issued.access, issued.refresh, "the-code-value", "demo-secret-pw"):
        assert value.encode() not in raw
    assert os.stat(tmp_path / "oauth.sqlite3").st_mode & 0o077 == 0


def test_the_oauth_key_is_created_private_and_refused_when_others_can_read_it(tmp_path):
    key = load_oauth_key({}, tmp_path)
    assert (tmp_path / "oauth.key").stat().st_mode & 0o777 == 0o600 and len(key) >= 32
    assert load_oauth_key({}, tmp_path) == key  # the same key on the next start
    (tmp_path / "oauth.key").chmod(0o644)
    with pytest.raises(ConfigError, match=r"OAuth key file .* chmod 600"):
        load_oauth_key({}, tmp_path)
    with pytest.raises(ConfigError, match="ODOO_MCP_OAUTH_KEY: must be at least 32"):
        load_oauth_key({"ODOO_MCP_OAUTH_KEY": "short"}, tmp_path)
    assert load_oauth_key({"ODOO_MCP_OAUTH_KEY": "e" * 40}, None) == b"e" * 40
