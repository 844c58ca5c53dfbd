"""Connections opened with `odoo_connect` belong to the grant that opened them: over streamable HTTP,
two grants, one server process, the Odoo double.

The attack this closes: bob used alice's alias (and wrote as alice's admin), listed her aliases and
logins, replaced or closed them, and — with no operator connection — alice's first alias became
bob's default. Operator connections (environment, connections file) are shared and read-only.
"""

from __future__ import annotations

import pytest

from odoo_client.errors import NoConnection, OdooRequestError
from odoo_client.pool import OdooPool
from odoo_client.settings import OdooSettings
from tests.odoo_double import ADMIN, DEMO, OdooDouble
from tests.two_grants import client_for, ok, text, two_grants_served

pytestmark = pytest.mark.anyio


@pytest.fixture
def served(tmp_path):
    with two_grants_served(tmp_path) as (url, double):
        yield url, double


async def test_a_grant_never_reaches_another_grants_runtime_connections(served):
    url, double = served
    admin = {"alias": "main", "url": double.url, "db": double.db, "username": ADMIN["login"],
             "password": ADMIN["password"]}
    count = {"model": "res.partner", "domain": []}
    async with client_for(url, "alice") as alice, client_for(url, "bob") as bob:
        ok(await alice.call_tool("odoo_connect", admin))
        assert ok(await alice.call_tool("odoo_search_count", count)) == 4  # her first alias: her default
        acting = ok(await alice.call_tool("who_am_i", {}))["acting_as"]  # what her unnamed calls run as
        assert (acting["alias"], acting["username"], acting["source"]) == ("main", "admin", "odoo_connect")
        assert ok(await bob.call_tool("who_am_i", {}))["acting_as"] is None

        listed = text(await bob.call_tool("odoo_connections", {}))
        assert '"main"' not in listed and '"admin"' not in listed, listed
        borrowed = await bob.call_tool("odoo_create", {"connection": "main", "model": "res.partner.category",
                                                         "values": {"name": "bob was here"}})
        assert borrowed.is_error and text(borrowed).startswith("[NOT CONFIGURED]"), text(borrowed)
        defaulted = await bob.call_tool("odoo_search_count", count)
        assert defaulted.is_error and text(defaulted).startswith("[NOT CONFIGURED]"), text(defaulted)
        closed = await bob.call_tool("odoo_disconnect", {"alias": "main"})
        assert closed.is_error and text(closed).startswith("[NOT CONFIGURED]"), text(closed)

        # bob's own "main" (demo's login) is his alone: it replaces nothing of alice's
        ok(await bob.call_tool("odoo_connect", {**admin, "username": DEMO["login"], "password": DEMO["password"]}))
        [mine] = ok(await bob.call_tool("odoo_connections", {}))["connections"]
        assert (mine["alias"], mine["username"], mine["default"]) == ("main", "demo", True)
        [hers] = ok(await alice.call_tool("odoo_connections", {}))["connections"]
        assert (hers["alias"], hers["username"], hers["logged_in"]) == ("main", "admin", True)
        denied = await bob.call_tool("odoo_create", {"model": "res.partner.category", "values": {"name": "x"}})
        assert text(denied).startswith("[ODOO ERROR] AccessError"), text(denied)  # demo's rights, never admin's
        assert ok(await bob.call_tool("who_am_i", {}))["acting_as"]["username"] == "demo"
        assert ok(await alice.call_tool("odoo_create", {"model": "res.partner.category", "values": {"name": "a"}}))

        ok(await bob.call_tool("odoo_disconnect", {"alias": "main"}))
        assert ok(await alice.call_tool("odoo_search_count", {**count, "connection": "main"})) == 4


def operator_pool(double: OdooDouble) -> OdooPool:
    return OdooPool(OdooSettings.from_env({
        "ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"],
        "ODOO_PASSWORD": ADMIN["password"], "ALLOWED_ODOO_URLS": double.url,
    }))


def test_operator_connections_are_shared_and_read_only():
    with OdooDouble() as double:
        pool = operator_pool(double)
        shared = pool.get(owner="alice")
        assert pool.get(owner="bob") is shared and pool.get() is shared
        assert pool.connect("default", owner="bob") is shared  # reopened as configured: not replaced
        with pytest.raises(OdooRequestError, match="shared by every grant"):
            pool.disconnect("default", owner="bob")
        pool.connect("own", owner="bob", url=double.url, db=double.db, username=DEMO["login"],
                     password=DEMO["password"])
        assert pool.get(owner="bob").alias == "default"  # the operator's default stays every grant's default
        assert [row["alias"] for row in pool.describe(owner="alice")] == ["default"]
        assert [row["alias"] for row in pool.describe(owner="bob")] == ["default", "own"]
        with pytest.raises(NoConnection, match="no Odoo connection named 'own'"):
            pool.get("own", owner="alice")
        with pytest.raises(NoConnection, match="no Odoo connection named 'own'"):
            pool.get("own")  # no owner: operator connections only
        pool.close()
