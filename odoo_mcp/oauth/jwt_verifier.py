"""Access tokens of an external OpenID Connect provider: JWTs checked against its published keys.

For companies whose people already sign in with an identity provider (Keycloak, Entra ID, Okta,
Google, Authentik…): the provider issues the access token, this server only verifies it, with
PyJWT and the provider's JWKS (`PyJWKClient`, which caches the key set and refetches it once
for an unknown key id):

- the signature, by a key of the JWKS, with an algorithm of the file's allow-list (asymmetric
  only: `none` and HMAC are never accepted, so a public key cannot be used as a shared secret);
- `iss` equal to the configured issuer, `aud` naming this server's resource (RFC 8707: a token
  minted for another service is refused), `exp` present and in the future (30 s of clock skew);
- the claim the file names (`claim`, default `sub`) mapped to a grant in `subjects`: a valid
  token of a person the file does not map opens nothing.

Every refusal says why (`Verdict.reason`); the caller audits it. Fetching the JWKS is blocking
I/O, run off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio
import jwt
from mcp.server.auth.provider import AccessToken

from odoo_mcp.oauth.config import SCOPE_APPROVALS, SCOPE_TOOLS, IdpFile

LEEWAY = 30


@dataclass(frozen=True)
class Verdict:
    token: AccessToken | None
    reason: str = ""


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


class JwtVerifier:
    """`mcp.server.auth.provider.TokenVerifier` for the provider's JWTs (with `check` saying why not)."""

    def __init__(self, idp: IdpFile, resource: str) -> None:
        self.idp = idp
        self.audience = idp.audience or resource
        self.resource = resource
        self.jwks = jwt.PyJWKClient(idp.jwks_url, cache_keys=True, lifespan=300, timeout=10)

    async def verify_token(self, token: str) -> AccessToken | None:
        return (await self.check(token)).token

    async def check(self, token: str) -> Verdict:
        return await anyio.to_thread.run_sync(self._check, token)

    def _check(self, token: str) -> Verdict:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in self.idp.algorithms:
                return Verdict(None, f"algorithm {header.get('alg')!r} is not allowed")
            key = self.jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=list(self.idp.algorithms), audience=self.audience,
                issuer=self.idp.issuer, leeway=LEEWAY, options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWKClientConnectionError:
            return Verdict(None, "the identity provider's JWKS could not be fetched")
        except jwt.PyJWKClientError:
            return Verdict(None, "signed by a key the identity provider does not publish")
        except jwt.ExpiredSignatureError:
            return Verdict(None, "expired")
        except jwt.InvalidAudienceError:
            return Verdict(None, "issued for another audience")
        except jwt.InvalidIssuerError:
            return Verdict(None, "issued by another issuer")
        except jwt.InvalidSignatureError:
            return Verdict(None, "bad signature")
        except jwt.InvalidTokenError as exc:
            return Verdict(None, f"invalid token ({type(exc).__name__})")
        value = claims.get(self.idp.claim)
        subject = self.idp.subjects.get(value) if isinstance(value, str) else None
        if subject is None:
            return Verdict(None, f"{self.idp.claim} {value!r} is not mapped to a grant")
        scopes = [SCOPE_TOOLS, SCOPE_APPROVALS] if subject.approver else [SCOPE_TOOLS]
        return Verdict(AccessToken(
            token=token, client_id=str(claims.get("azp") or claims.get("client_id") or "idp"), scopes=scopes,
            expires_at=int(claims["exp"]), resource=self.resource, subject=subject.grant,
            claims={"iss": claims["iss"]},
        ))
