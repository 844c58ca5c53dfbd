"""odoo_client/aio_http.py: Odoo requests from the event loop (`execute_async`), against the double over real
HTTP, and what a broken or hostile server sends. Was tests/test_odoo_client_async.py.

What a user relies on: a warm read answers without a worker thread (so it still answers when every
worker is busy with slow calls), with the same answer and the same errors as the threaded path; a
write still runs whole in a worker thread, so a cancellation is acknowledged only once Odoo has
answered it; a cancelled read never leaves its answer for the next request on a kept-alive connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import anyio.to_thread
import pytest

from odoo_client.connection import OdooConnection, no_blocking
from odoo_client.errors import OdooFault, OdooUnreachable, WouldBlock
from odoo_client.settings import ConnectionConfig
from tests.odoo_double import ADMIN, OdooDouble

ASYNC_PROTOCOLS = ["jsonrpc", "json2", "xmlrpc"]
"""Protocols whose warm reads go out from the event loop (XML-RPC's own answers: test_odoo_client_xmlrpc_loop.py)."""
PARTNERS = 12  # the seed adds the company's own partner


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble(partners=PARTNERS) as running:
        yield running


def partners(double: OdooDouble) -> int:
    return len(double.database.models["res.partner"].records)


def connection(double: OdooDouble, protocol: str, timeout: float = 30.0) -> OdooConnection:
    secret = {"api_key": ADMIN["api_key"]} if protocol == "json2" else {"password": ADMIN["password"]}
    config = ConnectionConfig(alias="t", url=double.url, db=double.db, username=ADMIN["login"], protocol=protocol,
                              timeout=timeout, **secret)
    return OdooConnection(config)


def warm(double: OdooDouble, protocol: str, **options: Any) -> OdooConnection:
    """A connection that has logged in (its first call, in this thread)."""
    odoo = connection(double, protocol, **options)
    odoo.execute("res.partner", "search_count", [[]])
    return odoo


READ = ("res.partner", "search_read", [[]], {"fields": ["name"], "limit": 5, "order": "id"})


@pytest.mark.parametrize("protocol", ASYNC_PROTOCOLS)
def test_a_warm_read_answers_while_every_worker_thread_is_busy(double, protocol):
    odoo = warm(double, protocol)
    expected = odoo.execute(*READ)
    opened, requests = double.behaviour.connections, double.behaviour.requests

    async def main() -> Any:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = 1
        await limiter.acquire()  # every worker thread taken, as by slow calls
        try:
            with anyio.fail_after(10):
                return [await odoo.execute_async(*READ) for _ in range(3)]
        finally:
            limiter.release()

    assert anyio.run(main) == [expected] * 3
    assert double.behaviour.requests == requests + 3  # no login, no version: one request a call
    assert double.behaviour.connections == opened + 1  # one connection on the loop, kept alive
    odoo.close()


@pytest.mark.parametrize("protocol", ASYNC_PROTOCOLS)
def test_the_first_read_logs_in_then_reads(double, protocol):
    odoo = connection(double, protocol)
    rows = anyio.run(lambda: odoo.execute_async(*READ))
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows) and len(rows) == 5
    assert odoo.logins == 1
    odoo.close()


def test_a_cancelled_write_is_acknowledged_only_once_odoo_answered_it(double):
    odoo = warm(double, "jsonrpc")
    partner = min(double.database.models["res.partner"].records)
    double.behaviour.delay = 0.5
    seen: dict[str, Any] = {}

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(odoo.execute_async, "res.partner", "write", [[partner], {"name": "Written Whole"}])
            await anyio.sleep(0.1)  # the request is in Odoo's hands
            group.cancel_scope.cancel()
        seen["name"] = double.database.models["res.partner"].records[partner]["name"]

    anyio.run(main)
    assert seen["name"] == "Written Whole"
    odoo.close()


@pytest.mark.parametrize("protocol", ASYNC_PROTOCOLS)
def test_a_cancelled_read_leaves_no_answer_for_the_next_request(double, protocol):
    odoo = warm(double, protocol)
    double.behaviour.delay = 0.4

    async def main() -> Any:
        with anyio.move_on_after(0.1):
            await odoo.execute_async(*READ)
        double.behaviour.delay = 0
        return await odoo.execute_async("res.partner", "search_count", [[]])

    assert anyio.run(main) == partners(double)
    odoo.close()


