"""The operator's Odoo connections stay as configured (JSON-RPC's redirects: tests/test_odoo_client_jsonrpc.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from odoo_client.errors import OdooRequestError
from odoo_client.pool import OdooPool
from odoo_client.settings import OdooSettings
from tests.harness import guarded_server
from tests.odoo_double import ADMIN, DEMO, OdooDouble


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble() as running:
        yield running


def pool_for(double: OdooDouble) -> OdooPool:
    return OdooPool(OdooSettings.from_env({
        "ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"],
        "ODOO_PASSWORD": ADMIN["password"], "ALLOWED_ODOO_URLS": "https://other.example",
    }))


@pytest.mark.parametrize("change", [
    {"verify_ssl": False},
    {"username": DEMO["login"]},
    {"db": "other"},
    {"protocol": "xmlrpc"},
    {"url": "https://other.example"},
    {"url": "https://other.example", "db": "x", "username": "u", "password": "p"},
])
def test_an_operator_alias_is_reopened_only_as_configured(double, change):
    pool = pool_for(double)
    with pytest.raises(OdooRequestError, match="configured by the operator"):
        pool.connect("default", owner="local", **change)
    [row] = pool.describe()
    assert (row["username"], row["db"], row["url"]) == (ADMIN["login"], double.db, double.url)
    assert pool.connect("default", owner="local").config.verify_ssl is True  # alias only: reopened as configured


def test_a_new_alias_on_another_server_inherits_nothing_and_says_what_is_missing(double):
    pool = OdooPool(OdooSettings.from_env({"ALLOWED_ODOO_URLS": "https://other.example"}))
    with pytest.raises(OdooRequestError, match=r"missing: db, username, password or api_key"):
        pool.connect("default", owner="local", url="https://other.example")


@pytest.mark.anyio
async def test_odoo_connect_on_the_operators_alias_is_refused_over_the_wire(double, tmp_path):
    env = {"ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"],
           "ODOO_PASSWORD": ADMIN["password"], "ALLOWED_ODOO_URLS": "https://other.example"}
    async with guarded_server({"version": "1", "default": "allow"}, tmp_path=tmp_path, env=env) as server:
        tls_off = await server.call("odoo_connect", {"alias": "default", "verify_ssl": False})
        other = await server.call("odoo_connect", {"alias": "default", "url": "https://other.example"})
        still = await server.call("odoo_connections")
    assert tls_off.text.startswith("[TOOL ERROR] connection 'default' is configured by the operator")
    assert "verify_ssl cannot be changed" in tls_off.text
    assert other.tag == "TOOL ERROR" and "url cannot be changed" in other.text
    [row] = still.data["connections"]
    assert row["url"] == double.url
