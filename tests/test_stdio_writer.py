"""An early answer is wholly in the pipe before `send` returns: the server is built right after,
blocking the loop, and a tail left in the transport's buffer would reach the client only then."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from odoo_mcp.wire.stdio import _Writer


def test_a_large_early_answer_leaves_nothing_buffered_when_send_returns():
    read_fd, write_fd = os.pipe()
    received = bytearray()

    def drain_pipe() -> None:  # a client busy for a moment: the first write fills the pipe, the rest waits
        time.sleep(0.2)
        while chunk := os.read(read_fd, 65536):
            received.extend(chunk)

    reader = threading.Thread(target=drain_pipe, daemon=True)
    reader.start()

    async def send_and_look() -> int:
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, os.fdopen(write_fd, "wb"))
        writer = asyncio.StreamWriter(transport, protocol, None, loop)
        # ~90 KB, as a tools/list answer: more than a pipe holds, less than the buffer's high-water mark
        await _Writer(writer).send({"result": {"tools": ["x" * 200 for _ in range(450)]}})
        left = transport.get_write_buffer_size()
        limits = transport.get_write_buffer_limits()
        transport.close()
        return left, limits

    left, limits = asyncio.run(send_and_look())
    reader.join(timeout=10)
    assert left == 0
    assert limits[1] > 0  # the transport's usual limits are back for the SDK's own writes
    assert len(received) > 90_000


def _collect_sink():
    from odoo_mcp.wire.stdio import _Sink

    class Pipe:
        def __init__(self) -> None:
            self.sent: list[bytes] = []

        def write(self, data: bytes) -> None:
            self.sent.append(data)

        async def drain(self) -> None:
            return None

    pipe = Pipe()
    return _Sink(_Writer(pipe)), pipe  # type: ignore[arg-type]


def test_an_answer_reaches_the_pipe_as_the_sdks_transport_writes_it():
    """One line per message, the bytes of the SDK's own `model_dump_json` (a big integer included)."""
    import mcp_types as types
    from mcp.shared.message import SessionMessage

    text = 'é "quoted" \\ \n\u2028 ' + "x" * 8000
    result = types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=False)
    dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True)
    messages = [
        types.JSONRPCResponse(jsonrpc="2.0", id=7, result=dumped),
        types.JSONRPCResponse(jsonrpc="2.0", id="a", result={"n": 2**70, "f": 0.1, "none": None}),
        types.JSONRPCNotification(jsonrpc="2.0", method="notifications/tools/list_changed"),
    ]
    sink, pipe = _collect_sink()

    async def send_all() -> None:
        for message in messages:
            await sink.send(SessionMessage(message))

    asyncio.run(send_all())
    assert pipe.sent == [(m.model_dump_json(by_alias=True, exclude_unset=True) + "\n").encode() for m in messages]


def test_lines_are_read_as_the_sdks_transport_reads_them():
    """A JSON-RPC line becomes its message, a broken line the error (the loop goes on), the end of stdin the end."""
    import anyio
    import pydantic
    from mcp.shared.message import SessionMessage

    from odoo_mcp.wire.stdio import _Messages

    class Lines:
        def __init__(self, lines: list[str]) -> None:
            self.lines = lines

        async def __anext__(self) -> str:
            if not self.lines:
                raise StopAsyncIteration
            return self.lines.pop(0)

    async def read_all() -> list:
        messages = _Messages(Lines(['{"jsonrpc":"2.0","id":1,"method":"ping"}\n', "not json\n",
                                    '{"jsonrpc":"2.0","method":"notifications/initialized"}\n']))
        got = [item async for item in messages]
        with pytest.raises(anyio.EndOfStream):
            await messages.receive()
        await messages.aclose()
        with pytest.raises(anyio.ClosedResourceError):
            await messages.receive()
        return got

    got = asyncio.run(read_all())
    assert isinstance(got[0], SessionMessage) and got[0].message.method == "ping" and got[0].message.id == 1
    assert isinstance(got[1], pydantic.ValidationError)
    assert isinstance(got[2], SessionMessage) and got[2].message.method == "notifications/initialized"
    assert len(got) == 3
