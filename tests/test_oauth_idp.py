"""An external OpenID Connect provider's access tokens: JWTs checked against a JWKS served on loopback.

The keys are made here; the JWKS is served by a small HTTP server on 127.0.0.1 for the test's
length. Each token differs from a good one in one way, and each is refused for that reason.
"""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from odoo_client.errors import NoConnection
from tests.loopback import serving
from tests.oauth_helpers import in_process

pytestmark = pytest.mark.anyio
ISSUER = "https://login.example.com/realms/acme"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def keys():
    return {"published": rsa_key(), "other": rsa_key()}


@pytest.fixture
def jwks_url(keys):
    jwk = {**RSAAlgorithm.to_jwk(keys["published"].public_key(), as_dict=True), "kid": "k1", "use": "sig"}
    with serving(json.dumps({"keys": [jwk]}).encode(), "application/json") as (base, _hits):
        yield f"{base}/jwks"


@pytest.fixture
async def server(tmp_path, jwks_url):
    idp = {"issuer": ISSUER, "jwks_url": jwks_url, "algorithms": ["RS256"], "claim": "email",
           "subjects": {"dave@example.com": {"grant": "dave", "connection": "default"},
                        "carol@example.com": {"grant": "carol", "approver": True}}}
    running = in_process(tmp_path, {"idp": idp})
    async with running.web:
        yield running
    running.oauth.close()
    running.double.stop()


def token(keys, **changes) -> str:
    key = changes.pop("key", keys["published"])
    headers = {"kid": changes.pop("kid", "k1")}
    algorithm = changes.pop("alg", "RS256")
    claims = {"iss": ISSUER, "aud": "http://127.0.0.1:8765/mcp", "exp": int(time.time()) + 300,
              "email": "dave@example.com", "sub": "u-1", **changes}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm=algorithm, headers=headers)


async def test_a_valid_provider_token_opens_its_mapped_grant_on_its_mapped_connection(server, keys):
    answer = await server.call_as(token(keys))
    assert answer.status_code == 200 and answer.json() == {"grant": "dave"}
    people = server.oauth.people
    assert people.connection("dave", None).config.alias == "default"
    with pytest.raises(NoConnection):
        people.connection("dave", "another")
    assert await server.oauth.approvals.resolve(f"Bearer {token(keys, email='carol@example.com')}") == "carol"
    refused = await server.oauth.approvals.resolve(f"Bearer {token(keys)}")
    assert refused.status_code == 403  # dave is no approver


async def test_provider_tokens_that_differ_in_one_way_are_each_refused_for_it(server, keys):
    cases = {
        "expired": token(keys, exp=int(time.time()) - 3600),
        "issued for another audience": token(keys, aud="https://other.example/mcp"),
        "issued by another issuer": token(keys, iss="https://evil.example/"),
        "bad signature": token(keys, key=keys["other"]),  # minted by another key under the published kid
        "signed by a key the identity provider does not publish": token(keys, key=keys["other"], kid="k2"),
        "algorithm 'HS256' is not allowed": jwt.encode(  # were HMAC allowed, a public key could be its secret
            {"iss": ISSUER, "aud": "http://127.0.0.1:8765/mcp", "exp": int(time.time()) + 300,
             "email": "dave@example.com"}, "x" * 32, algorithm="HS256", headers={"kid": "k1"}),
        "email 'eve@example.com' is not mapped to a grant": token(keys, email="eve@example.com"),
        "invalid token (MissingRequiredClaimError)": token(keys, exp=None),
        "email 'ev\u0142@example.com' is not mapped to a grant": token(keys, email="ev\u0142@example.com"),
    }
    for reason, value in cases.items():
        answer = await server.call_as(value)
        assert answer.status_code == 401, reason
        assert server.records("oauth_token_refused")[-1]["reason"] == reason
