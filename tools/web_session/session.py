"""Browser-style Odoo sessions: one per (grant, connection), TLS verified, confined to the connection's origin.

Upstream kept one `requests.Session` per alias for the whole process, with `verify=False`, so
every user of an alias shared one Odoo login and anyone on the path could read it. Here each grant
gets its own session per connection, built on the connection's TLS settings (verification on, or
the operator's pin), redirects are not followed, and every URL is checked to stay on the
connection's own scheme, host and port before it is sent. The session cookie lives in the httpx
cookie jar only: no result, error or log line carries it.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any
from urllib.parse import urlsplit

import httpx

from guard.spec import Call, NotConfigured, ToolFailure
from odoo_client.connection import OdooConnection
from odoo_client.errors import odoo_failure, timed_out, unreachable
from odoo_client.transport import ssl_context
from tools.odoo.common import odoo


class SessionGone(Exception):
    """Odoo answered "session expired" (code 100): internal, turned into a re-login or `NotConfigured`."""


LOG_IN_FIRST = "the web session expired or is not logged in: call odoo_web_login"


class WebSession:
    """One cookie jar against one Odoo, used by one grant."""

    def __init__(self, connection: OdooConnection, anonymous: bool = False) -> None:
        config = connection.config
        self.config = config
        self.anonymous = anonymous
        origin = urlsplit(config.url)
        self.origin = (origin.scheme, origin.hostname, origin.port)
        self._base = httpx.URL(config.url)
        self._client = httpx.Client(
            base_url=config.url, timeout=config.timeout, follow_redirects=False,
            headers={"User-Agent": "odoo-guard-mcp"},
            verify=ssl_context(config) if config.url.startswith("https") else True)
        self._credentials: tuple[str, str] | None = None
        self.info: dict[str, Any] | None = None
        self.lock = threading.Lock()

    def url(self, path: str, params: dict[str, Any] | None = None) -> tuple[httpx.URL, bytes]:
        """The URL for `path` (encoded by the caller) and `params` on the connection's origin, and the raw
        path and query it must carry."""
        plain = all(32 < ord(ch) < 127 and ch not in "\\#" for ch in path)
        if not path.startswith("/") or path.startswith("//") or not plain:
            raise ToolFailure(f"path {path[:100]!r} refused: it must be an absolute path on the connection's own "
                              "server")
        query = str(httpx.QueryParams(params)) if params else ""
        raw = (f"{path}{'&' if '?' in path else '?'}{query}" if query else path).encode("ascii")
        return self._base.copy_with(raw_path=raw), raw

    def send(self, method: str, path: str, *, params: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """Send to exactly `path` and `params`: refused if the HTTP client would send anything else (it removes
        dot segments, for one) or leave the connection's origin."""
        url, raw = self.url(path, params)
        request = self._client.build_request(method, url, **kwargs)
        sent = request.url
        if (sent.scheme, sent.host, sent.port) != self.origin:
            raise ToolFailure(f"path {path[:100]!r} refused: it leaves the connection's origin")
        if url.raw_path != raw or sent.raw_path != raw:
            raise ToolFailure(f"path {path[:100]!r} refused: the request would go to "
                              f"{sent.raw_path.decode('ascii', 'replace')[:100]!r}, not to the path that was checked")
        try:
            return self._client.send(request)
        except httpx.TimeoutException:
            raise timed_out(self.config) from None
        except httpx.HTTPError as exc:
            raise unreachable(self.config, f"cannot connect ({exc})") from None

    def jsonrpc(self, path: str, params: dict[str, Any]) -> Any:
        response = self.send("POST", path, json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params})
        try:
            payload = response.json()
        except ValueError:
            raise unreachable(self.config, f"{path} answered HTTP {response.status_code}, not JSON") from None
        error = payload.get("error") if isinstance(payload, dict) else None
        if error:
            data = error.get("data") or {}
            if error.get("code") == 100:
                raise SessionGone()
            raise odoo_failure(str(data.get("name") or "Error"), str(data.get("message") or error.get("message")))
        return payload.get("result")

    def login(self, login: str, password: str) -> dict[str, Any]:
        info = self.jsonrpc("/web/session/authenticate", {"db": self.config.db, "login": login, "password": password})
        if not isinstance(info, dict) or not info.get("uid"):
            raise ToolFailure(f"web login refused for {login!r} on {self.config.db}")
        self._credentials = (login, password)
        self.info = {key: info.get(key) for key in ("uid", "name", "username", "db", "server_version")}
        return self.info

    def call_kw(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """`/web/dataset/call_kw`; on an expired session, one new login and one retry (never a loop)."""
        params = {"model": model, "method": method, "args": args, "kwargs": kwargs}
        path = f"/web/dataset/call_kw/{model}/{method}"
        try:
            return self.jsonrpc(path, params)
        except SessionGone:
            if self._credentials is None:
                raise NotConfigured(LOG_IN_FIRST, before_effect=False) from None  # Odoo was asked
        try:
            self.login(*self._credentials)
            return self.jsonrpc(path, params)
        except SessionGone:
            raise NotConfigured(LOG_IN_FIRST, before_effect=False) from None  # Odoo was asked

    def get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        response = self.send("GET", path, params=params)
        if response.status_code in (301, 302, 303, 307, 308) and "/web/login" in response.headers.get("location", ""):
            raise NotConfigured(
                "Odoo asks for a login: call odoo_web_login first (or again)", before_effect=False
            )  # Odoo was asked
        return response

    def logout(self) -> None:
        with contextlib.suppress(ToolFailure):
            self.jsonrpc("/web/session/destroy", {})

    def close(self) -> None:
        self._client.close()


class WebSessions:
    """The sessions of a running server, keyed by (grant, connection alias): never shared across grants."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, str], WebSession] = {}
        self._lock = threading.Lock()

    def open(self, grant: str, connection: OdooConnection) -> WebSession:
        with self._lock:
            key = (grant, connection.alias)
            old = self._sessions.pop(key, None)
            session = self._sessions[key] = WebSession(connection)
        if old is not None:  # a new login replaces the old session, which Odoo is told to end
            if old.info is not None:
                old.logout()
            old.close()
        return session

    def get(self, grant: str, alias: str) -> WebSession | None:
        with self._lock:
            return self._sessions.get((grant, alias))

    def drop(self, grant: str, alias: str) -> WebSession | None:
        with self._lock:
            return self._sessions.pop((grant, alias), None)

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()


def sessions(call: Call) -> WebSessions:
    return call.runtime.service("web_sessions", lambda _runtime: WebSessions())


def logged_in(call: Call, alias: str | None) -> tuple[OdooConnection, WebSession]:
    """The calling grant's web session on the connection; refused when it has not logged in."""
    connection = odoo(call, alias)
    session = sessions(call).get(call.caller.grant, connection.alias)
    if session is None or session.info is None:
        raise NotConfigured(f"no web session for this client on connection {connection.alias!r}: call odoo_web_login")
    return connection, session


def anonymous(call: Call, alias: str | None) -> WebSession:
    """A fresh cookie-less session: truly anonymous (closed by the caller)."""
    return WebSession(odoo(call, alias), anonymous=True)
