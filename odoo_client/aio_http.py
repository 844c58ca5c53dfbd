"""Kept-alive HTTP/1.1 on the event loop: the Odoo requests of a call sent without a worker thread.

A sync Odoo request runs in a worker thread: after Odoo's answer arrives, that thread wakes,
then wakes the event loop to hand the result back — two threads scheduled after an idle wait,
~0.2-0.3 ms a call on a loaded machine (docs/benchmarks-peers.md). Sent from the event loop,
the answer wakes only the loop. This is the smallest client that does it: one asyncio protocol
per connection, a request written in one piece, connections kept per host and reused, one at a
time. The HTTP/1.1 itself — the request's framing, the answer's status line, headers and body
(Content-Length, chunked, or ended by the connection's close; 1xx interim answers skipped), and
whether the connection may carry another request — is `h11`'s (python-hyper's sans-IO HTTP/1.1),
through its public API: what a broken or hostile server sends (a malformed status line or
header, a bad chunk, a header block over `MAX_HEADER_BYTES`, a body shorter than its
Content-Length) is its `RemoteProtocolError`, and the connection is closed, never reused.

What the sync pool (`keepalive.py`) guarantees holds here too: TCP_NODELAY (asyncio's default
on TCP), the per-request timeout (`no answer within`), the TLS context of the connection, and a
kept-alive connection the server closed while idle replaced once — only when not one byte of an
answer arrived on it; nothing else is retried. Failures leave as `urllib.error.URLError` (its
`reason` the socket error, `TimeoutError`, or the protocol error), the exceptions the sync path
raises, so `errors.mapped_errors` maps both the same way. A request cancelled or timed out
half-way closes its connection: it is never reused with an answer still on the way; so does an
answer followed by bytes nobody asked for.
"""

from __future__ import annotations

import asyncio
import http.client
import ssl
import urllib.error
from dataclasses import dataclass, field

import h11

from .endpoint import Endpoint

_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
MAX_HEADER_BYTES = 65536  # the largest status line + header block (or chunk header) read before refusing


class InvalidAnswer(http.client.HTTPException):
    """The server's bytes are not a valid HTTP/1.1 answer (h11's `RemoteProtocolError`), in one short line."""

    @classmethod
    def of(cls, error: h11.RemoteProtocolError) -> InvalidAnswer:
        if error.error_status_hint == 431:  # h11's "Receive buffer too long"
            return cls(f"status line and headers over {MAX_HEADER_BYTES} bytes")
        problem = str(error)  # h11 quotes the offending line: what the server sent, kept short
        return cls(problem if len(problem) <= 160 else problem[:157] + "...")

    def __str__(self) -> str:
        return f"invalid HTTP answer: {self.args[0]}"


@dataclass
class Answer:
    """An HTTP answer read whole: status, reason, headers (names lower-cased), body."""

    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    will_close: bool = False

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


