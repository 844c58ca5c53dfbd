"""The sign-in page: a person proves who they are to Odoo, and their MCP client gets an authorization code.

    GET  /oauth/signin?request=<id>   the form (which client asks, where it will send the code)
    POST /oauth/signin                login + password or API key (+ the connection, when several)

The request id comes from `/authorize` (`provider.py`), which stored the client's parameters
(PKCE challenge, redirect URI, state, scopes); the page never takes them from the form. Plain
HTML, no script. CSRF: a random cookie (HttpOnly, SameSite=Strict, Secure on https) and a form
field holding a MAC of it and of the request id (`sealing.Sealer.csrf`) — a page elsewhere can
neither read the cookie nor forge the field. The page cannot be framed (`frame-ancestors 'none'`).

Sign-in attempts are counted with the guard's limiter (the same store as every other counter,
so replicas sharing Redis share them): per login and per client address, both reserved before
Odoo is asked; a failed attempt keeps its count, a successful one gives it back. The client
address is the peer's, as uvicorn reports it (behind a proxy on 127.0.0.1, uvicorn takes it
from `X-Forwarded-For`: docs/teams.md). Every failure is audited (`oauth_signin_failed`,
`oauth_signin_refused`) with the login and address — never the secret, which is registered
with the audit log's masking the moment it is received.
"""

from __future__ import annotations

import html
import secrets
from typing import Any
from urllib.parse import urlsplit

import anyio
from mcp.server.auth.provider import construct_redirect_uri
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from guard.limiter import Limiter, Refusal
from guard.policy import Limit
from guard.spec import Caller
from odoo_mcp.oauth.config import OAuthConfig
from odoo_mcp.oauth.odoo_identity import OdooUnavailable, SigninRefused, identify
from odoo_mcp.oauth.people import People
from odoo_mcp.oauth.sealing import Sealer
from odoo_mcp.oauth.store import OAuthStore, digest, new_secret

CSRF_COOKIE = "odoo_mcp_signin"
MAX_FIELD = 1024
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
}
STYLE = ("body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}"
         "label{display:block;margin-top:1rem}input,select{width:100%;padding:.5rem;box-sizing:border-box}"
         "button{margin-top:1.5rem;padding:.6rem 1.2rem}.error{color:#a00}.client{color:#555}")


def _page(title: str, body: str, status: int = 200, cookie: str | None = None, secure: bool = False) -> Response:
    text = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<meta name=viewport content='width=device-width'><style>{STYLE}</style></head>"
            f"<body><h1>{html.escape(title)}</h1>{body}</body></html>")
    response = HTMLResponse(text, status_code=status, headers=HEADERS)
    if cookie is not None:
        response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="strict", secure=secure, path="/oauth")
    return response


