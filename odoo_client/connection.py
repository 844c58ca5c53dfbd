"""One Odoo connection: a transport plus login state, one re-login on a dropped session.

On first use the connection asks the server what it is (`detect.server_version`) and picks its
protocol (`detect.choose`: JSON-2 from 19.0 with an API key, JSON-RPC otherwise, an explicit
setting winning); the version is kept, so tools that differ by version decide from
`major_version()` without asking again. The login happens on first use and is kept; when Odoo
answers that the session expired, the connection logs in again once and repeats the call (a
second expiry is reported, not looped). The record operations the tools need are thin wrappers
over `execute`, written once for all three protocols.

`execute_async` is the same call from the event loop, for a read: on a logged-in connection
whose transport can send it there (JSON-RPC, JSON-2, XML-RPC: `aio_http.py`) no worker thread
is involved; otherwise (first call, login, a session to renew, a method that changes data) it
runs `execute` in a worker thread, which a cancellation waits for — a cancelled call never
leaves a write half-sent. Code that runs on the event loop and may need Odoo (a schema
look-up) runs inside `no_blocking()`: a blocking request there raises `WouldBlock` before
anything is sent, and the caller runs that step in a worker thread instead.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from . import detect
from .errors import ConfigError, SessionExpired, WouldBlock
from .settings import ConnectionConfig
from .transport import Transport

if TYPE_CHECKING:
    from .web import ReportSession

TRANSPORTS: dict[str, tuple[str, str]] = {
    "jsonrpc": (".jsonrpc", "JsonRpcTransport"),
    "xmlrpc": (".xmlrpc", "XmlRpcTransport"),
    "json2": (".json2", "Json2Transport"),
}
"""Protocol → (module, class): a transport's module (urllib, xmlrpc.client, ...) is imported when a
connection first uses that protocol, not at start-up."""


READ_METHODS = frozenset({"search_read", "read", "search", "search_count", "fields_get", "read_group",
                          "formatted_read_group", "name_search", "web_search_read", "web_read"})
"""The methods `execute_async` sends from the event loop (a cancellation may abandon their answer);
any other runs in a worker thread that a cancellation waits for."""

_NO_BLOCKING: contextvars.ContextVar[bool] = contextvars.ContextVar("odoo_no_blocking", default=False)


@contextlib.contextmanager
def no_blocking() -> Iterator[None]:
    """Inside: a blocking Odoo request (`execute`, a login, a version look-up) raises `WouldBlock`."""
    token = _NO_BLOCKING.set(True)
    try:
        yield
    finally:
        _NO_BLOCKING.reset(token)


def _may_block() -> None:
    if _NO_BLOCKING.get():
        raise WouldBlock("a blocking Odoo request inside no_blocking()")


def transport_class(protocol: str) -> type:
    module, name = TRANSPORTS[protocol]
    return getattr(importlib.import_module(module, __package__), name)


class OdooConnection:
    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        self._transport: Transport | None = None
        self._protocol: str | None = None
        self._web: ReportSession | None = None
        self._lock = threading.Lock()
        self._choosing = threading.Lock()  # not `_lock`: the login (under `_lock`) builds the transport
        self._uid: int | None = None
        self._version: dict[str, Any] | None = None
        self.logins = 0

    @property
    def alias(self) -> str:
        return self.config.alias

    @property
    def transport(self) -> Transport:
        """The transport of the protocol chosen for this server (asked on first use)."""
        if self._transport is None:
            protocol = self.protocol
            with self._choosing:
                if self._transport is None:
                    self._transport = transport_class(protocol)(self.config)
        return self._transport

    @property
    def protocol(self) -> str:
        """The protocol spoken: the configured one, or the one `detect.choose` picks for this server.

        A password-only `auto` connection needs no question (JSON-RPC); otherwise the server's version
        decides, and an explicit json2 on an Odoo without JSON-2 is refused naming the setting."""
        if self._protocol is None:
            config = self.config
            if config.protocol == "auto" and not config.api_key:
                self._protocol = "jsonrpc"
            elif config.protocol in ("jsonrpc", "xmlrpc"):
                self._protocol = config.protocol
            else:
                self._protocol = detect.choose(config, self.version())
        return self._protocol

    def _login(self) -> int:
        uid = self.transport.login()
        self.logins += 1
        self._uid = uid
        return uid

    def uid(self) -> int:
        with self._lock:
            if self._uid is not None:
                return self._uid
            _may_block()
            return self._login()

    def execute(self, model: str, method: str, args: list[Any] | None = None,
                kwargs: dict[str, Any] | None = None) -> Any:
        _may_block()
        self.uid()
        try:
            return self.transport.execute(model, method, list(args or []), dict(kwargs or {}))
        except SessionExpired:
            self._relogin()
            return self.transport.execute(model, method, list(args or []), dict(kwargs or {}))

    async def execute_async(self, model: str, method: str, args: list[Any] | None = None,
                            kwargs: dict[str, Any] | None = None) -> Any:
        """`execute` for a caller on the event loop (see the module): there when it can be, else in a thread."""
        transport = self._transport
        send = getattr(transport, "execute_async", None)
        if self._uid is None or send is None or method not in READ_METHODS:
            return await anyio.to_thread.run_sync(self.execute, model, method, args, kwargs)
        positional, named = list(args or []), dict(kwargs or {})
        try:
            return await send(model, method, positional, named)
        except WouldBlock:
            return await anyio.to_thread.run_sync(self.execute, model, method, args, kwargs)
        except SessionExpired:
            await anyio.to_thread.run_sync(self._relogin)
            return await send(model, method, positional, named)

    def _relogin(self) -> None:
        with self._lock:
            self._login()

    def version(self) -> dict[str, Any]:
        """The server's `common.version` (asked once, no login needed)."""
        if self._version is None:
            _may_block()
            self._version = self._transport.version() if self._transport else detect.server_version(self.config)
        return self._version

    def major_version(self) -> int:
        return detect.major_of(self.version())

    def report_pdf(self, report_name: str, ids: list[int]) -> bytes:
        """A PDF from `/report/pdf`, through a web session: Odoo opens one with a password only (it
        refuses API keys there, and ignores a bearer key on that route), on every protocol."""
        if not self.config.password:
            raise ConfigError(
                f"reports need an Odoo web session, which Odoo opens with a password only (never an API key): "
                f"set {self.config.setting('password')} to use odoo_report"
            )
        with self._lock:
            if self._web is None:
                from .web import ReportSession  # httpx (~70 ms of import), only when a report is first asked for

                self._web = ReportSession(self.config)
        return self._web.report_pdf(report_name, ids)

    def refresh(self) -> None:
        """Forget the login and cached facts: the next call logs in again."""
        with self._lock:
            self._uid = None
            self._version = None

    def describe(self) -> dict[str, Any]:
        return {**self.config.describe(), "protocol": self._protocol or self.config.protocol,
                "logged_in": self._uid is not None, "uid": self._uid}

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        if self._web is not None:
            self._web.close()
