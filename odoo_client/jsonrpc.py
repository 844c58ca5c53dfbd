"""JSON-RPC through `odoorpc`: one `ODOO` object per connection, its cookie-aware opener reused.

odoorpc's own calls are used as they are (`/web/webclient/version_info` on creation, `login`
via `/jsonrpc` common.login and `res.users.context_get`, `execute_kw`); this module only maps
its errors. odoorpc speaks through `urllib`, which would open one TCP (and TLS) connection
per request; it is given kept-alive handlers instead (`keepalive.py`). The login happens once
per connection. urllib follows redirects anywhere; here a redirect is followed only within the
configured origin (scheme, host, port): an allow-listed Odoo cannot send our session cookie
and the agent's requests to a host that is not allow-listed.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any
from urllib.parse import urlsplit
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, build_opener

import odoorpc

from .errors import OdooFault, mapped_errors, wrong_credentials
from .keepalive import KeepAliveHTTPHandler, KeepAliveHTTPSHandler
from .settings import ConnectionConfig
from .transport import ssl_context, unreachable


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


class SameOriginRedirects(HTTPRedirectHandler):
    """Follow a redirect only when it stays on the configured server; refuse it, tagged, otherwise."""

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if origin(newurl) != origin(self.config.url):
            target = urlsplit(newurl)
            raise unreachable(
                self.config,
                f"answered HTTP {code} redirecting to {target.scheme}://{target.netloc}, another server: "
                "redirects off the configured server are not followed",
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class JsonRpcTransport:
    protocol = "jsonrpc"

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        self._odoo: odoorpc.ODOO | None = None
        self._http: KeepAliveHTTPHandler | KeepAliveHTTPSHandler | None = None
        self._lock = threading.Lock()

    def _client(self) -> odoorpc.ODOO:
        with self._lock:
            if self._odoo is None:
                parts = urlsplit(self.config.url)
                https = parts.scheme == "https"
                self._http = KeepAliveHTTPSHandler(ssl_context(self.config)) if https else KeepAliveHTTPHandler()
                handlers: list[Any] = [HTTPCookieProcessor(), SameOriginRedirects(self.config), self._http]
                self._odoo = self._guarded(
                    lambda: odoorpc.ODOO(
                        parts.hostname,
                        protocol="jsonrpc+ssl" if https else "jsonrpc",
                        port=parts.port or (443 if https else 80),
                        timeout=self.config.timeout,
                        opener=build_opener(*handlers),
                    )
                )
            return self._odoo

    def _guarded(self, action: Any) -> Any:
        with mapped_errors(self.config):
            return action()

    def version(self) -> dict[str, Any]:
        client = self._client()
        return self._guarded(lambda: client.json("/web/webclient/version_info", {})["result"])

    def login(self) -> int:
        client = self._client()
        try:
            self._guarded(lambda: client.login(self.config.db, self.config.username, self.config.secret))
        except OdooFault as exc:
            if exc.exception in ("AccessDenied", "RPCError"):
                raise wrong_credentials(self.config.username, self.config.db) from None
            raise
        return int(client.env.uid)

    def execute(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        client = self._client()
        return self._guarded(lambda: client.execute_kw(model, method, args, kwargs))

    def close(self) -> None:
        with self._lock:
            if self._odoo is not None:
                with contextlib.suppress(Exception):  # closing must not fail
                    self._odoo.logout()
                self._odoo = None
            if self._http is not None:
                self._http.connections.close()
                self._http = None
