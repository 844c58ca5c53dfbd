"""Serve MCP over stdio without a thread hop per line.

The SDK's `stdio_server()` reads stdin and writes stdout through `anyio.wrap_file`: every line
read, every write and every flush is a trip to a worker thread and back, three per tool call,
each a thread wake-up that costs most on a loaded machine. Here the same two descriptors are
read and written by the event loop itself (asyncio pipe transports, non-blocking), and handed to
the SDK's server loop (`Server.run`) as its read and write streams: every line is parsed as the
SDK's `stdio_server()` parses it and every answer written as it writes it, but by the task that
reads or answers, without the transport's own reader and writer tasks and their two memory
streams (a task switch and a pass of the event loop each way per call). The descriptors are
claimed as the SDK claims them (fd 0 pointed at the null device and fd 1 at stderr while
serving, so a handler's stray `print` never reaches the wire; both restored on exit).

Where that is not possible (stdin is a regular file, Windows), the SDK's threaded
`stdio_server()` serves instead: slower, never different.

On the event-loop path the session's `initialize` and first `tools/list` are answered before
the SDK is even imported (`fast_start`), and the SDK takes the session over from there.

Which path each message takes on the event-loop path, once the SDK has taken over:

- a `tools/call` of a native tool that needs nothing of the SDK's session — plain `name` and
  `arguments`, no `_meta` (progress token), no approval answer, on a session the SDK initialised
  with a handshake-era revision, a tool the policy can never put to a human, no
  `tools/list_changed` pending after a reload — is answered by `fast_call` (the same guarded
  tool, the same answer bytes, in a task of its own; cancellable by `notifications/cancelled`);
- everything else — `initialize`, `tools/list`, every notification (a cancellation of a fast
  call too, after it took effect here), a mounted server's tool, a call that may ask for an
  approval, anything before `initialize`, the 2026-07-28 protocol — goes to the SDK's
  `Server.run`, as before. `ODOO_MCP_FAST_CALLS=0` sends every call to the SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any, Self

import anyio
import orjson

if sys.platform != "win32":
    import fcntl

from foundation import fastjson
from odoo_mcp.wire.fast_call import FastPath, attached
from odoo_mcp.wire.fast_start import early_tools_list
from odoo_mcp.wire.handshake import early_initialize, is_first_page_request, is_initialized_notification, response

_LIST_CHANGED = b'{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n'
_LINE_LIMIT = 1 << 30
"""One JSON-RPC line may be large (a base64 upload): asyncio's 64 KiB default would refuse it."""


class _Lines:
    """`async for line in stdin` over an asyncio StreamReader (what the SDK's reader iterates)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> str:
        line = await self._reader.readline()
        if not line:
            raise StopAsyncIteration
        return line.decode("utf-8", errors="replace")


class _Replayed:
    """Lines read before the SDK was there, then the rest of stdin: what the SDK's reader iterates."""

    def __init__(self, replay: list[str], lines: _Lines) -> None:
        self._replay = list(replay)
        self._lines = lines

    def __aiter__(self) -> _Replayed:
        return self

    async def __anext__(self) -> str:
        if self._replay:
            return self._replay.pop(0)
        return await self._lines.__anext__()


