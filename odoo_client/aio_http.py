"""Kept-alive HTTP/1.1 on the event loop: the Odoo requests of a call sent without a worker thread.

A sync Odoo request runs in a worker thread: after Odoo's answer arrives, that thread wakes,
then wakes the event loop to hand the result back — two threads scheduled after an idle wait,
~0.2-0.3 ms a call on a loaded machine (docs/benchmarks-peers.md). Sent from the event loop,
the answer wakes only the loop. This is the smallest client that does it: one asyncio protocol
per connection, a request written in one piece, the answer parsed as it arrives (status line,
headers, a body framed by Content-Length, chunked, or the connection's end), connections kept
per host and reused, one at a time.

What the sync pool (`keepalive.py`) guarantees holds here too: TCP_NODELAY (asyncio's default
on TCP), the per-request timeout (`no answer within`), the TLS context of the connection, and a
kept-alive connection the server closed while idle replaced once — only when not one byte of an
answer arrived on it; nothing else is retried. Failures leave as `urllib.error.URLError` (its
`reason` the socket error or `TimeoutError`), the exceptions the sync path raises, so
`errors.mapped_errors` maps both the same way. A request cancelled or timed out half-way closes
its connection: it is never reused with an answer still on the way.
"""

from __future__ import annotations

import asyncio
import http.client
import ssl
import urllib.error
from dataclasses import dataclass, field

_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
MAX_HEADER_BYTES = 65536


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
        self._buffer = bytearray()
        self._waiter: asyncio.Future[Answer] | None = None
        self._eof = False
        self.lost = False
        self.received = False

    # asyncio.Protocol --------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # bytes nobody asked for (an abandoned request's answer): never reused
            self.close()
            return
        self._buffer += data
        self.received = True
        self._try_answer()

    def eof_received(self) -> bool:
        self._eof = True
        self._try_answer()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._eof = True
        self._try_answer()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc or http.client.RemoteDisconnected("Remote end closed connection "
                                                                                "without response"))

    # one request -----------------------------------------------------------------------------
    def usable(self) -> bool:
        return not self.lost and self.transport is not None and not self.transport.is_closing()

    def send(self, request: bytes) -> asyncio.Future[Answer]:
        assert self.transport is not None
        self._buffer.clear()
        self.received = False
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
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
            answer = self._parse()
        except (ValueError, http.client.HTTPException) as exc:
            self.close()
            waiter.set_exception(http.client.BadStatusLine(str(exc)) if isinstance(exc, ValueError) else exc)
            return
        if answer is not None:
            self._waiter = None
            waiter.set_result(answer)

    def _parse(self) -> Answer | None:
        """The answer when the buffer holds all of it (1xx interim answers skipped), else None."""
        buffer = self._buffer
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEADER_BYTES:
                    raise http.client.LineTooLong("header block")
                if self._eof:
                    if buffer:
                        raise http.client.IncompleteRead(bytes(buffer))
                    raise http.client.RemoteDisconnected("Remote end closed connection without response")
                return None
            lines = bytes(buffer[:end]).decode("iso-8859-1").split("\r\n")
            version, _, rest = lines[0].partition(" ")
            code, _, reason = rest.partition(" ")
            if not version.startswith("HTTP/") or not code.isdigit():
                raise http.client.BadStatusLine(lines[0])
            status = int(code)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, colon, value = line.partition(":")
                if not colon:
                    raise http.client.BadStatusLine(line)
                key = name.strip().lower()
                headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
            if 100 <= status < 200:
                del buffer[: end + 4]  # an interim answer: the real one follows
                continue
            body_start = end + 4
            connection = headers.get("connection", "").lower()
            will_close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
            if status in (204, 304):
                return Answer(status, reason, headers, b"", will_close)
            if "chunked" in headers.get("transfer-encoding", "").lower():
                body = self._chunked(body_start)
                return None if body is None else Answer(status, reason, headers, body, will_close)
            length = headers.get("content-length")
            if length is not None:
                size = int(length)
                if size < 0:
                    raise ValueError(f"Content-Length {length}")
                if len(buffer) - body_start < size:
                    if self._eof:
                        raise http.client.IncompleteRead(bytes(buffer[body_start:]), size)
                    return None
                return Answer(status, reason, headers, bytes(buffer[body_start:body_start + size]), will_close)
            if not self._eof:  # the body ends with the connection
                return None
            return Answer(status, reason, headers, bytes(buffer[body_start:]), True)

    def _chunked(self, start: int) -> bytes | None:
        buffer, position, parts = self._buffer, start, []
        while True:
            line_end = buffer.find(b"\r\n", position)
            if line_end < 0:
                break
            size = int(bytes(buffer[position:line_end]).split(b";", 1)[0].strip(), 16)
            if size == 0:
                trailer_end = buffer.find(b"\r\n\r\n", line_end)  # trailers (none, usually) end with an empty line
                if trailer_end < 0 and buffer[line_end:line_end + 4] != b"\r\n\r\n":
                    break
                return b"".join(parts)
            chunk_start = line_end + 2
            if len(buffer) < chunk_start + size + 2:
                break
            parts.append(bytes(buffer[chunk_start:chunk_start + size]))
            position = chunk_start + size + 2
        if self._eof:
            raise http.client.IncompleteRead(b"".join(parts))
        return None


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
        head = [f"{method} {path} HTTP/1.1", f"Host: {self._host_header}", "Accept-Encoding: identity"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        if body is not None or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body or b'')}")
        request = ("\r\n".join(head) + "\r\n\r\n").encode("iso-8859-1") + (body or b"")
        for attempt in range(2):
            connection = self._take()
            reused = connection is not None
            try:
                if connection is None:
                    connection = await self._open(timeout)
                answer = await self._exchange(connection, request, timeout)
            except _STALE as exc:
                if connection is not None:
                    connection.close()
                if reused and attempt == 0 and connection is not None and not connection.received:
                    continue  # the server closed the idle connection: send once more on a new one
                raise urllib.error.URLError(exc) from None
            except (TimeoutError, OSError, http.client.HTTPException) as exc:
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
    async def _exchange(connection: _Connection, request: bytes, timeout: float | None) -> Answer:
        waiter = connection.send(request)
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
