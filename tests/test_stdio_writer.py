"""An early answer is wholly in the pipe before `send` returns: the server is built right after,
blocking the loop, and a tail left in the transport's buffer would reach the client only then."""

from __future__ import annotations

import asyncio
import os
import threading
import time

from odoo_mcp.stdio import _Writer


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