class _Writer:
    """`await stdout.write(text)` / `await stdout.flush()` over an asyncio pipe transport.

    `answered` maps the ids of requests already answered early (`initialize`, the first
    `tools/list`) to what was answered: the SDK is given them again (so its session state, and
    the list it remembers having shown, are what the client saw), and its answers are not sent a
    second time. Should the SDK list other tools than the early answer did (a policy reloaded in
    between), the client is told its list changed instead.
    """

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._answered: dict[Any, Any] = {}

    async def send(self, message: dict[str, Any]) -> None:
        """Write an early answer and wait until all of it is in the pipe.

        A tools/list answer (~75 KB) is larger than a pipe holds, and `drain()` returns once the
        rest fits under the high-water mark — but building the server right after blocks the loop,
        so the tail of the answer would wait for it (measured: 0.35 s more before the client had
        its list). With the high-water mark at 0 for this one write, `drain()` waits for the last byte.
        """
        self._writer.write(fastjson.dumps_bytes(message) + b"\n")
        transport = self._writer.transport
        low, high = transport.get_write_buffer_limits()
        transport.set_write_buffer_limits(high=0)
        try:
            await self._writer.drain()
        finally:
            transport.set_write_buffer_limits(high=high, low=low)

    async def write(self, text: str) -> None:
        self.write_line(text.encode("utf-8"))

    def write_line(self, data: bytes) -> None:
        """Put one JSON-RPC line into the pipe's buffer (or drop the SDK's copy of an early answer)."""
        if self._answered:
            try:
                message = fastjson.loads(data)
            except ValueError:
                message = None
            if isinstance(message, dict) and "method" not in message and message.get("id") in self._answered:
                early = self._answered.pop(message["id"])
                if "error" in message:  # the client holds our answer; say loudly that the SDK disagreed
                    text = data.decode("utf-8", errors="replace").strip()
                    print(f"odoo-mcp: the SDK refused a replayed request: {text}", file=sys.stderr)
                elif early.get("tools") is not None and message.get("result") != early:
                    self._writer.write(_LIST_CHANGED)
                return
        self._writer.write(data)

    async def flush(self) -> None:
        await self._writer.drain()

    async def answer(self, data: bytes) -> None:
        """Write one whole line of a call answered without the SDK (`fast_call`), and drain."""
        self._writer.write(data)
        await self._writer.drain()


class _Stream:
    """What `Server.run` asks of a stream besides sending or receiving: to be closed, and an async context."""

    _closed = False

    def close(self) -> None:
        self._closed = True

    async def aclose(self) -> None:
        self._closed = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closed = True


class _Messages(_Stream):
    """The read stream `Server.run` consumes: each line parsed into a message as the SDK's
    `stdio_server()` parses it (a line that is not a JSON-RPC message is handed on as the
    exception, which the SDK answers or drops), but in the reading task itself.

    The SDK's transport reads in a task of its own and hands every message over a memory
    stream to the server's loop: one more task switch, one more pass of the event loop and a
    copy of the context per line, for nothing on a pipe that only this loop reads."""

    def __init__(self, lines: Any, fast: FastPath | None = None) -> None:
        from mcp.shared.message import SessionMessage  # made once the SDK is imported (after the early answers)
        from mcp_types import jsonrpc_message_adapter

        self._lines = lines
        self._message = SessionMessage
        self._parse = jsonrpc_message_adapter.validate_json
        self._fast = fast

    async def receive(self) -> Any:
        if self._closed:
            raise anyio.ClosedResourceError
        fast = self._fast
        while True:
            try:
                line = await self._lines.__anext__()
            except StopAsyncIteration:
                if fast is not None:
                    fast.close()  # when the SDK cancels its own requests in flight
                raise anyio.EndOfStream from None
            if fast is not None and fast.take(line):
                continue  # answered by `fast_call`, in a task of its own: read on
            try:
                item = self._message(self._parse(line, by_name=False))
            except Exception as exc:  # as the SDK's transport: the server sees the error, the loop goes on
                return exc
            if fast is not None:
                fast.passing(item.message)
            return item

    def __aiter__(self) -> _Messages:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None


