"""JSON-RPC through `odoorpc`: one `ODOO` object per connection, its cookie-aware opener reused.

odoorpc is used for `version()` (`/web/webclient/version_info`); the login is `common.login` over
`/jsonrpc` (odoorpc's own login opens a web session, which Odoo refuses an API key on, while the RPC
login takes one in place of the password, from Odoo 14.0 on); this module maps odoorpc's errors.
odoorpc speaks through `urllib`, which would open one TCP (and TLS) connection per request; it
is given kept-alive handlers instead (`keepalive.py`). The login happens once per connection.
urllib follows redirects anywhere; here a redirect is followed only within the configured
origin (scheme, host, port): an allow-listed Odoo cannot send our session cookie and the
agent's requests to a host that is not allow-listed.

`execute` sends the very request odoorpc's `execute_kw` sends (`/jsonrpc`, service `object`,
`execute_kw` with db, uid and password: stateless, no cookie involved) straight on the same
kept-alive connection, encoded and decoded with orjson, and follows no redirect at all (urllib
would have turned a redirected POST into a GET without its body anyway). odoorpc's per-call
path (a urllib `Request`, the opener's handler chain and cookie jar, a deep copy of the payload
for its debug log, the stdlib `json`) cost more than the rest of the server's own work on a
call. odoorpc itself is imported on the first connection, not at start-up. `execute_async` sends
that same request from the event loop (`aio_http.py`) once the login is done, for the read tools
that await it; the answer is read by the same code (`_result`), so both paths fail alike.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import urllib.error
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, build_opener

from foundation import fastjson

from .aio_http import AsyncConnections
from .endpoint import Endpoint
from .errors import OdooFault, WouldBlock, mapped_errors, odoo_failure, wrong_credentials
from .keepalive import KeepAliveHTTPHandler, KeepAliveHTTPSHandler, exchange
from .settings import ConnectionConfig
from .transport import ssl_context, unreachable

if TYPE_CHECKING:
    import odoorpc

_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


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
        self._aio: AsyncConnections | None = None
        self._lock = threading.Lock()
        self._uid: int | None = None
        self._ids = itertools.count(1)
        self._endpoint = endpoint = Endpoint.of(config.url)
        self._host = f"{endpoint.hostname}:{endpoint.port}"  # the key odoorpc's URLs give the kept-alive connection

    def _handler(self) -> KeepAliveHTTPHandler | KeepAliveHTTPSHandler:
        """The kept-alive connections every request of this transport goes over."""
        with self._lock:
            if self._http is None:
                https = self._endpoint.https
                self._http = KeepAliveHTTPSHandler(ssl_context(self.config)) if https else KeepAliveHTTPHandler()
            return self._http

    def _client(self) -> odoorpc.ODOO:
        handler = self._handler()
        with self._lock:
            if self._odoo is None:
                import odoorpc  # 35 ms of import, paid by the first JSON-RPC login only

                https = self._endpoint.https
                handlers: list[Any] = [HTTPCookieProcessor(), SameOriginRedirects(self.config), handler]
                self._odoo = self._guarded(
                    lambda: odoorpc.ODOO(
                        self._endpoint.hostname,
                        protocol="jsonrpc+ssl" if https else "jsonrpc",
                        port=self._endpoint.port,
                        timeout=self.config.timeout,
                        opener=build_opener(*handlers),
                    )
                )
            return self._odoo

    def _rpc_failure(self, error: Any, message: str) -> OdooFault:
        """Odoo's JSON-RPC `error` object as our failure (no `data`: the login was refused)."""
        info = error if isinstance(error, dict) else {}
        data = info.get("data") or {}
        if not data:
            return wrong_credentials(self.config.username, self.config.db)
        return odoo_failure(str(data.get("name") or "Error"), str(data.get("message") or message))

    def _guarded(self, action: Any) -> Any:
        with mapped_errors(self.config):  # odoorpc's RPCError included (errors.map_exception)
            return action()

    def version(self) -> dict[str, Any]:
        client = self._client()
        return self._guarded(lambda: client.json("/web/webclient/version_info", {})["result"])

    def login(self) -> int:
        """`common.login` over /jsonrpc: the RPC login, which takes an API key in place of the password
        (odoorpc's login goes through the web session, which Odoo refuses API keys on)."""
        self._handler()
        params = {"service": "common", "method": "login",
                  "args": [self.config.db, self.config.username, self.config.secret]}
        try:
            uid = self._guarded(lambda: self._post("/jsonrpc", params))
        except OdooFault as exc:
            if exc.exception in ("AccessDenied", "RPCError"):
                raise wrong_credentials(self.config.username, self.config.db) from None
            raise
        if not uid:
            raise wrong_credentials(self.config.username, self.config.db)
        self._uid = int(uid)
        return self._uid

    def _request_body(self, params: dict[str, Any]) -> bytes:
        return fastjson.dumps_bytes({"jsonrpc": "2.0", "method": "call", "params": params, "id": next(self._ids)})

    def _post(self, path: str, params: dict[str, Any]) -> Any:
        """One JSON-RPC `call` on the kept-alive connection; Odoo's `error` raised as our failure."""
        body = self._request_body(params)
        handler = self._http
        if handler is None:  # closed meanwhile
            raise OSError("the connection is closed")
        answer, data = exchange(handler.connections, self._host, "POST", path, body, _JSON_HEADERS, self.config.timeout)
        return self._result(path, answer.status, answer.reason, answer.getheader("Location"), data)

    def _result(self, path: str, status: int, reason: str, location: str | None, data: bytes) -> Any:
        """The `result` of a JSON-RPC answer (sync and async paths alike); a redirect, an HTTP error or
        Odoo's `error` raised as our failure."""
        if 300 <= status < 400:
            target = urlsplit(location or "")
            where = f"{target.scheme}://{target.netloc}" if target.netloc else "another path"
            raise unreachable(self.config, f"answered HTTP {status} redirecting to {where}: "
                                           "a call is never redirected")
        if not 200 <= status < 300:
            raise urllib.error.HTTPError(path, status, reason, None, None)  # type: ignore[arg-type]
        payload = fastjson.loads(data)
        if not isinstance(payload, dict):
            raise ValueError("the answer is not a JSON-RPC object")
        error = payload.get("error")
        if error:
            message = error.get("data", {}).get("message") if isinstance(error, dict) else None
            raise self._rpc_failure(error, str(message or error))
        return payload.get("result")

    def execute(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        uid = self._uid if self._uid is not None else self.login()
        params = {"service": "object", "method": "execute_kw",
                  "args": [self.config.db, uid, self.config.secret, model, method, args, kwargs]}
        return self._guarded(lambda: self._post("/jsonrpc", params))

    async def execute_async(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """`execute` from the event loop (`aio_http`): the same request, answer and errors, no worker
        thread. `WouldBlock` (nothing sent) until the login is done: that runs in a thread."""
        uid = self._uid
        if uid is None or self._http is None:
            raise WouldBlock("not logged in yet")
        if self._aio is None:
            self._aio = AsyncConnections.to(self._endpoint, ssl_context(self.config) if self._endpoint.https else None)
        params = {"service": "object", "method": "execute_kw",
                  "args": [self.config.db, uid, self.config.secret, model, method, args, kwargs]}
        with mapped_errors(self.config):
            answer = await self._aio.request("POST", "/jsonrpc", self._request_body(params), _JSON_HEADERS,
                                             self.config.timeout)
            return self._result("/jsonrpc", answer.status, answer.reason, answer.getheader("Location"), answer.body)

    def close(self) -> None:
        with self._lock:
            if self._odoo is not None:
                with contextlib.suppress(Exception):  # closing must not fail
                    self._odoo.logout()
                self._odoo = None
            self._uid = None
            if self._http is not None:
                self._http.connections.close()
                self._http = None
            if self._aio is not None:
                self._aio.close()
                self._aio = None
