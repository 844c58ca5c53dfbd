"""Per-grant identities over streamable HTTP: two grants, one server process, the Odoo double.

What upstream got wrong is what is tried here: a grant claiming another's profile name gets its
own empty profile (never the other's credentials), `..` and path-like names are refused, who_am_i
and every answer carry no secret, the active connection serves only its own grant, secrets rest
in a 0600 file under the state directory that the audit log never repeats.
"""

from __future__ import annotations

import json
import stat

import pytest
from mcp import Client

from tests.odoo_double import ADMIN, DEMO, OdooDouble
from tests.sensitive_cases import call, in_process
from tests.two_grants import client_for, ok, text, two_grants_served

pytestmark = pytest.mark.anyio
SECRETS = (ADMIN["api_key"], ADMIN["password"], DEMO["api_key"], DEMO["password"])


@pytest.fixture
def served(tmp_path):
    with two_grants_served(tmp_path) as (url, double):
        yield url, double, tmp_path


async def test_two_grants_each_act_only_as_their_own_connections(served):
    url, double, tmp = served
    seen: list[str] = []

    async def tool(client: Client, name: str, arguments: dict):
        result = await client.call_tool(name, arguments)
        seen.append(text(result))
        return result

    admin = {"alias": "main", "url": double.url, "db": double.db, "user": ADMIN["login"], "api_key": ADMIN["api_key"]}
    async with client_for(url, "alice") as alice, client_for(url, "bob") as bob:
        assert ok(await tool(alice, "identify", {"name": "accounting"}))["status"] == "new_profile"
        ok(await tool(alice, "user_connection_add", admin))
        assert ok(await tool(alice, "user_connection_activate", {"alias": "main"}))["active"] == "main"
        me = ok(await tool(alice, "who_am_i", {}))
        assert (me["grant"], me["profile"], me["acting_as"]["username"]) == ("alice", "accounting", "admin")
        assert ok(await tool(alice, "odoo_search_count", {"model": "res.partner", "domain": []})) == 4
        echoed = {"model": "res.partner", "domain": [["name", "=", ADMIN["api_key"]]]}  # a stored key, echoed
        assert ok(await tool(alice, "odoo_search_count", echoed)) == 0  # audited masked (checked below)

        claimed = ok(await tool(bob, "identify", {"name": "accounting"}))  # alice's profile name
        assert (claimed["status"], claimed["grant"], claimed["connections"]) == ("new_profile", "bob", [])
        stolen = await tool(bob, "user_connection_activate", {"alias": "main"})
        assert stolen.is_error and "no connection 'main'" in text(stolen)
        assert ok(await tool(bob, "who_am_i", {}))["acting_as"] is None
        unconfigured = await tool(bob, "odoo_search_count", {"model": "res.partner", "domain": []})
        assert unconfigured.is_error and text(unconfigured).startswith("[NOT CONFIGURED]")  # never alice's login

        ok(await tool(bob, "user_connection_add", {**admin, "user": DEMO["login"], "api_key": DEMO["api_key"]}))
        ok(await tool(bob, "user_connection_activate", {"alias": "main"}))
        assert ok(await tool(bob, "who_am_i", {}))["acting_as"]["username"] == "demo"
        assert ok(await tool(alice, "who_am_i", {}))["acting_as"]["username"] == "admin"

        wrong_key = await tool(bob, "user_connection_add", {**admin, "alias": "bad", "api_key": "nope"})
        assert not wrong_key.is_error
        refused_login = await tool(bob, "user_connection_activate", {"alias": "bad"})
        assert refused_login.is_error and ok(await tool(bob, "who_am_i", {}))["acting_as"]["username"] == "demo"

        for name, arguments in (("identify", {"name": ".."}), ("identify", {"name": "../alice"}),
                                ("user_connection_add", {**admin, "alias": ".."}),
                                ("user_connection_add", {**admin, "alias": "a/b"}),
                                ("user_connection_add", {**admin, "ssh_host": "evil"})):
            refused = await tool(bob, name, arguments)
            assert refused.is_error and text(refused).startswith("[INVALID ARGUMENTS]"), text(refused)
        elsewhere = await tool(bob, "user_connection_add", {**admin, "alias": "x", "url": "http://127.0.0.2:1"})
        assert elsewhere.is_error and "ALLOWED_ODOO_URLS" in text(elsewhere)

        assert ok(await tool(alice, "user_connection_delete", {"alias": "main"}))["active"] is None
        assert ok(await tool(alice, "who_am_i", {}))["acting_as"] is None
        gone = await tool(alice, "odoo_search_count", {"model": "res.partner", "domain": []})
        assert gone.is_error and text(gone).startswith("[NOT CONFIGURED]")  # the deleted login is not kept live
        assert ok(await tool(bob, "who_am_i", {}))["acting_as"]["username"] == "demo"  # bob's own is untouched

    stored = sorted((tmp / "state" / "identities").iterdir())
    assert len(stored) == 2 and all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in stored)
    assert DEMO["api_key"] in "".join(path.read_text() for path in stored)  # at rest for bob, nowhere else
    audit = (tmp / "audit.jsonl").read_text()
    for secret in SECRETS:
        assert all(secret not in answer for answer in seen), secret
        assert secret not in audit, secret


async def test_stdio_has_one_grant_whose_profiles_survive_a_restart(tmp_path, state_dir):
    with OdooDouble(partners=3) as double:
        add = {"alias": "mine", "url": double.url, "db": double.db, "user": DEMO["login"],
               "password": DEMO["password"], "protocol": "xmlrpc"}
        async with in_process({"version": "1", "default": "allow"}, double, "jsonrpc", tmp_path / "f",
                              ODOO_MCP_STATE_DIR=str(state_dir)) as guard:
            assert json.loads((await call(guard, "who_am_i", {})).text)["acting_as"]["source"] == "server default"
            assert not (await call(guard, "user_connection_add", add)).is_error
            assert not (await call(guard, "user_connection_activate", {"alias": "mine"})).is_error
        async with in_process({"version": "1", "default": "allow"}, double, "jsonrpc", tmp_path / "f",
                              ODOO_MCP_STATE_DIR=str(state_dir)) as guard:
            me = json.loads((await call(guard, "who_am_i", {})).text)
            assert (me["grant"], me["acting_as"]["username"], me["acting_as"]["protocol"]) == ("local", "demo",
                                                                                            "xmlrpc")
            denied = await call(guard, "odoo_create", {"model": "res.partner.category", "values": {"name": "x"}})
            assert denied.text.startswith("[ODOO ERROR] AccessError")  # demo's rights, not the default's admin