class _Sink(_Stream):
    """The write stream `Server.run` sends to: each message written to the pipe by the task that
    sends it, one whole line per message (lines of concurrent answers never interleave).

    The SDK's transport hands every message over a memory stream to a writer task of its own
    (another task switch per answer). The line is the message's JSON as the SDK writes it
    (`model_dump_json(by_alias=True, exclude_unset=True)`: the same fields, the same compact
    form), encoded by orjson from the model's JSON-mode dump, about twice as fast on a large
    answer; what orjson cannot encode goes through pydantic's own encoder."""

    def __init__(self, writer: _Writer, fast: FastPath | None = None) -> None:
        self._writer = writer
        self._fast = fast

    async def send(self, item: Any) -> None:
        if self._closed:
            raise anyio.ClosedResourceError
        message = item.message
        dumped = message.model_dump(by_alias=True, exclude_unset=True, mode="json")
        if self._fast is not None:
            self._fast.sent(dumped)
        try:
            data = orjson.dumps(dumped)
        except TypeError:  # an integer beyond 64 bits: pydantic's encoder writes it
            data = message.model_dump_json(by_alias=True, exclude_unset=True).encode("utf-8")
        self._writer.write_line(data + b"\n")
        await self._writer.flush()


def _claim(fd: int, diversion: Callable[[], int]) -> tuple[int, Callable[[], None]] | None:
    """Serve the wire from a private duplicate of `fd` and point `fd` at `diversion()` meanwhile.

    What the SDK's `stdio_server()` does for its own streams (its claim functions are private
    and importing them would import the whole SDK, which is what an early answer avoids): a
    handler's stray `print` or a child process then writes to stderr, not into the protocol.
    Returns the private descriptor and the function that puts `fd` back, or None when the
    descriptors cannot be duplicated (the SDK's transport then serves).
    """
    try:
        private = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    except OSError:
        return None
    try:
        substitute = diversion()
    except OSError:
        os.close(private)
        return None
    try:
        os.dup2(substitute, fd)
    except OSError:
        os.close(private)
        return None
    finally:
        os.close(substitute)

    def restore() -> None:
        with contextlib.suppress(OSError):
            os.dup2(private, fd)
        with contextlib.suppress(OSError):
            os.close(private)

    return private, restore


def _null_input() -> int:
    return os.open(os.devnull, os.O_RDONLY)


def _stderr_output() -> int:
    return os.dup(2)


@contextlib.asynccontextmanager
async def event_loop_stdio(preread: bytes = b"") -> AsyncIterator[tuple[_Lines, _Writer] | None]:
    """The process's stdin/stdout as (lines, writer) served by the event loop, or None if it cannot be.

    `preread`: bytes already read from stdin (by the launcher) that come before the rest."""
    if sys.platform == "win32" or not (_is_fd(sys.stdin, 0) and _is_fd(sys.stdout, 1)):
        yield None
        return
    loop = asyncio.get_running_loop()
    releases: list[Callable[[], None]] = []
    transports: list[asyncio.BaseTransport] = []
    descriptors: list[int] = []
    try:
        sys.stdout.flush()
        claimed_in = _claim(0, _null_input)
        if claimed_in is not None:
            releases.append(claimed_in[1])
        claimed_out = _claim(1, _stderr_output) if claimed_in is not None else None
        if claimed_out is not None:
            releases.append(claimed_out[1])
        reader = asyncio.StreamReader(limit=_LINE_LIMIT, loop=loop)
        if preread:
            reader.feed_data(preread)
        try:
            if claimed_in is None or claimed_out is None:
                raise ValueError("the standard descriptors could not be claimed")
            in_fd, out_fd = claimed_in[0], claimed_out[0]
            read_transport, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader, loop=loop), os.fdopen(in_fd, "rb", 0, closefd=False)
            )
            descriptors.append(in_fd)
            transports.append(read_transport)
            write_transport, protocol = await loop.connect_write_pipe(
                lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader(loop=loop), loop=loop),
                os.fdopen(out_fd, "wb", 0, closefd=False),
            )
            descriptors.append(out_fd)
            transports.append(write_transport)
        except (ValueError, OSError):  # a regular file or a closed descriptor: not a pipe the loop can watch
            for transport in transports:
                transport.close()
            transports.clear()
            descriptors.clear()
            for release in reversed(releases):
                release()
            releases.clear()
            yield None
            return
        writer = asyncio.StreamWriter(write_transport, protocol, reader, loop)
        yield _Lines(reader), _Writer(writer)
    finally:
        for transport in transports:
            transport.close()
        for descriptor in descriptors:
            with contextlib.suppress(OSError):
                os.set_blocking(descriptor, True)  # the descriptions are shared with fds 0 and 1 once restored
        for release in reversed(releases):
            release()


