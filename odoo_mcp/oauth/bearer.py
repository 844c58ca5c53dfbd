"""Which grant an OAuth access token opens, for one endpoint — or the 401/403 that says why not.

`odoo_mcp.http.auth.BearerGrants` asks this when a bearer token is not one of the tokens file's:
- one of our own tokens (looked up by its SHA-256 in the store): not revoked, not expired,
  bound to this server's resource, holding the endpoint's scope (`odoo` for /mcp, `approvals`
  for /approvals);
- else, with an external identity provider configured, its JWT (`jwt_verifier.py`).

A refused token gets `401` with `WWW-Authenticate: Bearer error="invalid_token", …,
resource_metadata="<public_url>/.well-known/oauth-protected-resource/mcp"` (RFC 9728 §5.1, the
MCP specification's discovery hint), a token without the endpoint's scope `403
insufficient_scope` (RFC 6750 §3.1) naming the scope; both are audited as `oauth_token_refused`
with the reason. A request without any token gets the same challenge, unaudited (every client's
first request is one).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.routes import build_resource_metadata_url
from pydantic import AnyHttpUrl
from starlette.responses import JSONResponse, Response

from odoo_mcp.oauth.config import OAuthConfig
from odoo_mcp.oauth.jwt_verifier import JwtVerifier, looks_like_jwt
from odoo_mcp.oauth.people import People
from odoo_mcp.oauth.store import OAuthStore


class OAuthBearer:
    """The grant of an OAuth access token for endpoints needing `scope`."""

    def __init__(self, config: OAuthConfig, store: OAuthStore, people: People, scope: str,
                 idp: JwtVerifier | None = None, audit: Any = None, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.store = store
        self.people = people
        self.scope = scope
        self.idp = idp
        self.audit = audit
        self.clock = clock
        self.metadata_url = str(build_resource_metadata_url(AnyHttpUrl(config.resource)))

    def challenge(self, status: int, error: str | None, description: str | None) -> Response:
        parts = []
        if error:
            quoted = (description or "").encode("ascii", "replace").decode().replace('"', "'").replace("\\", "/")
            parts += [f'error="{error}"', f'error_description="{quoted}"']  # a header: ASCII, no quote inside
        if status == 403:
            parts.append(f'scope="{self.scope}"')
        parts.append(f'resource_metadata="{self.metadata_url}"')
        body = {"error": error or "unauthorized", "error_description": description or "a bearer token is required"}
        return JSONResponse(body, status_code=status, headers={"WWW-Authenticate": "Bearer " + ", ".join(parts)})

    def _refuse(self, reason: str, status: int = 401, **fields: Any) -> Response:
        if self.audit is not None:
            self.audit.record("oauth_token_refused", reason=reason, required_scope=self.scope, **fields)
        if status == 403:
            return self.challenge(403, "insufficient_scope", f"this endpoint needs the scope {self.scope}")
        return self.challenge(401, "invalid_token", reason)

    async def resolve(self, authorization: str | None) -> str | Response:
        """The grant name, or the response refusing the request."""
        if not authorization or authorization[:7].lower() != "bearer ":
            return self.challenge(401, None, None)
        token = authorization[7:].strip()
        access, reason = await self._access(token)
        if access is None:
            return self._refuse(reason)
        grant = access.subject or ""
        if access.expires_at is not None and access.expires_at < self.clock():
            return self._refuse("expired", grant=grant)
        if (access.resource or "").rstrip("/") != self.config.resource.rstrip("/"):
            return self._refuse(f"issued for another resource ({access.resource})", grant=grant)
        if self.scope not in access.scopes:
            return self._refuse(f"scope {self.scope} not granted", 403, grant=grant, scopes=access.scopes)
        self.people.sync_policy(grant)
        return grant

    async def _access(self, token: str) -> tuple[AccessToken | None, str]:
        row = self.store.token(token)
        if row is not None:
            if row.kind != "access":
                return None, "a refresh token is not an access token"
            if row.revoked:
                return None, "revoked"
            return AccessToken(token=token, client_id=row.client_id, scopes=row.scopes, expires_at=int(row.expires),
                               resource=row.resource, subject=row.grant), ""
        if self.idp is not None and looks_like_jwt(token):
            verdict = await self.idp.check(token)
            return verdict.token, verdict.reason
        return None, "unknown token"
