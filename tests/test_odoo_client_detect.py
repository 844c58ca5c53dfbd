"""odoo_client/detect.py: which Odoo is on the other end, and the protocol picked for it.

Per Odoo version (one double each, 16.0 to 19.0): a key-only configuration (the README's examples:
URL, database, user, API key, no ODOO_PROTOCOL) works on every version: JSON-2 on 19.0, JSON-RPC
with the key as the password before; a connections file and `odoo_connect` pick the same way; an
explicit ODOO_PROTOCOL wins, and one that cannot work with that Odoo says which setting to change
(moved from tests/test_odoo_versions.py). Against scripted servers: an Odoo without the legacy
`/jsonrpc` is asked on JSON-2's `/web/version`; a server that is not Odoo is said so in one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from odoo_client.detect import choose, major_of, server_version
from odoo_client.errors import ConfigError, OdooUnreachable
from odoo_client.pool import OdooPool
from odoo_client.settings import ConnectionConfig, OdooSettings
from tests.loopback import answering
from tests.odoo_configs import VERSIONS, key_only, major, versioned
from tests.odoo_double import ADMIN, OdooDouble


@pytest.fixture(scope="module", params=VERSIONS)
def double(request) -> Iterator[OdooDouble]:
    with versioned(request.param) as running:
        yield running


def config(url: str, protocol: str = "auto", api_key: str | None = None) -> ConnectionConfig:
    return ConnectionConfig(alias="t", url=url, db="odoo", username="admin", password="pw", api_key=api_key,
                            protocol=protocol, timeout=5)


def test_a_key_only_configuration_works_on_every_version(double):
    connection = OdooPool(OdooSettings.from_env(key_only(double))).get()
    try:
        assert connection.execute("res.partner", "search_count", [[]]) == 4
        assert connection.protocol == ("json2" if major(double) >= 19 else "jsonrpc")
        assert connection.major_version() == major(double)
    finally:
        connection.close()


def test_connections_file_and_odoo_connect_pick_the_same_way(double, tmp_path):
    """A file connection without `protocol` detects it; with json2 on an older Odoo, the refusal names its key."""
    file = tmp_path / "connections.json"
    file.write_text(json.dumps([
        {"alias": "auto", "url": double.url, "db": double.db, "username": ADMIN["login"], "api_key": ADMIN["api_key"]},
        {"alias": "forced", "url": double.url, "db": double.db, "username": ADMIN["login"],
         "api_key": ADMIN["api_key"], "protocol": "json2"}]))
    pool = OdooPool(OdooSettings.from_env({"CONNECTIONS_FILE": str(file)}))
    try:
        assert pool.get("auto").execute("res.partner", "search_count", [[]]) == 4
        assert pool.get("auto").protocol == ("json2" if major(double) >= 19 else "jsonrpc")
        added = pool.connect("added", owner="local", url=double.url, db=double.db, username=ADMIN["login"],
                             api_key=ADMIN["api_key"])
        assert added.execute("res.partner", "search_count", [[]]) == 4 and added.protocol == pool.get("auto").protocol
        if major(double) < 19:
            with pytest.raises(ConfigError, match=r"^protocol of connection 'forced' in CONNECTIONS_FILE is json2, "
                                                  r"which Odoo 1[678]\.0 does not have"):
                pool.get("forced").execute("res.partner", "search_count", [[]])
    finally:
        pool.close()


def test_an_explicit_protocol_wins_and_json2_before_19_names_the_setting(double):
    connection = OdooPool(OdooSettings.from_env(key_only(double, ODOO_PROTOCOL="json2"))).get()
    try:
        if major(double) >= 19:
            assert connection.execute("res.partner", "search_count", [[]]) == 4
            return
        with pytest.raises(ConfigError) as refused:
            connection.execute("res.partner", "search_count", [[]])
        message = str(refused.value)
        assert "\n" not in message
        assert message.startswith(f"ODOO_PROTOCOL is json2, which Odoo {double.database.version} does not have")
        assert "set ODOO_PROTOCOL to jsonrpc" in message
    finally:
        connection.close()
    xmlrpc = OdooPool(OdooSettings.from_env(key_only(double, ODOO_PROTOCOL="xmlrpc"))).get()
    try:
        assert xmlrpc.protocol == "xmlrpc" and xmlrpc.execute("res.partner", "search_count", [[]]) == 4
    finally:
        xmlrpc.close()


def test_an_odoo_without_the_legacy_json_rpc_is_asked_its_version_on_json_2s_route():
    version = {"version": "20.0", "version_info": [20, 0, 0, "final", 0, ""]}
    routes = {("GET", "/web/version"): (200, {"Content-Type": "application/json"}, json.dumps(version).encode())}
    with answering(routes) as (url, hits):
        info = server_version(config(url))
    assert info == {"server_version": "20.0", "server_version_info": [20, 0, 0, "final", 0, ""]}
    assert hits == ["POST /jsonrpc", "GET /web/version"]
    assert choose(config(url, api_key="k"), info) == "json2"


HTML = {"Content-Type": "text/html"}


@pytest.mark.parametrize(("routes", "status"), [
    ({("POST", "/jsonrpc"): (200, HTML, b"<html>Welcome to nginx</html>")}, 200),
    ({("POST", "/jsonrpc"): (200, {}, b'{"jsonrpc": "2.0", "id": 1, "result": {"version": 1}}')}, 200),
    ({("POST", "/jsonrpc"): (500, HTML, b"<h1>Internal Server Error</h1>")}, 500),
    ({("GET", "/web/version"): (200, HTML, b"<html>a shop</html>")}, 404),  # no /jsonrpc, no JSON-2 either
    ({}, 404),
])
def test_a_server_that_is_not_odoo_is_said_so_in_one_line(routes, status):
    with answering(routes) as (url, _hits), pytest.raises(OdooUnreachable) as refused:
        server_version(config(url))
    assert str(refused.value) == f"t ({url}): answered HTTP {status} to common.version on /jsonrpc: not an Odoo?"


@pytest.mark.parametrize(("info", "expected"), [
    ({"server_version_info": [17, 0, 0, "final", 0, ""], "server_version": "17.0"}, 17),
    ({"server_version": "saas~17.2"}, 17),  # Odoo Online's versions
    ({"server_version": "18.0+e"}, 18),  # Enterprise
    ({"server_version_info": ["x"], "server_version": "16.0"}, 16),
    ({}, 0),
])
def test_the_major_version_is_read_from_whichever_field_says_it(info, expected):
    assert major_of(info) == expected


@pytest.mark.parametrize(("protocol", "api_key", "major_version", "chosen"), [
    ("auto", "k", 19, "json2"),
    ("auto", None, 19, "jsonrpc"),  # JSON-2 takes only an API key: with a password, JSON-RPC
    ("auto", "k", 18, "jsonrpc"),
    ("xmlrpc", "k", 19, "xmlrpc"),  # an explicit setting wins
    ("jsonrpc", "k", 19, "jsonrpc"),
    ("json2", "k", 19, "json2"),
])
def test_the_protocol_follows_the_version_and_the_secret_unless_one_is_set(protocol, api_key, major_version, chosen):
    settings = config("http://odoo.test", protocol=protocol, api_key=api_key)
    assert choose(settings, {"server_version_info": [major_version, 0]}) == chosen
