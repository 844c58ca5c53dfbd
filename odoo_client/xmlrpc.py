"""XML-RPC through the standard library: `/xmlrpc/2/common` and `/xmlrpc/2/object`.

Each worker thread keeps its own `ServerProxy` (the stdlib proxy is not thread-safe), whose
transport keeps its HTTP/1.1 connection alive and has the per-call timeout and TLS context.
Odoo's faults carry integer codes (4 AccessError, 3 AccessDenied, 2 UserError/warning, 1 any
other error with a traceback whose last line names the exception); `errors.mapped_errors` maps them to `OdooFault`.
"""

from __future__ import annotations

import http.client
import threading
import xmlrpc.client
from typing import Any

from .errors import mapped_errors, wrong_credentials
from .settings import ConnectionConfig
from .transport import ssl_context


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


class _TimeoutSafeTransport(xmlrpc.client.SafeTransport):
    def __init__(self, timeout: float, context: Any) -> None:
        super().__init__(context=context)
        self._timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


class XmlRpcTransport:
    protocol = "xmlrpc"

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        self._local = threading.local()
        self._uid: int | None = None

    def _proxy(self, service: str) -> xmlrpc.client.ServerProxy:
        proxies = getattr(self._local, "proxies", None)
        if proxies is None:
            proxies = self._local.proxies = {}
        if service not in proxies:
            if self.config.url.startswith("https"):
                transport: xmlrpc.client.Transport = _TimeoutSafeTransport(
                    self.config.timeout, ssl_context(self.config)
                )
            else:
                transport = _TimeoutTransport(self.config.timeout)
            proxies[service] = xmlrpc.client.ServerProxy(
                f"{self.config.url}/xmlrpc/2/{service}", transport=transport, allow_none=True
            )
        return proxies[service]

    def _guarded(self, action: Any) -> Any:
        with mapped_errors(self.config):
            return action()

    def version(self) -> dict[str, Any]:
        return self._guarded(lambda: self._proxy("common").version())

    def login(self) -> int:
        uid = self._guarded(
            lambda: self._proxy("common").authenticate(self.config.db, self.config.username, self.config.secret, {})
        )
        if not uid:
            raise wrong_credentials(self.config.username, self.config.db)
        self._uid = int(uid)
        return self._uid

    def execute(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        uid = self._uid if self._uid is not None else self.login()
        return self._guarded(
            lambda: self._proxy("object").execute_kw(
                self.config.db, uid, self.config.secret, model, method, args, kwargs
            )
        )

    def close(self) -> None:
        self._uid = None
        proxies = getattr(self._local, "proxies", None) or {}
        for proxy in proxies.values():
            proxy("close")()
        self._local = threading.local()
