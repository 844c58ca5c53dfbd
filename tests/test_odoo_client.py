"""The client side alone, against the double: domains, settings, re-login once, timeouts, TLS settings."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator

import pytest

from odoo_client.domain import DomainError, check_domain
from odoo_client.errors import ConfigError, OdooFault, OdooUnreachable
from odoo_client.json2 import named_body
from odoo_client.pool import OdooPool
from odoo_client.settings import OdooSettings
from odoo_client.transport import ssl_context
from tests.odoo_double import ADMIN, OdooDouble

PROTOCOLS = ["jsonrpc", "xmlrpc", "json2"]


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble(partners=10) as running:
        yield running


def env_for(double: OdooDouble, protocol: str, **extra: str) -> dict[str, str]:
    secret = {"ODOO_API_KEY": ADMIN["api_key"]} if protocol == "json2" else {"ODOO_PASSWORD": ADMIN["password"]}
    return {"ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USER": ADMIN["login"], "ODOO_PROTOCOL": protocol,
            **secret, **extra}


def with_password(double: OdooDouble, protocol: str) -> dict[str, str]:
    """Reports need a web session, which Odoo opens with a password (JSON-2 also takes the key for RPC)."""
    return env_for(double, protocol, ODOO_PASSWORD=ADMIN["password"])


@pytest.mark.parametrize("domain", [
    [], [["name", "=", "x"]], ["|", ["a", "=", 1], ["b", "!=", False]], ["!", ["a", "in", [1, 2]]],
    [["a", "=", 1], ["b", "=", 2]], ["&", "|", ["a", "=", 1], ["b", "=", 2], ["c", "ilike", "x"]],
    [["parent_id.name", "not ilike", "x"]], [["line_ids", "any", [["qty", ">", 1]]]],
])
def test_well_formed_domains_pass(domain):
    assert check_domain(domain) == domain


@pytest.mark.parametrize("domain, problem", [
    ("name = x", "list of terms"), ([["a", "="]], "3 items"), ([["a", "~", 1]], "unknown operator"),
    (["|", ["a", "=", 1]], "more term"), (["&"], "more term"), (["x"], "not '&'"),
    ([["a;drop", "=", 1]], "field name"), ([["a", "in", 3]], "list value"), ([["a", "=", {"$ne": 1}]], "value"),
])
def test_malformed_domains_say_what_is_wrong(domain, problem):
    with pytest.raises(DomainError, match=problem):
        check_domain(domain)


def test_json2_names_positional_arguments():
    assert named_body("read", [[1, 2], ["name"]], {}) == {"ids": [1, 2], "fields": ["name"]}
    assert named_body("search_read", [[["a", "=", 1]]], {"limit": 3}) == {"domain": [["a", "=", 1]], "limit": 3}
    assert named_body("action_confirm", [[7]], {}) == {"ids": [7]}
    with pytest.raises(Exception, match="by name"):
        named_body("frobnicate", ["x", 2], {})


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


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_dropped_session_logs_in_again_once(protocol, double):
    connection = OdooPool(OdooSettings.from_env(env_for(double, protocol))).get()
    assert connection.execute("res.partner", "search_count", [[]]) == 11
    assert connection.logins == 1
    double.behaviour.expire_calls = 1
    assert connection.execute("res.partner", "search_count", [[]]) == 11
    assert connection.logins == 2
    double.behaviour.expire_calls = 2
    with pytest.raises(OdooFault, match="SessionExpired"):
        connection.execute("res.partner", "search_count", [[]])
    connection.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_report_session_is_reopened_once_after_the_server_forgets_it(protocol, double):
    connection = OdooPool(OdooSettings.from_env(with_password(double, protocol))).get()
    assert connection.report_pdf("contacts.report_partner_card", [1]).startswith(b"%PDF")
    double.drop_sessions()
    assert connection.report_pdf("contacts.report_partner_card", [1]).startswith(b"%PDF")
    connection.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_slow_server_times_out_with_a_clear_error(protocol, double):
    connection = OdooPool(OdooSettings.from_env(env_for(double, protocol, ODOO_TIMEOUT="0.3"))).get()
    connection.uid()
    double.behaviour.delay = 1.0
    with pytest.raises(OdooUnreachable, match=r"no answer within 0\.3 s"):
        connection.execute("res.partner", "search_count", [[]])
    double.behaviour.delay = 0.0


def test_read_group_before_odoo_19_uses_read_group():
    with OdooDouble(partners=10, version="17.0") as double:
        connection = OdooPool(OdooSettings.from_env(env_for(double, "xmlrpc"))).get()
        assert connection.major_version() == 17
        groups = connection.execute("res.partner", "read_group", [[], ["employee:sum"], ["city"]], {"lazy": False})
        assert sum(group["__count"] for group in groups) == 11