class _Connection(asyncio.Protocol):
    """One kept-alive connection: bytes in, at most one answer awaited at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._http = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)
        self._waiter: asyncio.Future[Answer] | None = None
        self._answer: Answer | None = None
        self._body: list[bytes | bytearray] = []
        self.lost = False
        self.received = False

    # asyncio.Protocol --------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # bytes nobody asked for (an abandoned request's answer): never reused
            self.close()
            return
        self.received = True
        self._http.receive_data(data)
        self._try_answer()

    def eof_received(self) -> bool:
        self._ended()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        waiter = self._waiter
        if waiter is not None and not waiter.done() and exc is not None:
            self._waiter = None
            waiter.set_exception(exc)
            return
        self._ended()

    def _ended(self) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if not self.received:  # not one byte of an answer: the server closed a connection it held idle
            self._waiter = None
            waiter.set_exception(http.client.RemoteDisconnected("Remote end closed connection without response"))
            return
        if not self._http.trailing_data[1]:
            self._http.receive_data(b"")
        self._try_answer()

    # one request -----------------------------------------------------------------------------
    def usable(self) -> bool:
        return not self.lost and self.transport is not None and not self.transport.is_closing()

    def send(self, request: h11.Request, body: bytes | None) -> asyncio.Future[Answer]:
        assert self.transport is not None
        http11 = self._http
        if http11.our_state is h11.DONE and http11.their_state is h11.DONE:
            http11.start_next_cycle()
        data = http11.send(request)
        if body:
            data += http11.send(h11.Data(data=body))
        data += http11.send(h11.EndOfMessage())
        self.received = False
        self._answer, self._body = None, []
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self._waiter

    def close(self) -> None:
        self.lost = True
        if self.transport is not None:
            self.transport.close()

    def _try_answer(self) -> None:
        waiter = self._waiter
        if waiter is None:
            return
        if waiter.done():  # its request was abandoned (cancelled, timed out) half-way
            self.close()
            return
        try:
            answer = self._read()
        except h11.RemoteProtocolError as exc:
            self.close()
            self._waiter = None
            waiter.set_exception(InvalidAnswer.of(exc))
            return
        if answer is not None:
            self._waiter = None
            waiter.set_result(answer)

    def _read(self) -> Answer | None:
        """The answer once h11 has read all of it (1xx interim answers skipped), else None."""
        http11 = self._http
        while True:
            event = http11.next_event()
            if event is h11.NEED_DATA:
                return None
            if isinstance(event, h11.Data):
                self._body.append(event.data)
            elif isinstance(event, h11.Response):
                headers: dict[str, str] = {}
                for raw_name, raw_value in event.headers:
                    name, value = raw_name.decode("ascii"), raw_value.decode("iso-8859-1")
                    headers[name] = f"{headers[name]}, {value}" if name in headers else value
                self._answer = Answer(event.status_code, event.reason.decode("iso-8859-1"), headers)
            elif isinstance(event, h11.EndOfMessage):
                answer = self._answer
                assert answer is not None
                answer.body = b"".join(self._body)
                # reused only when h11 says both sides are done and nothing followed the answer
                answer.will_close = (http11.their_state is not h11.DONE or http11.our_state is not h11.DONE
                                     or bool(http11.trailing_data[0]))
                return answer
            elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                raise h11.RemoteProtocolError("connection closed before the answer")  # not reached: h11 raises first
            # InformationalResponse (100 Continue...): the real answer follows


class AsyncConnections:
    """Kept-alive connections to one server, for the event loop they were opened on.

    Each request takes an idle connection (or opens one) and gives it back once its answer is
    read whole; concurrent requests use one connection each. Used from one event loop thread
    only; a pool first used on another loop (a test's, a restarted server's) starts afresh.
    """

    def __init__(self, host: str, port: int, context: ssl.SSLContext | None, host_header: str) -> None:
        self._host, self._port, self._context, self._host_header = host, port, context, host_header
        self._idle: list[_Connection] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def to(cls, endpoint: Endpoint, context: ssl.SSLContext | None) -> AsyncConnections:
        """The pool for `endpoint` (`context`: its TLS context, None for plain HTTP)."""
        return cls(endpoint.hostname, endpoint.port, context, endpoint.host_header)

    async def _open(self, timeout: float | None) -> _Connection:
        loop = asyncio.get_running_loop()
        connect = loop.create_connection(_Connection, self._host, self._port, ssl=self._context,
                                         server_hostname=self._host if self._context is not None else None)
        _, protocol = await asyncio.wait_for(connect, timeout)
        return protocol

    def _take(self) -> _Connection | None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._idle, self._loop = [], loop
        while self._idle:
            connection = self._idle.pop()
            if connection.usable():
                return connection
        return None

    async def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str],
                      timeout: float | None) -> Answer:
        """Send one request and read its answer whole; `URLError` on any failure (see the module)."""
        head = [("Host", self._host_header), ("Accept-Encoding", "identity"), *headers.items()]
        if body is not None or method in ("POST", "PUT", "PATCH"):
            head.append(("Content-Length", str(len(body or b""))))
        try:
            request = h11.Request(method=method, target=path, headers=head)
        except h11.LocalProtocolError as exc:
            raise urllib.error.URLError(exc) from None
        for attempt in range(2):
            connection = self._take()
            reused = connection is not None
            try:
                if connection is None:
                    connection = await self._open(timeout)
                answer = await self._exchange(connection, request, body, timeout)
            except _STALE as exc:
                if connection is not None:
                    connection.close()
                if reused and attempt == 0 and connection is not None and not connection.received:
                    continue  # the server closed the idle connection: send once more on a new one
                raise urllib.error.URLError(exc) from None
            except (TimeoutError, OSError, http.client.HTTPException, h11.ProtocolError) as exc:
                if connection is not None:
                    connection.close()
                reason = TimeoutError("timed out") if isinstance(exc, asyncio.TimeoutError) else exc
                raise urllib.error.URLError(reason) from None
            except BaseException:  # cancelled: an answer may still be on its way, the connection is spent
                if connection is not None:
                    connection.close()
                raise
            if answer.will_close:
                connection.close()
            else:
                self._idle.append(connection)
            return answer
        raise AssertionError("unreachable")

    @staticmethod
    async def _exchange(connection: _Connection, request: h11.Request, body: bytes | None,
                        timeout: float | None) -> Answer:
        waiter = connection.send(request, body)
        if timeout is None:
            return await waiter
        loop = asyncio.get_running_loop()
        timer = loop.call_later(timeout, _expire, waiter)
        try:
            return await waiter
        finally:
            timer.cancel()

    def close(self) -> None:
        """Close the idle connections (from any thread: the loop they belong to closes them)."""
        idle, self._idle = self._idle, []
        loop = self._loop
        for connection in idle:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if loop is not None and loop.is_closed():
                continue  # its loop ended: the sockets went with it
            if loop is None or running is loop:
                connection.close()
            else:
                loop.call_soon_threadsafe(connection.close)


def _expire(waiter: asyncio.Future[Answer]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError("timed out"))
