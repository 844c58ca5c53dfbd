"""The authorization server, as the MCP SDK's `OAuthAuthorizationServerProvider` asks for it.

The SDK's routes (`mcp.server.auth.routes.create_auth_routes`) parse and check every request —
PKCE S256 against the stored challenge, the redirect URI against the registration, the client
secret, the scope against the registration — and call this provider for what only the server
knows: clients, codes, tokens. What this provider adds:

- registration: redirect URIs must be https, or http on a loopback address (RFC 8252 §7.3);
- the resource (RFC 8707): a request naming another resource than this server's MCP endpoint
  is refused with `invalid_target`; every token is bound to this server's resource;
- authorize: no code yet — the person is sent to the sign-in page (`signin.py`), which makes
  the code once they proved who they are;
- codes are single use: a second exchange revokes every token the first one gave (RFC 6749
  §4.1.2); refresh tokens are rotated on use, and a rotated one presented again revokes its
  family (OAuth 2.1 §4.3.1);
- revocation (RFC 7009) revokes the whole family, access and refresh tokens alike.

Every refusal is audited as `oauth_refused` by the audit wrapper of the routes (`app.py`), from
the OAuth error the client gets; a reuse is also audited here (`oauth_reuse_detected`), with
how many tokens it revoked.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    RegistrationError,
    TokenError,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from odoo_mcp.oauth.config import SCOPE_TOOLS, OAuthConfig
from odoo_mcp.oauth.store import OAuthStore

REQUEST_TTL = 600.0
SIGNIN_PATH = "/oauth/signin"


def redirect_allowed(uri: str) -> bool:
    """https anywhere; http only to a loopback address (a native app's local callback)."""
    parts = urlsplit(uri)
    if parts.fragment:
        return False
    if parts.scheme == "https":
        return bool(parts.hostname)
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def same_resource(offered: str | None, ours: str) -> bool:
    """RFC 8707: the resource named is this server's MCP endpoint (a trailing slash aside)."""
    return offered is None or offered.rstrip("/") == ours.rstrip("/")


class GuardAuthorizationServer:
    """Implements `mcp.server.auth.provider.OAuthAuthorizationServerProvider` over `OAuthStore`."""

    def __init__(self, config: OAuthConfig, store: OAuthStore, audit: Any = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.store = store
        self.audit = audit
        self.clock = clock

    def _reuse(self, what: str, grant: str, client_id: str | None, revoked: int) -> None:
        if self.audit is not None:
            self.audit.record("oauth_reuse_detected", reason=f"{what} used twice: its tokens are revoked",
                              grant=grant, client_id=client_id, revoked=revoked)

    # ---- registration (RFC 7591) ----

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        info = self.store.client(client_id)
        return OAuthClientInformationFull.model_validate(info) if info else None

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        for uri in client_info.redirect_uris or []:
            if not redirect_allowed(str(uri)):
                raise RegistrationError("invalid_redirect_uri",
                                        f"{uri}: a redirect URI must be https, or http on a loopback address")
        assert client_info.client_id is not None
        self.store.add_client(client_info.client_id, client_info.model_dump(mode="json", exclude_none=True))
        if self.audit is not None:
            self.audit.record("oauth_client_registered", client_id=client_info.client_id,
                              client_name=client_info.client_name,
                              redirect_uris=[str(uri) for uri in client_info.redirect_uris or []])

    # ---- authorization: hand over to the sign-in page ----

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        if not same_resource(params.resource, self.config.resource):
            raise AuthorizeError("invalid_target", f"resource {params.resource} is not this server's "
                                                   f"({self.config.resource})")
        scopes = params.scopes or [SCOPE_TOOLS]
        request_id = self.store.add_request(client.client_id or "", {
            "scopes": scopes, "state": params.state, "code_challenge": params.code_challenge,
            "redirect_uri": str(params.redirect_uri), "explicit": params.redirect_uri_provided_explicitly,
        }, REQUEST_TTL)
        return f"{self.config.issuer}{SIGNIN_PATH}?request={request_id}"

    # ---- codes ----

    async def load_authorization_code(self, client: OAuthClientInformationFull, authorization_code: str
                                      ) -> AuthorizationCode | None:
        row = self.store.code(authorization_code)
        if row is None:
            return None
        if row.used:
            self._reuse("authorization code", row.grant, client.client_id, self.store.revoke_family(row.family))
            return None
        return AuthorizationCode(
            code=authorization_code, scopes=row.scopes, expires_at=row.expires, client_id=row.client_id,
            code_challenge=row.challenge, redirect_uri=row.redirect_uri,
            redirect_uri_provided_explicitly=row.explicit, resource=row.resource, subject=row.grant,
        )

    async def exchange_authorization_code(self, client: OAuthClientInformationFull,
                                          authorization_code: AuthorizationCode) -> OAuthToken:
        row = self.store.code(authorization_code.code)
        if row is None or not self.store.use_code(authorization_code.code):
            if row is not None:
                self._reuse("authorization code", row.grant, client.client_id, self.store.revoke_family(row.family))
            raise TokenError("invalid_grant", "authorization code already used")
        return self._issue(row.family, client.client_id or "", row.grant, row.scopes, row.resource)

    def _issue(self, family: str, client_id: str, grant: str, scopes: list[str], resource: str) -> OAuthToken:
        issued = self.store.issue(family=family, client_id=client_id, grant=grant, scopes=scopes, resource=resource,
                                  access_ttl=self.config.access_token_ttl, refresh_ttl=self.config.refresh_token_ttl)
        if self.audit is not None:
            self.audit.record("oauth_token_issued", grant=grant, client_id=client_id, scopes=scopes)
        return OAuthToken(access_token=issued.access, token_type="Bearer", expires_in=self.config.access_token_ttl,
                          refresh_token=issued.refresh, scope=" ".join(scopes))

    # ---- refresh tokens: rotated on use ----

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        row = self.store.token(refresh_token)
        if row is None or row.kind != "refresh" or row.revoked:
            return None
        if row.used:
            self._reuse("rotated refresh token", row.grant, client.client_id, self.store.revoke_family(row.family))
            return None
        return RefreshToken(token=refresh_token, client_id=row.client_id, scopes=row.scopes,
                            expires_at=int(row.expires), resource=row.resource, subject=row.grant)

    async def exchange_refresh_token(self, client: OAuthClientInformationFull, refresh_token: RefreshToken,
                                     scopes: list[str]) -> OAuthToken:
        row = self.store.token(refresh_token.token)
        if row is None or not self.store.rotate(refresh_token.token):
            if row is not None:
                self._reuse("refresh token", row.grant, client.client_id, self.store.revoke_family(row.family))
            raise TokenError("invalid_grant", "refresh token already used")
        self.store.revoke_family_access(row.family)
        return self._issue(row.family, client.client_id or "", row.grant, scopes, row.resource)

    # ---- access tokens ----

    async def load_access_token(self, token: str) -> AccessToken | None:
        row = self.store.token(token)
        if row is None or row.kind != "access" or row.revoked:
            return None
        return AccessToken(token=token, client_id=row.client_id, scopes=row.scopes, expires_at=int(row.expires),
                           resource=row.resource, subject=row.grant, claims={"iss": self.config.issuer})

    # ---- revocation (RFC 7009) ----

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        row = self.store.token(token.token)
        if row is None:
            return
        revoked = self.store.revoke_family(row.family)
        if self.audit is not None:
            self.audit.record("oauth_token_revoked", grant=row.grant, client_id=row.client_id, revoked=revoked)
        if self.store.live_families(row.grant) == 0:
            self.store.forget_person(row.grant)  # nothing can act as them any more: their secret goes too
