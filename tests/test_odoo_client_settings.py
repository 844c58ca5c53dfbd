"""odoo_client/settings.py: connection settings from the environment and the read-only connections file;
bad settings fail closed naming the variable. Moved from tests/test_odoo_client.py."""

from __future__ import annotations

import json
import ssl

import pytest

from odoo_client.errors import ConfigError
from odoo_client.settings import OdooSettings
from odoo_client.transport import ssl_context


def test_settings_from_env_and_read_only_connections_file(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    file = tmp_path / "connections.json"
    file.write_text(json.dumps({"connections": [
        {"alias": "prod", "url": "https://ODOO.example.com:443/", "db": "prod", "username": "bot",
         "api_key_env": "PROD_KEY", "ca_bundle": "ca.pem"},
        {"alias": "lab", "url": "http://lab:8069", "db": "lab", "username": "admin", "password": "pw",
         "protocol": "xmlrpc", "verify_ssl": False},
    ]}))
    before = file.read_text()
    settings = OdooSettings.from_env({"ODOO_URL": "http://localhost:8069", "ODOO_DB": "d", "ODOO_USER": "u",
                                      "ODOO_API_KEY": "k", "CONNECTIONS_FILE": str(file), "PROD_KEY": "secret",
                                      "ALLOWED_ODOO_URLS": "https://staging.example.com"})
    assert list(settings.connections) == ["default", "prod", "lab"]
    assert settings.connections["default"].protocol == "auto"  # picked at connect from the server's version
    prod = settings.connections["prod"]
    assert (prod.url, prod.api_key, prod.ca_bundle) == ("https://odoo.example.com", "secret", ca)
    assert "secret" not in repr(prod) and "secret" not in json.dumps(prod.describe())
    assert settings.url_allowed("https://staging.example.com/") and not settings.url_allowed("http://evil:80")
    assert file.read_text() == before
    assert ssl_context(settings.connections["lab"]).verify_mode == ssl.CERT_NONE


@pytest.mark.parametrize("env, problem", [
    ({"ODOO_URL": "ftp://x", "ODOO_DB": "d", "ODOO_USERNAME": "u", "ODOO_PASSWORD": "p"}, "ODOO_URL: 'ftp://x' is not"),
    ({"ODOO_URL": "http://x", "ODOO_DB": "d", "ODOO_USERNAME": "u"}, "ODOO_PASSWORD or ODOO_API_KEY is not"),
    ({"ODOO_URL": "http://x"}, "ODOO_URL is set but ODOO_DB, ODOO_USERNAME and ODOO_PASSWORD or ODOO_API_KEY are not"),
    ({"ODOO_URL": "http://x", "ODOO_USER": "u", "ODOO_API_KEY": "k"}, "ODOO_URL is set but ODOO_DB is not"),
    ({"ODOO_DB": "d", "ODOO_API_KEY": "k"}, "ODOO_DB, ODOO_API_KEY are set but ODOO_URL is not"),
    ({"ODOO_URL": "http://x", "ODOO_DB": "d", "ODOO_USER": "u", "ODOO_PASSWORD": "p", "ODOO_CA_BUNDLE": "/nowhere"},
     "ODOO_CA_BUNDLE"),
    ({"ODOO_URL": "http://x", "ODOO_DB": "d", "ODOO_USERNAME": "u", "ODOO_PASSWORD": "p", "ODOO_PROTOCOL": "json2"},
     "ODOO_PROTOCOL is json2, which authenticates with an API key: set ODOO_API_KEY"),
    ({"ODOO_URL": "http://x", "ODOO_DB": "d", "ODOO_USERNAME": "u", "ODOO_PASSWORD": "p", "ODOO_PROTOCOL": "soap"},
     "ODOO_PROTOCOL: protocol 'soap' is not one of jsonrpc, xmlrpc, json2, auto"),
    ({"ODOO_URL": "http://x", "ODOO_DB": "d", "ODOO_USERNAME": "u", "ODOO_PASSWORD": "p", "ODOO_VERIFY_SSL": "maybe"},
     "boolean"),
    ({"ODOO_TIMEOUT": "soon"}, "ODOO_TIMEOUT"),
])
def test_bad_settings_fail_closed(env, problem):
    with pytest.raises(ConfigError, match=problem):
        OdooSettings.from_env(env)
