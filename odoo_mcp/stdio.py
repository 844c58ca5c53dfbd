"""Serve MCP over stdio without a thread hop per line.

The SDK's `stdio_server()` reads stdin and writes stdout through `anyio.wrap_file`: every line
read, every write and every flush is a trip to a worker thread and back, three per tool call,
each a thread wake-up that costs most on a loaded machine. Here the same two descriptors are
read and written by the event loop itself (asyncio pipe transports, non-blocking), and handed to
the SDK's `stdio_server(stdin=..., stdout=...)`, which keeps its own framing and message
validation. The descriptors are claimed exactly as the SDK claims them (fd 0 pointed at the
null device and fd 1 at stderr while serving, so a handler's stray `print` never reaches the
wire; both restored on exit), with the SDK's own claim functions.

Where that is not possible (stdin is a regular file, an SDK without those functions), the
SDK's threaded `stdio_server()` serves instead: slower, never different.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio

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


class _Writer:
    """`await stdout.write(text)` / `await stdout.flush()` over an asyncio pipe transport."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, text: str) -> None:
        self._writer.write(text.encode("utf-8"))

    async def flush(self) -> None:
        await self._writer.drain()


def _claim_functions() -> tuple[Callable[..., Any], Callable[[], int], Callable[[], int]] | None:
    try:
        from mcp.server.stdio import _claim_fd, _open_stdin_diversion, _open_stdout_diversion
    except ImportError:  # another SDK version: its threaded transport serves
        return None
    return _claim_fd, _open_stdin_diversion, _open_stdout_diversion


@contextlib.asynccontextmanager
async def event_loop_stdio() -> AsyncIterator[tuple[_Lines, _Writer] | None]:
    """The process's stdin/stdout as (lines, writer) served by the event loop, or None if it cannot be."""
    claim = _claim_functions()
    if claim is None or sys.platform == "win32":
        yield None
        return
    claim_fd, stdin_diversion, stdout_diversion = claim
    loop = asyncio.get_running_loop()
    releases: list[Callable[[], None]] = []
    transports: list[asyncio.BaseTransport] = []
    descriptors: list[int] = []
    try:
        stdin_buffer, release_in = claim_fd(0, sys.stdin, "rb", stdin_diversion)
        if release_in is not None:
            releases.append(release_in)
        stdout_buffer, release_out = claim_fd(1, sys.stdout, "wb", stdout_diversion)
        if release_out is not None:
            releases.append(release_out)
        in_fd, out_fd = stdin_buffer.fileno(), stdout_buffer.fileno()
        reader = asyncio.StreamReader(limit=_LINE_LIMIT, loop=loop)
        try:
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


async def serve(server: Any) -> None:
    """Run an `MCPServer` on stdio, the event loop reading and writing the pipes when it can."""
    from mcp.server.stdio import stdio_server

    lowlevel = server._lowlevel_server
    async with event_loop_stdio() as streams:
        stdin, stdout = streams if streams is not None else (None, None)
        async with stdio_server(stdin=stdin, stdout=stdout) as (read_stream, write_stream):  # type: ignore[arg-type]
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())


def run_stdio(server: Any) -> None:
    """`server.run("stdio")`, without the SDK's thread hop per line (see the module docstring)."""
    anyio.run(serve, server)