class SigninPage:
    """The Starlette endpoint of `/oauth/signin` (GET: the form; POST: the attempt)."""

    def __init__(self, config: OAuthConfig, store: OAuthStore, people: People, sealer: Sealer, limiter: Limiter,
                 issuer: str, audit: Any = None) -> None:
        self.config = config
        self.store = store
        self.people = people
        self.sealer = sealer
        self.limiter = limiter
        self.issuer = issuer
        self.audit = audit
        self.secure = config.public_url.startswith("https://")
        caps = config.limits
        self.per_login = Limit(counter="signin_login", window=caps.per_login.window, max=caps.per_login.max,
                               scope="grant")
        self.per_address = Limit(counter="signin_address", window=caps.per_address.window,
                                 max=caps.per_address.max, scope="grant")

    def _record(self, event: str, **fields: Any) -> None:
        if self.audit is not None:
            self.audit.record(event, **fields)

    async def handle(self, request: Request) -> Response:
        if request.method == "GET":
            return self._form(request.query_params.get("request", ""))
        return await self._attempt(request)

    # ---- the form ----

    def _form(self, request_id: str, error: str | None = None, status: int = 200, login: str = "") -> Response:
        found = self.store.request(request_id) if request_id else None
        if found is None:
            return _page("Sign-in link expired", "<p>This sign-in link is unknown or has expired. "
                         "Start again from your MCP client.</p>", 400)
        client_id, params = found
        client = self.store.client(client_id) or {}
        name = client.get("client_name") or "An MCP client"
        target = urlsplit(params["redirect_uri"]).netloc or params["redirect_uri"]
        cookie = secrets.token_urlsafe(24)
        connections = self.people.connections()
        choice = "".join(f"<option value='{html.escape(c.alias)}'>{html.escape(c.alias)} — "
                         f"{html.escape(c.url)} ({html.escape(c.db)})</option>" for c in connections)
        select = (f"<label for=connection>Odoo</label><select id=connection name=connection>{choice}</select>"
                  if len(connections) > 1 else
                  f"<input type=hidden name=connection value='{html.escape(connections[0].alias)}'>"
                  f"<p>Odoo: {html.escape(connections[0].url)} ({html.escape(connections[0].db)})</p>"
                  if connections else "<p class=error>No Odoo connection is open to sign-in.</p>")
        problem = f"<p class=error role=alert>{html.escape(error)}</p>" if error else ""
        body = (f"<p class=client><b>{html.escape(str(name))}</b> (sending you back to {html.escape(target)}) asks "
                f"to act as you in Odoo: {html.escape(' '.join(params['scopes']))}.</p>{problem}"
                f"<form method=post action='/oauth/signin'>"
                f"<input type=hidden name=request value='{html.escape(request_id)}'>"
                f"<input type=hidden name=csrf value='{self.sealer.csrf(request_id, cookie)}'>{select}"
                f"<label for=login>Odoo login</label>"
                f"<input id=login name=login autocomplete=username required value='{html.escape(login)}'>"
                f"<label for=secret>Password or API key</label>"
                f"<input id=secret name=secret type=password autocomplete=current-password required>"
                f"<button type=submit>Sign in</button></form>")
        return _page("Sign in to Odoo", body, status, cookie=cookie, secure=self.secure)

    # ---- an attempt ----

    async def _attempt(self, request: Request) -> Response:
        form = await request.form()
        fields = {key: form.get(key) for key in ("request", "csrf", "connection", "login", "secret")}
        if not all(isinstance(value, str) and 0 < len(value) <= MAX_FIELD for value in fields.values()):
            return _page("Sign-in refused", "<p>The form was incomplete.</p>", 400)
        request_id, csrf, alias, login, secret = (str(fields[key]) for key in
                                                  ("request", "csrf", "connection", "login", "secret"))
        if self.audit is not None:
            self.audit.add_secrets([secret])  # masked wherever it could appear, before anything else
        address = request.client.host if request.client else "unknown"
        found = self.store.request(request_id)
        if found is None:
            self._record("oauth_signin_refused", reason="unknown or expired sign-in request", address=address)
            return self._form("")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not self.sealer.csrf_ok(csrf, request_id, cookie):
            self._record("oauth_signin_refused", reason="CSRF check failed", address=address, login=login)
            return _page("Sign-in refused", "<p>This form is stale or did not come from this page. "
                         "Start again from your MCP client.</p>", 403)
        base = next((c for c in self.people.connections() if c.alias == alias), None)
        if base is None:
            self._record("oauth_signin_refused", reason=f"connection {alias!r} is not open to sign-in",
                         address=address, login=login)
            return self._form(request_id, "That Odoo connection is not available.", 400, login)
        taken = self.limiter.reserve([self.per_login], Caller(grant=f"{alias}:{login.strip().casefold()}"))
        if isinstance(taken, Refusal):
            return self._limited(request_id, taken, login, address, "login")
        by_address = self.limiter.reserve([self.per_address], Caller(grant=address))
        if isinstance(by_address, Refusal):
            self.limiter.rollback(taken)
            return self._limited(request_id, by_address, login, address, "address")
        try:
            person = await anyio.to_thread.run_sync(identify, base, login, secret, self.people.groups_asked())
        except SigninRefused as exc:
            self._record("oauth_signin_failed", login=login, connection=alias, address=address, reason=str(exc))
            return self._form(request_id, "Odoo did not accept this login and password or API key.", 401, login)
        except OdooUnavailable as exc:  # an outage is nobody's failed attempt
            self.limiter.rollback(taken)
            self.limiter.rollback(by_address)
            self._record("oauth_signin_refused", login=login, connection=alias, address=address, reason=str(exc))
            return self._form(request_id, "Odoo cannot be reached right now. Try again in a moment.", 503, login)
        self.limiter.rollback(taken)
        self.limiter.rollback(by_address)
        try:
            return self._signed_in(request_id, found[0], found[1], person, secret, address)
        except SigninRefused as exc:
            self._record("oauth_signin_refused", login=login, connection=alias, address=address, reason=str(exc))
            return _page("Sign-in refused", f"<p>{html.escape(str(exc))}.</p>", 403)

    def _limited(self, request_id: str, refusal: Refusal, login: str, address: str, per: str) -> Response:
        self._record("oauth_signin_refused", reason=f"too many sign-in attempts per {per}", login=login,
                     address=address, retry_in=refusal.retry_in)
        return self._form(request_id, f"Too many sign-in attempts. Try again in {refusal.retry_in} s.", 429, login)

    def _signed_in(self, request_id: str, client_id: str, params: dict[str, Any], person: Any, secret: str,
                   address: str) -> Response:
        redirect = params["redirect_uri"]
        row = self.people.remember(person, secret)  # SigninRefused: the name is another grant's
        if not self.store.take_request(request_id):
            return self._form("")
        beyond = [scope for scope in params["scopes"] if scope not in row.scopes]
        if beyond:
            self._record("oauth_refused", endpoint="signin", error="invalid_scope", grant=row.grant,
                         client_id=client_id, reason=f"scope beyond the grant: {' '.join(beyond)}")
            return self._redirect(construct_redirect_uri(
                redirect, error="invalid_scope", state=params.get("state"), iss=self.issuer,
                error_description=f"{row.login} may not hold: {' '.join(beyond)}"))
        code = new_secret()
        self.store.add_code(code, client_id=client_id, grant=row.grant, scopes=params["scopes"],
                            challenge=params["code_challenge"], redirect_uri=redirect, explicit=params["explicit"],
                            resource=self.config.resource, ttl=self.config.code_ttl)
        self._record("oauth_signed_in", grant=row.grant, login=row.login, connection=row.connection,
                     client_id=client_id, scopes=params["scopes"], address=address, family=digest(code)[:16])
        return self._redirect(construct_redirect_uri(redirect, code=code, state=params.get("state"), iss=self.issuer))

    @staticmethod
    def _redirect(url: str) -> Response:
        return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