@pytest.mark.parametrize("protocol", ASYNC_PROTOCOLS)
def test_a_connection_the_server_dropped_while_idle_is_replaced_on_the_loop(double, protocol):
    odoo = warm(double, protocol)
    double.behaviour.drop_idle = True

    async def main() -> list[Any]:
        return [await odoo.execute_async("res.partner", "search_count", [[]]) for _ in range(4)]

    assert anyio.run(main) == [partners(double)] * 4
    assert [odoo.execute("res.partner", "search_count", [[]]) for _ in range(3)] == [partners(double)] * 3
    odoo.close()


@pytest.mark.parametrize("protocol", ASYNC_PROTOCOLS)
def test_an_expired_session_logs_in_again_once(double, protocol):
    odoo = warm(double, protocol)
    double.behaviour.expire_calls = 1
    assert anyio.run(lambda: odoo.execute_async("res.partner", "search_count", [[]])) == partners(double)
    assert odoo.logins == 2
    odoo.close()


@pytest.mark.parametrize("protocol", ASYNC_PROTOCOLS)
def test_odoo_faults_and_timeouts_read_the_same_on_both_paths(double, protocol):
    odoo = warm(double, protocol, timeout=0.3)
    failures = []
    for run in (lambda: odoo.execute("no.such.model", "search_read", [[]]),
                lambda: anyio.run(lambda: odoo.execute_async("no.such.model", "search_read", [[]]))):
        with pytest.raises(OdooFault) as fault:
            run()
        failures.append(str(fault.value))
    assert failures[0] == failures[1] and "no.such.model" in failures[0]
    double.behaviour.delay = 1.0
    timeouts = []
    for run in (lambda: odoo.execute(*READ), lambda: anyio.run(lambda: odoo.execute_async(*READ))):
        with pytest.raises(OdooUnreachable) as unreachable:
            run()
        timeouts.append(str(unreachable.value))
    assert timeouts[0] == timeouts[1] and "no answer within 0.3 s" in timeouts[0]
    odoo.close()


def test_no_request_leaves_inside_no_blocking(double):
    odoo = warm(double, "jsonrpc")
    before = double.behaviour.requests
    with no_blocking(), pytest.raises(WouldBlock):
        odoo.execute(*READ)
    with no_blocking(), pytest.raises(WouldBlock):
        connection(double, "jsonrpc").uid()
    assert double.behaviour.requests == before
    odoo.close()


ANSWERS = {
    b"/chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[1, \r\n3\r\n2]\n\r\n0\r\n\r\n",
    b"/interim": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    b"/until-close": b"HTTP/1.0 200 OK\r\n\r\n[3]",
}


def test_answers_framed_every_way_http_allows_are_read_whole():
    """Behind a proxy Odoo's answers come chunked, after a 100 Continue, or ended by the connection's close."""
    from odoo_client.aio_http import AsyncConnections

    async def main() -> list[tuple[int, bytes]]:
        async def serve(reader: Any, writer: Any) -> None:
            while line := await reader.readline():
                path = line.split(b" ")[1]
                while (await reader.readline()) not in (b"\r\n", b""):
                    pass
                writer.write(ANSWERS[path])
                await writer.drain()
                if path == b"/until-close":
                    writer.close()
                    return

        import asyncio

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = AsyncConnections("127.0.0.1", port, None, f"127.0.0.1:{port}")
        try:
            answers = []
            for path in ("/chunked", "/interim", "/until-close", "/chunked"):
                answer = await pool.request("GET", path, None, {}, 5)
                answers.append((answer.status, answer.body))
            return answers
        finally:
            pool.close()
            server.close()

    assert anyio.run(main) == [(200, b"[1, 2]\n"), (200, b"{}"), (200, b"[3]"), (200, b"[1, 2]\n")]


