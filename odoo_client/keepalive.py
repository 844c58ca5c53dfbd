"""Kept-alive HTTP for `odoorpc`: urllib handlers that reuse one connection per thread and host.

odoorpc speaks through `urllib`, whose handlers open a new TCP (and TLS) connection for
every request and send `Connection: close`. Against an Odoo over HTTPS that is a full TLS
handshake per call. These handlers keep one `http.client` connection per worker thread and
host, read each answer whole (so the connection is ready for the next request), and keep
urllib's contract for everything above them (cookies, error processing).

A kept-alive connection that the server closed while it was idle fails on its next use
before any answer arrives (`RemoteDisconnected`, a reset, a broken pipe): that request is
sent once more on a fresh connection. Nothing is retried on a fresh connection, after a
timeout, or once any part of an answer was read.
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import threading
import urllib.error
import urllib.request
import urllib.response
from typing import Any

_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class _NoDelay:
    """TCP_NODELAY: on a kept-alive connection a small request must not wait for the last ACK."""

    sock: socket.socket

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _NoDelayHTTPConnection(_NoDelay, http.client.HTTPConnection):
    pass


class _NoDelayHTTPSConnection(_NoDelay, http.client.HTTPSConnection):
    pass


class Connections:
    """One connection per (thread, host); every one is remembered so `close()` can end them all."""

    def __init__(self, context: ssl.SSLContext | None) -> None:
        self._context = context
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def get(self, host: str, timeout: float | None) -> tuple[http.client.HTTPConnection, bool]:
        """The thread's connection to `host` and whether it served a request before."""
        mine: dict[str, http.client.HTTPConnection] = self._local.__dict__.setdefault("connections", {})
        connection = mine.get(host)
        if connection is not None:
            connection.timeout = timeout
            if connection.sock is not None:
                connection.sock.settimeout(timeout)
            return connection, True
        if self._context is None:
            connection = _NoDelayHTTPConnection(host, timeout=timeout)
        else:
            connection = _NoDelayHTTPSConnection(host, timeout=timeout, context=self._context)
        mine[host] = connection
        with self._lock:
            self._all.append(connection)
        return connection, False

    def drop(self, host: str) -> None:
        connection = self._local.__dict__.get("connections", {}).pop(host, None)
        if connection is not None:
            connection.close()

    def close(self) -> None:
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            connection.close()


def exchange(
    connections: Connections, host: str, method: str, selector: str, body: bytes | None,
    headers: dict[str, str], timeout: float | None,
) -> tuple[http.client.HTTPResponse, bytes]:
    """One request on the thread's kept-alive connection to `host`: the answer (headers read) and its body.

    A connection the server closed while idle is replaced once; every other failure leaves as
    `urllib.error.URLError` (its `reason` the socket error), as urllib itself would raise it.
    """
    for attempt in range(2):
        connection, reused = connections.get(host, timeout)
        try:
            connection.request(method, selector, body, headers)
            answer = connection.getresponse()
            data = answer.read()
        except _STALE as exc:
            connections.drop(host)
            if reused and attempt == 0:
                continue  # the server closed the idle connection: send once more on a new one
            raise urllib.error.URLError(exc) from None
        except (OSError, http.client.HTTPException) as exc:
            connections.drop(host)
            raise urllib.error.URLError(exc) from None
        if answer.will_close:
            connections.drop(host)
        return answer, data
    raise AssertionError("unreachable")


def _open(connections: Connections, request: urllib.request.Request) -> urllib.response.addinfourl:
    headers = {key.title(): value for key, value in {**request.unredirected_hdrs, **request.headers}.items()}
    answer, body = exchange(
        connections, request.host, request.get_method(), request.selector, request.data, headers, request.timeout
    )
    result = urllib.response.addinfourl(io.BytesIO(body), answer.headers, request.get_full_url(), answer.status)
    result.msg = answer.reason  # what urllib's error processing reads
    return result


class KeepAliveHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self) -> None:
        super().__init__()
        self.connections = Connections(None)

    def http_open(self, req: urllib.request.Request) -> Any:
        return _open(self.connections, req)


class KeepAliveHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self.connections = Connections(context)

    def https_open(self, req: urllib.request.Request) -> Any:
        return _open(self.connections, req)
