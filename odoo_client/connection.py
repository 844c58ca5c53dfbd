"""One Odoo connection: a transport plus login state, one re-login on a dropped session.

The login happens on first use and is kept; when Odoo answers that the session expired, the
connection logs in again once and repeats the call (a second expiry is reported, not looped).
The record operations the tools need are thin wrappers over `execute`, written once for all
three protocols.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

from .errors import SessionExpired
from .settings import ConnectionConfig
from .transport import Transport

if TYPE_CHECKING:
    from .web import WebSession

TRANSPORTS: dict[str, tuple[str, str]] = {
    "jsonrpc": (".jsonrpc", "JsonRpcTransport"),
    "xmlrpc": (".xmlrpc", "XmlRpcTransport"),
    "json2": (".json2", "Json2Transport"),
}
"""Protocol → (module, class): a transport's module (urllib, xmlrpc.client, ...) is imported when a
connection first uses that protocol, not at start-up."""


def transport_class(protocol: str) -> type:
    module, name = TRANSPORTS[protocol]
    return getattr(importlib.import_module(module, __package__), name)


class OdooConnection:
    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        self.transport: Transport = transport_class(config.protocol)(config)
        self._web: WebSession | None = None
        self._lock = threading.Lock()
        self._uid: int | None = None
        self._version: dict[str, Any] | None = None
        self.logins = 0

    @property
    def alias(self) -> str:
        return self.config.alias

    def _login(self) -> int:
        uid = self.transport.login()
        self.logins += 1
        self._uid = uid
        return uid

    def uid(self) -> int:
        with self._lock:
            return self._uid if self._uid is not None else self._login()

    def execute(self, model: str, method: str, args: list[Any] | None = None,
                kwargs: dict[str, Any] | None = None) -> Any:
        self.uid()
        try:
            return self.transport.execute(model, method, list(args or []), dict(kwargs or {}))
        except SessionExpired:
            with self._lock:
                self._login()
            return self.transport.execute(model, method, list(args or []), dict(kwargs or {}))

    def version(self) -> dict[str, Any]:
        if self._version is None:
            self._version = self.transport.version()
        return self._version

    def major_version(self) -> int:
        info = self.version().get("server_version_info") or []
        try:
            return int(info[0])
        except (IndexError, TypeError, ValueError):
            text = str(self.version().get("server_version") or "0")
            digits = "".join(ch for ch in text.split(".")[0] if ch.isdigit())
            return int(digits or 0)

    def report_pdf(self, report_name: str, ids: list[int]) -> bytes:
        with self._lock:
            if self._web is None:
                from .web import WebSession  # httpx, imported only when a report is first asked for

                self._web = WebSession(self.config)
        return self._web.report_pdf(report_name, ids)

    def refresh(self) -> None:
        """Forget the login and cached facts: the next call logs in again."""
        with self._lock:
            self._uid = None
            self._version = None

    def describe(self) -> dict[str, Any]:
        return {**self.config.describe(), "logged_in": self._uid is not None, "uid": self._uid}

    def close(self) -> None:
        self.transport.close()
        if self._web is not None:
            self._web.close()
