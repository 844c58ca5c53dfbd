"""XML-RPC: `/xmlrpc/2/common` and `/xmlrpc/2/object`, on the same kept-alive connections as JSON-RPC.

A request is the body `xmlrpc.client.ServerProxy` sends (`xmlrpc_codec.dumps_call`), posted on
the worker thread's kept-alive `http.client` connection (`keepalive.py`: TCP_NODELAY, the
per-call timeout and TLS context, a connection the server closed while idle replaced once) or,
for a read on a logged-in connection, from the event loop (`aio_http.py`, `execute_async`) with
no worker thread at all (an answer over `PARSE_ON_LOOP_MAX` is read in one). Either way the
answer is read by the same code (`_answer`): an HTTP status other than 200 is
`xmlrpc.client.ProtocolError` as `ServerProxy` raises it, a body read by
`xmlrpc_codec.loads_answer` (~2.4x less CPU than `xmlrpc.client.loads`, the same values, a
malformed answer refused whole). A gzip answer (which this client does not ask for) is decoded
as `ServerProxy` decoded it; another content encoding is refused.

Odoo's faults carry integer codes (4 AccessError, 3 AccessDenied, 2 UserError/warning, 1 any
other error with a traceback whose last line names the exception); `errors.mapped_errors` maps
them to `OdooFault`, on both paths.

`xmlrpc.client.ServerProxy` did this before, through a `Transport` per thread: its answer
parsed in 1 KB pieces by Python callbacks (~2.7 ms of CPU for 100 records, most of an XML-RPC
call's cost), the request's headers and body in two sends, and every call in a worker thread
(docs/benchmarks-peers.md, "XML-RPC (issue 26)").
"""

from __future__ import annotations

import threading
import xmlrpc.client
from typing import Any

import anyio.to_thread

from .aio_http import AsyncConnections
from .endpoint import Endpoint
from .errors import WouldBlock, mapped_errors, wrong_credentials
from .keepalive import Connections, exchange
from .settings import ConnectionConfig
from .transport import ssl_context
from .xmlrpc_codec import MalformedAnswer, dumps_call, loads_answer

PARSE_ON_LOOP_MAX = 128 * 1024
"""Answers up to this size are read on the event loop (~1 ms for 100 records, 35 KB); a bigger one
(up to 2,000 records of many fields: tens of ms) in a worker thread, so the other calls go on."""
_HEADERS = {"Content-Type": "text/xml", "User-Agent": xmlrpc.client.Transport.user_agent}


class XmlRpcTransport:
    protocol = "xmlrpc"

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._uid: int | None = None
        self._connections: Connections | None = None
        self._aio: AsyncConnections | None = None
        self._endpoint = Endpoint.of(config.url)
        self._host = self._endpoint.host_header  # as http.client and ServerProxy write it

    def _pool(self) -> Connections:
        with self._lock:
            if self._connections is None:
                self._connections = Connections(ssl_context(self.config) if self._endpoint.https else None)
            return self._connections

    def _answer(self, service: str, status: int, reason: str, headers: Any, body: bytes) -> Any:
        """What `ServerProxy` returned for this answer (sync and event-loop paths alike)."""
        if status != 200:
            raise xmlrpc.client.ProtocolError(f"{self._host}/xmlrpc/2/{service}", status, reason, dict(headers))
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding == "gzip":
            body = xmlrpc.client.gzip_decode(body)  # its 20 MiB limit: ValueError, "unexpected answer"
        elif encoding != "identity":
            raise MalformedAnswer(f"answer in a content encoding not asked for ({encoding[:40]})")
        return loads_answer(body)

    def _call(self, service: str, method: str, params: tuple[Any, ...]) -> Any:
        with mapped_errors(self.config):
            answer, data = exchange(self._pool(), self._host, "POST", f"/xmlrpc/2/{service}",
                                    dumps_call(method, params), _HEADERS, self.config.timeout)
            headers = {name.lower(): value for name, value in answer.getheaders()}
            return self._answer(service, answer.status, answer.reason, headers, data)

    def version(self) -> dict[str, Any]:
        return self._call("common", "version", ())

    def login(self) -> int:
        config = self.config
        uid = self._call("common", "authenticate", (config.db, config.username, config.secret, {}))
        if not uid:
            raise wrong_credentials(config.username, config.db)
        self._uid = int(uid)
        return self._uid

    def _execute_params(self, uid: int, model: str, method: str, args: list[Any],
                        kwargs: dict[str, Any]) -> tuple[Any, ...]:
        return (self.config.db, uid, self.config.secret, model, method, args, kwargs)

    def execute(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        uid = self._uid if self._uid is not None else self.login()
        return self._call("object", "execute_kw", self._execute_params(uid, model, method, args, kwargs))

    async def execute_async(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """`execute` from the event loop (`aio_http`): the same request, answer and errors, no worker
        thread. `WouldBlock` (nothing sent) until the login is done: that runs in a thread."""
        uid = self._uid
        if uid is None:
            raise WouldBlock("not logged in yet")
        if self._aio is None:
            self._aio = AsyncConnections.to(self._endpoint, ssl_context(self.config) if self._endpoint.https else None)
        with mapped_errors(self.config):
            body = dumps_call("execute_kw", self._execute_params(uid, model, method, args, kwargs))
            answer = await self._aio.request("POST", "/xmlrpc/2/object", body, _HEADERS, self.config.timeout)
            if len(answer.body) > PARSE_ON_LOOP_MAX:  # a big answer is read in a thread: the loop keeps serving
                return await anyio.to_thread.run_sync(self._answer, "object", answer.status, answer.reason,
                                                      answer.headers, answer.body)
            return self._answer("object", answer.status, answer.reason, answer.headers, answer.body)

    def close(self) -> None:
        self._uid = None
        with self._lock:
            connections, self._connections = self._connections, None
            aio, self._aio = self._aio, None
        if connections is not None:
            connections.close()
        if aio is not None:
            aio.close()
