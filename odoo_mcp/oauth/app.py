"""OAuth on the streamable HTTP transport: the authorization server's routes in front of the MCP app.

    /.well-known/oauth-protected-resource/mcp   RFC 9728 (the SDK's `create_protected_resource_routes`)
    /.well-known/oauth-authorization-server     RFC 8414 \\
    /register  /authorize  /token  /revoke      RFC 7591, 6749 + 7636 (S256), 7009  > the SDK's `create_auth_routes`
    /oauth/signin                                the sign-in page (signin.py)      /
    everything else                              the MCP app behind `odoo_mcp.http.auth.BearerGrants`

`build_oauth` wires the parts once at start-up (every problem a `ConfigError`: the server does
not start); `OAuthRoutes` is the ASGI dispatcher, which audits every OAuth error answered on
those routes as `oauth_refused` (endpoint, OAuth error code, its description, client id) — the
SDK's handlers answer most refusals themselves, so the audit reads what the client was told.
Registrations and authorization requests store something before anyone signed in, so they are
counted per client address (`flow_limits`, the guard's limiter): past the cap, `429`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mcp.server.auth.routes import (
    AUTHORIZATION_PATH,
    REGISTRATION_PATH,
    build_metadata,
    create_auth_routes,
    create_protected_resource_routes,
)
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from guard.limiter import Limiter
from guard.policy import Limit
from guard.policy_set import PolicySet
from guard.spec import Caller
from odoo_client.settings import OdooSettings
from odoo_mcp.config import ConfigError, Settings
from odoo_mcp.oauth.bearer import OAuthBearer
from odoo_mcp.oauth.config import SCOPE_APPROVALS, SCOPE_TOOLS, SCOPES, OAuthConfig
from odoo_mcp.oauth.jwt_verifier import JwtVerifier
from odoo_mcp.oauth.people import People
from odoo_mcp.oauth.provider import SIGNIN_PATH, GuardAuthorizationServer
from odoo_mcp.oauth.sealing import Sealer, load_oauth_key
from odoo_mcp.oauth.signin import SigninPage
from odoo_mcp.oauth.store import OAuthStore

STORE_FILE = "oauth.sqlite3"
LIMITED_PATHS = frozenset({REGISTRATION_PATH, AUTHORIZATION_PATH})


@dataclass
class OAuthServer:
    config: OAuthConfig
    store: OAuthStore
    people: People
    provider: GuardAuthorizationServer
    signin: SigninPage
    tools: OAuthBearer
    """The bearer check of /mcp (scope `odoo`)."""
    approvals: OAuthBearer
    """The bearer check of /approvals (scope `approvals`)."""
    audit: Any = None

    def close(self) -> None:
        self.people.close()
        self.store.close()


def check_connections(config: OAuthConfig, odoo: OdooSettings) -> None:
    for name in config.connections or ():
        if name not in odoo.connections:
            raise ConfigError(f"oauth connections: {name!r} is not a configured Odoo connection")
    if config.connections is None and not odoo.connections and config.idp is None:
        raise ConfigError("oauth: no Odoo connection to sign in to (set ODOO_URL or CONNECTIONS_FILE)")
    for value, subject in (config.idp.subjects.items() if config.idp else ()):
        if subject.connection is not None and subject.connection not in odoo.connections:
            raise ConfigError(f"oauth idp.subjects.{value}.connection: {subject.connection!r} is not configured")


def build_oauth(config: OAuthConfig, settings: Settings, policies: PolicySet, limiter: Limiter,
                audit: Any = None, static_grants: Iterable[str] = ()) -> OAuthServer:
    """Every part of the authorization server, from the checked settings."""
    odoo = settings.odoo
    check_connections(config, odoo)
    state_dir = settings.approvals.state_dir
    key = load_oauth_key(settings.env, state_dir)
    if audit is not None:
        audit.add_secrets([key.decode("utf-8", "replace")])  # masked wherever it could appear
    sealer = Sealer(key)
    store = OAuthStore(state_dir / STORE_FILE if state_dir else None)
    people = People(config, store, sealer, odoo, policies, audit, frozenset(static_grants))
    provider = GuardAuthorizationServer(config, store, audit)
    issuer = str(_metadata(config).issuer)
    signin = SigninPage(config, store, people, sealer, limiter, issuer, audit)
    idp = JwtVerifier(config.idp, config.resource) if config.idp else None
    return OAuthServer(
        config, store, people, provider, signin,
        tools=OAuthBearer(config, store, people, SCOPE_TOOLS, idp, audit),
        approvals=OAuthBearer(config, store, people, SCOPE_APPROVALS, idp, audit),
        audit=audit,
    )


def _registration() -> ClientRegistrationOptions:
    return ClientRegistrationOptions(enabled=True, valid_scopes=list(SCOPES), default_scopes=[SCOPE_TOOLS])


def _metadata(config: OAuthConfig) -> Any:
    return build_metadata(AnyHttpUrl(config.issuer), None, _registration(), RevocationOptions(enabled=True))


def oauth_routes(oauth: OAuthServer) -> list[Route]:
    config = oauth.config
    routes = create_auth_routes(oauth.provider, issuer_url=AnyHttpUrl(config.issuer),
                                client_registration_options=_registration(),
                                revocation_options=RevocationOptions(enabled=True))
    routes += create_protected_resource_routes(
        resource_url=AnyHttpUrl(config.resource), authorization_servers=[AnyHttpUrl(config.issuer)],
        scopes_supported=[SCOPE_TOOLS], resource_name="odoo-guard-mcp",
    )
    routes.append(Route(SIGNIN_PATH, endpoint=oauth.signin.handle, methods=["GET", "POST"]))
    return routes


class OAuthRoutes:
    """ASGI: the OAuth routes answered here (and their refusals audited), everything else to `app`."""

    def __init__(self, app: Any, oauth: OAuthServer) -> None:
        self.app = app
        self.audit = oauth.audit
        self.limiter = oauth.signin.limiter
        cap = oauth.config.flow.per_address
        self.per_address = Limit(counter="oauth_flow", window=cap.window, max=cap.max, scope="grant")
        routes = oauth_routes(oauth)
        self.paths = frozenset(route.path for route in routes)
        self.router = Starlette(routes=routes)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return
        if scope["path"] in LIMITED_PATHS:
            client = scope.get("client") or ("unknown", 0)
            refusal = self.limiter.acquire([self.per_address], Caller(grant=str(client[0])))
            if refusal is not None:
                response = JSONResponse({"error": "too_many_requests", "error_description":
                                         f"too many registrations and authorization requests from this address; "
                                         f"retry in {refusal.retry_in} s"}, status_code=429,
                                        headers={"Retry-After": str(refusal.retry_in)})
                await response(scope, receive, send)
                self._audit(scope["path"], {"status": 429, "body": response.body})
                return
        answer: dict[str, Any] = {"body": b""}

        async def watch(message: Any) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["location"] = next((v.decode("latin-1") for k, v in message.get("headers", [])
                                           if k.lower() == b"location"), "")
            elif message["type"] == "http.response.body" and answer.get("status", 0) >= 400:
                answer["body"] += message.get("body", b"")
            await send(message)

        await self.router(scope, receive, watch)
        self._audit(scope["path"], answer)

    def _audit(self, path: str, answer: dict[str, Any]) -> None:
        if self.audit is None:
            return
        status = answer.get("status", 0)
        error: dict[str, Any] = {}
        if status >= 400:
            try:
                parsed = json.loads(answer["body"] or b"{}")
            except ValueError:
                parsed = {}
            error = parsed if isinstance(parsed, dict) else {}
        elif status in (302, 303) and "error=" in answer.get("location", ""):
            query = parse_qs(urlsplit(answer["location"]).query)
            error = {key: values[0] for key, values in query.items() if key in ("error", "error_description")}
        if error.get("error"):
            self.audit.record("oauth_refused", endpoint=path, status=status, error=error["error"],
                              reason=error.get("error_description"))