@pytest.mark.parametrize("protocol", ASYNC_PROTOCOLS)
def test_a_read_from_the_loop_over_tls_verifies_the_connections_ca(protocol, tmp_path):
    import subprocess

    cert, key = tmp_path / "odoo.pem", tmp_path / "odoo.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    with OdooDouble(partners=PARTNERS, tls=(cert, key)) as https:
        secret = {"api_key": ADMIN["api_key"]} if protocol == "json2" else {"password": ADMIN["password"]}
        config = ConnectionConfig(alias="t", url=https.url, db=https.db, username=ADMIN["login"], protocol=protocol,
                                  ca_bundle=cert, **secret)
        odoo = OdooConnection(config)
        expected = odoo.execute(*READ)
        requests = https.behaviour.requests
        assert anyio.run(lambda: odoo.execute_async(*READ)) == expected
        assert https.behaviour.requests == requests + 1
        odoo.close()


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]"
HOSTILE = {  # what a broken or hostile server (or a proxy before Odoo) may answer, and what the agent reads of it
    b"/bad-status": (b"HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\n[]", "illegal status line"),
    b"/long-status": (b"HTTP/1.1 2" + b"0" * 5_000 + b" OK\r\nContent-Length: 2\r\n\r\n[]", "illegal status line"),
    b"/bad-header": (b"HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 2\r\n\r\n[]", "illegal header line"),
    b"/bad-chunk": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n[]\r\n0\r\n\r\n",
                    "illegal chunk header"),
    b"/huge-head": (b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"a" * 70_000 + b"\r\n", "headers over 65536 bytes"),
    b"/two-lengths": (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 9\r\n\r\n[]",
                      "conflicting Content-Length"),
    b"/short-body": (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n[]", "received 2 bytes, expected 10"),
    # framing read two ways by two parsers (request-smuggling shapes), each accepted by the hand-written parser
    b"/space-colon": (b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\n[]", "illegal header line"),
    b"/signed-length": (b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n[]", "bad Content-Length"),
    b"/gzip-chunked": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n",
                       "Only Transfer-Encoding: chunked"),
    b"/hex-chunk": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\n[]\r\n0\r\n\r\n",
                    "illegal chunk header"),
    b"/chunk-footer": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]XX0\r\n\r\n",
                       "malformed chunk footer"),
}


def hostile_exchange(path: bytes, then: bytes = b"/ok") -> tuple[Any, Any, list[bool]]:
    """The outcome of `path` then of `then` on one pool; per connection, whether the client closed it.

    The server keeps each connection open after its answer (except /short-body, whose promised
    bytes never come: it closes), so only the client can close it."""
    import asyncio

    from odoo_client.aio_http import AsyncConnections
    from odoo_client.errors import mapped_errors

    async def main() -> tuple[Any, Any, list[bool]]:
        closed: list[asyncio.Future[bool]] = []

        async def serve(reader: Any, writer: Any) -> None:
            seen = asyncio.get_running_loop().create_future()
            closed.append(seen)
            while line := await reader.readline():
                target = line.split(b" ")[1]
                while (await reader.readline()) not in (b"\r\n", b""):
                    pass
                writer.write(HOSTILE[target][0] if target in HOSTILE else EXTRA.get(target, OK))
                await writer.drain()
                if target == b"/short-body":
                    writer.close()
                    seen.set_result(False)
                    return
            seen.set_result(True)  # the client closed its end
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        config = ConnectionConfig(alias="t", url=f"http://127.0.0.1:{port}", db="d", username="u", password="p",
                                  timeout=5)
        pool = AsyncConnections("127.0.0.1", port, None, f"127.0.0.1:{port}")
        outcomes: list[Any] = []
        try:
            for target in (path, then):
                try:
                    with mapped_errors(config):
                        outcomes.append(await pool.request("GET", target.decode(), None, {}, config.timeout))
                except OdooUnreachable as failure:
                    outcomes.append(failure)
            pool.close()
            with anyio.fail_after(5):
                return outcomes[0], outcomes[1], [await seen for seen in closed]
        finally:
            server.close()

    return anyio.run(main)


EXTRA = {b"/long-body": OK + b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n[9]"}


@pytest.mark.parametrize("path", list(HOSTILE))
def test_an_answer_that_is_not_valid_http_is_a_clear_error_and_its_connection_is_never_reused(path):
    failure, after, closed_by_client = hostile_exchange(path)
    assert isinstance(failure, OdooUnreachable), failure
    message = str(failure)
    assert message.startswith("t (http://127.0.0.1:") and "invalid HTTP answer: " in message
    assert HOSTILE[path][1] in message and len(message) < 300  # one short line, whatever the server sent
    assert after.status == 200 and after.body == b"[]"  # the next request answered, on a new connection
    assert len(closed_by_client) == 2
    assert closed_by_client[0] is (path != b"/short-body")  # the broken connection closed by the client


def test_bytes_after_an_answer_are_never_read_as_the_next_answer():
    """A body longer than its Content-Length (a desynchronised proxy): the rest is not the next answer."""
    first, after, closed_by_client = hostile_exchange(b"/long-body", b"/ok")
    assert (first.status, first.body) == (200, b"[]")
    assert (after.status, after.body) == (200, b"[]")  # not the smuggled [9]
    assert closed_by_client == [True, True]
