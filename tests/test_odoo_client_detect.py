"""odoo_client/detect.py: which Odoo is on the other end, and the protocol picked for it.

Per Odoo version (one double each, 16.0 to 19.0): a key-only configuration (the README's examples:
URL, database, user, API key, no ODOO_PROTOCOL) works on every version: JSON-2 on 19.0, JSON-RPC
with the key as the password before; a connections file and `odoo_connect` pick the same way; an
explicit ODOO_PROTOCOL wins, and one that cannot work with that Odoo says which setting to change.
Moved from tests/test_odoo_versions.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from odoo_client.errors import ConfigError
from odoo_client.pool import OdooPool
from odoo_client.settings import OdooSettings
from tests.odoo_configs import VERSIONS, key_only, major, versioned
from tests.odoo_double import ADMIN, OdooDouble


@pytest.fixture(scope="module", params=VERSIONS)
def double(request) -> Iterator[OdooDouble]:
    with versioned(request.param) as running:
        yield running


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
