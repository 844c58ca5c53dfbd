"""OAuth under attack, in process (the OAuth routes and the bearer gate over ASGI, Odoo the double on loopback).

Each hostile input is refused with the OAuth error RFC 6749 / 7591 / 6750 / 8707 name, and audited.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from odoo_mcp.oauth.store import Person
from tests.oauth_helpers import REDIRECT, form_fields, in_process, pkce, serving_in_process
from tests.odoo_double.seed import ADMIN, DEMO

pytestmark = pytest.mark.anyio


@pytest.fixture
async def server(tmp_path):
    async with serving_in_process(tmp_path) as running:
        yield running


def refusals(server, endpoint: str) -> list[tuple[str, str]]:
    return [(r["error"], r.get("reason") or "") for r in server.records("oauth_refused") if r["endpoint"] == endpoint]


async def test_a_redirect_uri_that_was_not_registered_gets_no_code(server):
    client = await server.register()
    _, challenge = pkce()
    answer = await server.authorize(client["client_id"], challenge, redirect_uri="https://evil.example/cb")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"  # never redirected there
    assert refusals(server, "/authorize")[0][0] == "invalid_request"
    remote_http = await server.web.post("/register", json={"redirect_uris": ["http://evil.example/cb"]})
    assert remote_http.status_code == 400 and remote_http.json()["error"] == "invalid_redirect_uri"
    assert refusals(server, "/register")[0][0] == "invalid_redirect_uri"


async def test_pkce_is_required_and_checked(server):
    client = await server.register()
    plain = await server.authorize(client["client_id"], "x" * 43, code_challenge_method="plain")
    assert "error=invalid_request" in plain.headers["location"]  # S256 only
    missing = await server.authorize(client["client_id"], None)
    assert "error=invalid_request" in missing.headers["location"]
    verifier, challenge = pkce()
    code = await server.code_for(client["client_id"], challenge)
    no_verifier = await server.exchange(client["client_id"], code, None)
    assert no_verifier.status_code == 400 and no_verifier.json()["error"] == "invalid_request"
    wrong = await server.exchange(client["client_id"], code, pkce()[0])
    assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_grant",
                                                         "error_description": "incorrect code_verifier"}
    assert (await server.exchange(client["client_id"], code, verifier)).status_code == 200
    errors = [error for error, _ in refusals(server, "/authorize") + refusals(server, "/token")]
    assert errors == ["invalid_request", "invalid_request", "invalid_request", "invalid_grant"]


async def test_a_code_used_twice_is_refused_and_revokes_what_it_gave(server):
    client = await server.register()
    verifier, challenge = pkce()
    code = await server.code_for(client["client_id"], challenge)
    first = await server.exchange(client["client_id"], code, verifier)
    assert (await server.call_as(first.json()["access_token"])).json() == {"grant": "demo@default"}
    second = await server.exchange(client["client_id"], code, verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    after = await server.call_as(first.json()["access_token"])
    assert after.status_code == 401 and 'error="invalid_token"' in after.headers["www-authenticate"]
    reuse = server.records("oauth_reuse_detected")
    assert reuse[0]["grant"] == "demo@default" and reuse[0]["revoked"] == 2  # the access and the refresh token
    assert refusals(server, "/token")[0][0] == "invalid_grant"


async def test_expired_revoked_unknown_and_foreign_audience_tokens_open_nothing(server):
    client, issued = await server.tokens()
    access = issued["access_token"]
    assert (await server.call_as(access)).status_code == 200
    server.oauth.tools.clock = lambda: 10**12  # far in the future: the token has expired
    expired = await server.call_as(access)
    assert expired.status_code == 401 and 'error_description="expired"' in expired.headers["www-authenticate"]
    server.oauth.tools.clock = __import__("time").time
    foreign = server.oauth.store.issue(family="f", client_id=client["client_id"], grant="demo@default",
                                       scopes=["odoo"], resource="https://other.example/mcp", access_ttl=600,
                                       refresh_ttl=600)
    assert (await server.call_as(foreign.access)).status_code == 401
    assert (await server.call_as("made-up-by-someone")).status_code == 401
    assert (await server.call_as(issued["refresh_token"])).status_code == 401  # not an access token
    revoked = await server.web.post("/revoke", data={"token": issued["refresh_token"], "client_id": client["client_id"],
                                                     "client_secret": ""})  # the SDK's form wants the field
    assert revoked.status_code == 200
    assert (await server.call_as(access)).status_code == 401  # the family went with it
    reasons = [r["reason"] for r in server.records("oauth_token_refused")]
    assert reasons == ["expired", "issued for another resource (https://other.example/mcp)", "unknown token",
                       "a refresh token is not an access token", "revoked"]
    other = await server.authorize(client["client_id"], pkce()[1], resource="https://other.example/mcp")
    assert "error=invalid_target" in other.headers["location"]
    assert refusals(server, "/authorize")[-1][0] == "invalid_target"


async def test_scopes_beyond_the_grant_are_refused(server):
    unknown = await server.web.post("/register", json={"redirect_uris": [REDIRECT], "scope": "odoo admin"})
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_client_metadata"
    client = await server.register(scope="odoo approvals")
    _, challenge = pkce()
    hop = await server.authorize(client["client_id"], challenge, scope="odoo approvals")
    answer = await server.sign_in(hop.headers["location"])  # demo is no approver
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert answer.status_code == 302 and query["error"] == ["invalid_scope"] and "code" not in query
    assert refusals(server, "signin")[0][0] == "invalid_scope"
    _, issued = await server.tokens()  # scope odoo only
    approvals = await server.call_as(issued["access_token"], "/mcp")
    assert approvals.status_code == 200
    gate = server.oauth.approvals
    refused = await gate.resolve(f"Bearer {issued['access_token']}")
    assert refused.status_code == 403 and 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    wider = await server.web.post("/token", data={"grant_type": "refresh_token", "scope": "odoo approvals",
                                                  "refresh_token": issued["refresh_token"],
                                                  "client_id": client["client_id"]})
    assert wider.status_code == 400 and wider.json()["error"] in {"invalid_scope", "invalid_grant"}


async def test_an_approver_gets_the_approvals_scope(server):
    client = await server.register(scope="odoo approvals")
    verifier, challenge = pkce()
    hop = await server.authorize(client["client_id"], challenge, scope="odoo approvals")
    answer = await server.sign_in(hop.headers["location"], login=ADMIN["login"], secret=ADMIN["password"])
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    issued = (await server.exchange(client["client_id"], code, verifier)).json()
    assert issued["scope"] == "odoo approvals"
    assert await server.oauth.approvals.resolve(f"Bearer {issued['access_token']}") == "admin@default"


async def test_sign_in_brute_force_is_stopped_per_login_and_per_address(server):
    client = await server.register()
    hop = await server.authorize(client["client_id"], pkce()[1])
    signin = hop.headers["location"]
    for guess in ("a", "b", "c"):
        failed = await server.sign_in(signin, secret=guess)
        assert failed.status_code == 401 and "did not accept" in failed.text
    right = await server.sign_in(signin)  # the right password, too late: the login is locked for now
    assert right.status_code == 429 and "Too many sign-in attempts" in right.text
    assert len(server.records("oauth_signin_failed")) == 3
    assert server.records("oauth_signin_refused")[-1]["reason"] == "too many sign-in attempts per login"
    assert "demo-secret-pw" not in server.audit_path.read_text()  # a secret is never logged
    for other in ("x1", "x2"):  # the address has 2 more tries (5), whatever the login
        assert (await server.sign_in(signin, login=other, secret="nope")).status_code == 401
    blocked = await server.sign_in(signin, login=ADMIN["login"], secret=ADMIN["password"])
    assert blocked.status_code == 429
    assert server.records("oauth_signin_refused")[-1]["reason"] == "too many sign-in attempts per address"


async def test_the_form_needs_its_csrf_cookie_and_field(server):
    client = await server.register()
    hop = await server.authorize(client["client_id"], pkce()[1])
    page = await server.web.get(hop.headers["location"])
    fields = form_fields(page.text)
    person = {"connection": "default", "login": DEMO["login"], "secret": DEMO["password"]}
    forged = await server.web.post("/oauth/signin", data={**fields, **person, "csrf": "0" * 64})
    assert forged.status_code == 403  # the cookie alone is not enough
    server.web.cookies.clear()  # a cross-site form post carries no cookie of ours
    cookieless = await server.web.post("/oauth/signin", data={**fields, **person})
    assert cookieless.status_code == 403  # nor the field alone
    assert [r["reason"] for r in server.records("oauth_signin_refused")] == ["CSRF check failed"] * 2
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_a_person_cannot_take_the_name_of_a_tokens_file_grant(tmp_path):
    running = in_process(tmp_path, static=("demo@default",))
    try:
        async with running.web:
            client = await running.register()
            hop = await running.authorize(client["client_id"], pkce()[1])
            answer = await running.sign_in(hop.headers["location"])
            assert answer.status_code == 403 and "name of another grant" in answer.text
        assert running.oauth.store.person("demo@default") is None
        people = running.oauth.people  # a row left from before the operator named the static grant: unused
        people.store.put_person(Person("demo@default", "default", "demo", 6, people.sealer.seal("pw", "demo@default"),
                                       None, ["odoo"]))
        assert people.connection("demo@default", None) is None  # the static grant's calls use the pool
        assert running.records("oauth_signin_refused")[0]["reason"].endswith("name of another grant of this server")
    finally:
        running.oauth.close()
        running.double.stop()


async def test_registrations_and_authorization_requests_are_capped_per_address(tmp_path):
    running = in_process(tmp_path, {"flow_limits": {"per_address": {"max": 3, "window": 600}}})
    try:
        async with running.web:
            client = await running.register()
            for _ in range(2):
                assert (await running.authorize(client["client_id"], pkce()[1])).status_code == 302
            flood = await running.web.post("/register", json={"redirect_uris": [REDIRECT]})
            assert flood.status_code == 429 and flood.json()["error"] == "too_many_requests"
            assert int(flood.headers["retry-after"]) > 0
        assert [(r["endpoint"], r["error"]) for r in running.records("oauth_refused")] == [
            ("/register", "too_many_requests")]
        assert running.oauth.store.client("nonexistent") is None
    finally:
        running.oauth.close()
        running.double.stop()


async def test_an_odoo_outage_is_nobodys_failed_sign_in(server):
    client = await server.register()
    hop = await server.authorize(client["client_id"], pkce()[1])
    signin = hop.headers["location"]
    server.double.stop()  # Odoo goes away
    for _ in range(4):  # more than the per-login cap of 3
        down = await server.sign_in(signin)
        assert down.status_code == 503 and "cannot be reached" in down.text
    assert server.records("oauth_signin_failed") == []
    assert len(server.records("oauth_signin_refused")) == 4
