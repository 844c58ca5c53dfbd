"""OAuth end to end: the MCP SDK's own OAuth client against the real server, a person signing in to the Odoo double.

Discovery (401 → protected-resource metadata → authorization-server metadata), registration,
sign-in with an Odoo login, code + PKCE, token, tools/call running as that Odoo user, refresh
(rotated), revocation — then static tokens beside it.
"""

from __future__ import annotations

import json

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.oauth_helpers import SigningIn, oauth_client, start_oauth_server, stop
from tests.odoo_double.seed import ADMIN

pytestmark = pytest.mark.anyio
WRITE_RIGHTS = {"model": "ir.model", "method": "check_access", "args": [[], "write"]}  # 18.0+ (the double is 19.0)


@pytest.fixture
def server(tmp_path, state_dir):
    running = start_oauth_server(tmp_path, state_dir, tokens={"ci": "ci-token"})
    yield running
    assert stop(running) == b""  # nothing on stdout, ever


def connect(url: str, auth) -> Client:
    return Client(streamable_http_client(url, http_client=httpx2.AsyncClient(auth=auth, timeout=30)))


async def test_people_sign_in_with_the_sdk_client_and_call_as_their_own_odoo_user_under_their_policy(server):
    person = SigningIn(server.base)
    auth, storage = oauth_client(server, person)
    async with connect(server.url, auth) as client:
        status = json.loads((await client.call_tool("policy_status", {})).content[0].text)
        assert status["grant"] == "demo@default"
        who = await client.call_tool("odoo_execute", {"model": "res.users", "method": "context_get"})
        assert json.loads(who.content[0].text)["uid"] == 6  # Marc Demo, not the operator's admin
        refused = await client.call_tool("odoo_execute", WRITE_RIGHTS)
        assert refused.is_error and refused.content[0].text.startswith("[ODOO ERROR] AccessError")  # Odoo's rights
        other = await client.call_tool("odoo_search_read", {"model": "res.partner", "domain": [],
                                                            "connection": "elsewhere"})
        assert other.is_error and "not available to demo@default" in other.content[0].text
    assert "the suite&#x27;s client" in person.pages[0].text  # the page says who asks (escaped)
    issued = storage.tokens
    assert issued is not None and issued.refresh_token and issued.scope == "odoo"
    secret_seen = [line for line in server.audit.read_text().splitlines() if "demo-secret-pw" in line]
    assert secret_seen == []  # never logged
    signed = server.records("oauth_signed_in")
    assert [(r["grant"], r["login"], r["scopes"]) for r in signed] == [("demo@default", "demo", ["odoo"])]

    # refresh, by the SDK client itself once its access token has expired: both tokens rotated
    auth.context.token_expiry_time = 1.0  # as if the 15 minutes had passed (the client's own clock)
    async with connect(server.url, auth) as client:
        assert json.loads((await client.call_tool("policy_status", {})).content[0].text)["grant"] == "demo@default"
    rotated = storage.tokens
    assert rotated.refresh_token != issued.refresh_token and rotated.access_token != issued.access_token
    assert len(server.records("oauth_signed_in")) == 1  # refreshed without signing in again

    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    mcp_headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
    secret = {"client_id": storage.client.client_id, "client_secret": storage.client.client_secret}
    async with httpx2.AsyncClient(base_url=server.base) as raw:
        old = await raw.post("/mcp", json=call,
                             headers={**mcp_headers, "Authorization": f"Bearer {issued.access_token}"})
        assert old.status_code == 401  # the refresh replaced the family's access token
        assert 'resource_metadata="' + server.base + '/.well-known/oauth-protected-resource/mcp"' in (
            old.headers["www-authenticate"])
        # a rotated refresh token presented again: refused, and its whole family revoked (it may have been stolen)
        replayed = await raw.post("/token", data={"grant_type": "refresh_token", "refresh_token": issued.refresh_token,
                                                  **secret})
        assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"
        after = await raw.post("/mcp", json=call, headers={**mcp_headers,
                                                            "Authorization": f"Bearer {rotated.access_token}"})
        assert after.status_code == 401 and 'error="invalid_token"' in after.headers["www-authenticate"]
    assert server.records("oauth_reuse_detected")[0]["reason"].startswith("rotated refresh token used twice")
    assert [r["reason"] for r in server.records("oauth_token_refused")] == ["revoked", "revoked"]

    # another person, of an Odoo group the OAuth file names: that group's policy (one server, one start)
    person = SigningIn(server.base, login=ADMIN["login"], secret=ADMIN["api_key"])  # an API key signs in too
    auth, admin_storage = oauth_client(server, person)
    async with connect(server.url, auth) as client:
        status = json.loads((await client.call_tool("policy_status", {})).content[0].text)
        assert status["grant"] == "admin@default"
        allowed_tools = {entry["tool"] for entry in status["allowed"]}
        assert allowed_tools == {"policy_status", "odoo_execute"}  # admins.json, not the default policy
        allowed = await client.call_tool("odoo_execute", WRITE_RIGHTS)
        assert not allowed.is_error, allowed.content[0].text  # Odoo's own rights: the admin may (no AccessError)
    # revocation (RFC 7009): the access token stops working at once, and its refresh token with it
    admin = {"client_id": admin_storage.client.client_id, "client_secret": admin_storage.client.client_secret}
    async with httpx2.AsyncClient(base_url=server.base) as raw:
        revoked = await raw.post("/revoke", data={"token": admin_storage.tokens.access_token, **admin})
        assert revoked.status_code == 200
        gone = await raw.post("/mcp", json=call, headers={
            **mcp_headers, "Authorization": f"Bearer {admin_storage.tokens.access_token}"})
        assert gone.status_code == 401
        again = await raw.post("/token", data={"grant_type": "refresh_token",
                                               "refresh_token": admin_storage.tokens.refresh_token, **admin})
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert server.records("oauth_token_revoked")[0]["grant"] == "admin@default"

    # static tokens keep working beside OAuth
    static = Client(streamable_http_client(server.url, http_client=httpx2.AsyncClient(
        headers={"Authorization": "Bearer ci-token"}, timeout=30)))
    async with static as ci:
        assert json.loads((await ci.call_tool("policy_status", {})).content[0].text)["grant"] == "ci"