def _is_fd(stream: Any, fd: int) -> bool:
    try:
        return stream.fileno() == fd
    except (AttributeError, OSError, ValueError):
        return False


async def _answer_early(lines: _Lines, writer: _Writer, guard: Any, replay: list[str]) -> bool:
    """Answer `initialize` and the first `tools/list` without the SDK (see `fast_start`).

    Every line read goes into `replay`, in order, for the SDK; what was answered early is noted
    in `writer` (whose copy of the SDK's answers is then dropped). Returns whether stdin ended.
    """
    initialized = False
    while True:
        try:
            line = await lines.__anext__()
        except StopAsyncIteration:
            return True
        replay.append(line)
        try:
            message = fastjson.loads(line)
        except ValueError:
            message = None
        if not initialized:
            result = early_initialize(message)
            if result is None:
                return False
            initialized = True
            writer._answered[message["id"]] = result
            await writer.send(response(message["id"], result))
        elif is_initialized_notification(message):
            continue
        elif is_first_page_request(message):
            result = early_tools_list(guard)
            writer._answered[message["id"]] = result
            await writer.send(response(message["id"], result))
            return False
        else:
            return False


async def serve(
    guard: Any, make_server: Callable[[], Any], *, early: bool = True, handoff: Any = None, fast: bool = True
) -> None:
    """Run the guard's `MCPServer` (built by `make_server`) on stdio.

    With the event loop serving the pipes and `early` set, `initialize` and the first
    `tools/list` are answered before `make_server` imports the SDK. A `handoff` from the launcher
    (`odoo_mcp.launch.Handoff`) that answered them already from the listing cache carries the
    lines it read, to be replayed, and what it answered. With `fast` set, a native `tools/call`
    the SDK would answer no differently is answered by `fast_call` (see the module docstring).
    """
    preread = handoff.rest if handoff is not None and handoff.lines else b""  # what followed the replayed lines
    async with event_loop_stdio(preread) as streams:
        replay: list[str] = []
        if handoff is not None and handoff.lines:
            if streams is None:  # the launcher checked for pipes; should claiming them fail now, say so
                raise RuntimeError("stdin was read by the launcher but cannot be served by the event loop")
            replay = list(handoff.lines)
            streams[1]._answered.update(handoff.answered)
            if handoff.ended:
                return
        elif streams is not None and early and await _answer_early(streams[0], streams[1], guard, replay):
            return
        server = make_server()
        from odoo_mcp.wire.sdk_adapter import lowlevel_server  # imports the SDK: only once the early answers are out

        lowlevel = lowlevel_server(server)
        if streams is not None:  # the pipes, read and written by the tasks that need them (see _Messages, _Sink)
            calls = attached(server) if fast else None
            path = FastPath(calls, streams[1].answer) if calls is not None else None
            messages, sink = _Messages(_Replayed(replay, streams[0]), path), _Sink(streams[1], path)
            try:
                await lowlevel.run(messages, sink, lowlevel.create_initialization_options())
            finally:
                if path is not None:
                    await path.finished()
            if path is not None:
                print(
                    f"odoo-mcp: stdio session ended: {path.answered} tools/call answered without the SDK's "
                    f"per-message path, {path.passed} messages through the SDK",
                    file=sys.stderr,
                )
            return
        from mcp.server.stdio import stdio_server  # the SDK: only once the early answers are out

        async with stdio_server() as (read_stream, write_stream):
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())


def run_stdio(
    guard: Any, make_server: Callable[[], Any], *, early: bool = True, handoff: Any = None, fast: bool = True
) -> None:
    """Serve stdio until the client closes it (see the module docstring)."""
    anyio.run(functools.partial(serve, guard, make_server, early=early, handoff=handoff, fast=fast))
