"""XML-RPC reads from the event loop (`XmlRpcTransport.execute_async`), against real HTTP on loopback.

What a user relies on: on an XML-RPC connection a warm read answers without a worker thread (so
it still answers when every worker is busy with slow calls), with one request per call on one
kept-alive connection, and with the same answer and the same errors as the threaded path and as
`xmlrpc.client.ServerProxy` (what this client used before): dates, None, big integers, binaries,
Odoo's faults, an HTTP error, a session to renew, a timeout; a cancelled read leaves nothing for
the next request; an answer that is not XML-RPC is one tagged error and the connection goes on.
"""

from __future__ import annotations

import gzip
import subprocess
import threading
import xmlrpc.client
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import anyio
import anyio.to_thread
import pytest

from odoo_client.connection import OdooConnection
from odoo_client.errors import OdooFault, OdooUnreachable
from odoo_client.settings import ConnectionConfig
from odoo_client.xmlrpc import PARSE_ON_LOOP_MAX
from tests.odoo_double import ADMIN, OdooDouble

PARTNERS = 12  # the seed adds the company's own partner
READ = ("res.partner", "search_read", [[]], {"fields": ["name"], "limit": 5, "order": "id"})


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble(partners=PARTNERS) as running:
        yield running


def connection(url: str, db: str, login: str, password: str, timeout: float = 30.0) -> OdooConnection:
    return OdooConnection(ConnectionConfig(alias="t", url=url, db=db, username=login, password=password,
                                           protocol="xmlrpc", timeout=timeout))


def warm(double: OdooDouble, **options: Any) -> OdooConnection:
    """A logged-in XML-RPC connection (its first call, in this thread)."""
    odoo = connection(double.url, double.db, ADMIN["login"], ADMIN["password"], **options)
    odoo.execute("res.partner", "search_count", [[]])
    return odoo


def partners(double: OdooDouble) -> int:
    return len(double.database.models["res.partner"].records)


def test_a_warm_read_answers_while_every_worker_thread_is_busy_in_one_request_each(double):
    odoo = warm(double)
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


def test_the_first_read_logs_in_then_reads(double):
    odoo = connection(double.url, double.db, ADMIN["login"], ADMIN["password"])
    rows = anyio.run(lambda: odoo.execute_async(*READ))
    assert len(rows) == 5 and [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    assert odoo.logins == 1
    odoo.close()


def test_a_cancelled_read_leaves_no_answer_for_the_next_request(double):
    odoo = warm(double)
    double.behaviour.delay = 0.4

    async def main() -> Any:
        with anyio.move_on_after(0.1):
            await odoo.execute_async(*READ)
        double.behaviour.delay = 0
        return await odoo.execute_async("res.partner", "search_count", [[]])

    assert anyio.run(main) == partners(double)
    odoo.close()


def test_a_connection_the_server_dropped_while_idle_is_replaced(double):
    odoo = warm(double)
    double.behaviour.drop_idle = True

    async def main() -> list[Any]:
        return [await odoo.execute_async("res.partner", "search_count", [[]]) for _ in range(4)]

    assert anyio.run(main) == [partners(double)] * 4
    assert [odoo.execute("res.partner", "search_count", [[]]) for _ in range(3)] == [partners(double)] * 3
    odoo.close()


def test_an_expired_session_logs_in_again_once(double):
    odoo = warm(double)
    double.behaviour.expire_calls = 1
    assert anyio.run(lambda: odoo.execute_async("res.partner", "search_count", [[]])) == partners(double)
    assert odoo.logins == 2
    odoo.close()


def test_odoo_faults_and_timeouts_read_the_same_on_both_paths(double):
    odoo = warm(double, timeout=0.3)
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


# ---- against fixed answers: the same values as xmlrpc.client.ServerProxy, the same errors ----

ANSWERS: dict[str, bytes] = {
    "values": xmlrpc.client.dumps(({
        "date": xmlrpc.client.DateTime("20261207T23:59:01"), "nothing": None, "big": 2**31 - 1,
        "binary": xmlrpc.client.Binary(b"\x00\xff"), "rows": [{"id": 1, "name": "Liège & <Co>", "ok": True}],
    },), methodresponse=True, allow_none=True).encode(),
    "big": xmlrpc.client.dumps(([{"id": i, "name": f"Partner {i} & <Co>", "note": "x" * 200, "active": i % 2 == 0,
                                   "date": xmlrpc.client.DateTime("20261207T23:59:01")} for i in range(1, 1001)],),
                               methodresponse=True).encode(),
    "i8": b"<?xml version='1.0'?><methodResponse><params><param><value><i8>9007199254740993</i8></value>"
          b"</param></params></methodResponse>",
    "fault": xmlrpc.client.dumps(xmlrpc.client.Fault(4, "You are not allowed to read this."),
                                 methodresponse=True).encode(),
    "not-xml": b"<html><body>Maintenance</body></html>",
    "bad-boolean": b"<methodResponse><params><param><value><boolean>2</boolean></value></param></params>"
                   b"</methodResponse>",
}


class Canned(BaseHTTPRequestHandler):
    """Odoo's XML-RPC object service answering the fixed body named by the model asked for."""

    protocol_version = "HTTP/1.1"
    requests: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        params, method = xmlrpc.client.loads(body)
        key = params[0] if self.path == "/xmlrpc/2/common" else params[3]
        self.requests.append(f"{self.path} {method} {key}")
        encoding = None
        if self.path == "/xmlrpc/2/common":
            answer, status = xmlrpc.client.dumps((2,), methodresponse=True).encode(), 200
        elif key == "http-500":
            answer, status = b"Internal Server Error", 500
        elif key in ("gzip", "br"):  # compressed although the client asked for none
            answer, status, encoding = gzip.compress(ANSWERS["values"]), 200, key
        else:
            answer, status = ANSWERS[key], 200
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def canned() -> Iterator[str]:
    Canned.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Canned)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def three_ways(url: str, model: str) -> list[Any]:
    """The answer (or the error's text) from ServerProxy, our threaded path and our event-loop path."""
    proxy = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
    odoo = connection(url, "d", "u", "p")
    odoo.uid()
    outcomes: list[Any] = []
    for run in (lambda: proxy.execute_kw("d", 2, "p", model, "read", [[1]], {}),
                lambda: odoo.execute(model, "read", [[1]]),
                lambda: anyio.run(lambda: odoo.execute_async(model, "read", [[1]]))):
        try:
            outcomes.append(run())
        except Exception as failure:  # the stdlib raises TypeError, ExpatError on bogus answers
            outcomes.append(failure)
    proxy("close")()
    odoo.close()
    return outcomes


def test_dates_none_big_integers_and_binaries_read_as_serverproxy_read_them(canned):
    reference, threaded, on_loop = three_ways(canned, "values")
    assert threaded == reference and on_loop == reference
    typed = [xmlrpc.client.dumps((value,), allow_none=True) for value in (reference, threaded, on_loop)]
    assert typed[1] == typed[0] and typed[2] == typed[0]  # DateTime, Binary, None, int, bool kept as such
    assert isinstance(on_loop["date"], xmlrpc.client.DateTime) and on_loop["date"].value == "20261207T23:59:01"
    assert three_ways(canned, "i8") == [9007199254740993] * 3
    reference, threaded, on_loop = three_ways(canned, "big")  # over PARSE_ON_LOOP_MAX: read in a worker thread
    assert len(ANSWERS["big"]) > PARSE_ON_LOOP_MAX and len(reference) == 1000
    assert threaded == reference and on_loop == reference


def test_a_fault_and_an_http_error_read_as_before_on_both_paths(canned):
    reference, threaded, on_loop = three_ways(canned, "fault")
    assert isinstance(reference, xmlrpc.client.Fault)
    assert isinstance(threaded, OdooFault) and str(threaded) == str(on_loop)
    assert (threaded.exception, threaded.detail) == ("AccessError", "You are not allowed to read this.")
    reference, threaded, on_loop = three_ways(canned, "http-500")
    assert isinstance(reference, xmlrpc.client.ProtocolError) and reference.errcode == 500
    assert isinstance(threaded, OdooUnreachable) and str(threaded) == str(on_loop)
    assert str(threaded).endswith("HTTP 500 Internal Server Error: not an Odoo XML-RPC endpoint?")


@pytest.mark.parametrize("key", ["not-xml", "bad-boolean"])
def test_an_answer_that_is_not_xml_rpc_is_one_tagged_error_on_both_paths(canned, key):
    _, threaded, on_loop = three_ways(canned, key)
    assert isinstance(threaded, OdooUnreachable) and isinstance(on_loop, OdooUnreachable)
    assert str(threaded) == str(on_loop)
    assert str(threaded).startswith(f"t ({canned}): unexpected answer (") and "\n" not in str(threaded)


def test_a_gzip_answer_is_read_as_serverproxy_read_it_and_another_encoding_is_refused(canned):
    reference, threaded, on_loop = three_ways(canned, "gzip")
    assert threaded == reference and on_loop == reference and reference["rows"][0]["name"] == "Liège & <Co>"
    _, threaded, on_loop = three_ways(canned, "br")
    assert isinstance(on_loop, OdooUnreachable) and str(threaded) == str(on_loop)
    assert "unexpected answer (answer in a content encoding not asked for (br))" in str(on_loop)


def test_a_read_from_the_loop_over_tls_verifies_the_connections_ca(tmp_path):
    cert, key = tmp_path / "odoo.pem", tmp_path / "odoo.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    with OdooDouble(partners=PARTNERS, tls=(cert, key)) as https:
        config = ConnectionConfig(alias="t", url=https.url, db=https.db, username=ADMIN["login"],
                                  password=ADMIN["password"], protocol="xmlrpc", ca_bundle=cert)
        odoo = OdooConnection(config)
        expected = odoo.execute(*READ)
        requests = https.behaviour.requests
        assert anyio.run(lambda: odoo.execute_async(*READ)) == expected
        assert https.behaviour.requests == requests + 1
        odoo.close()


def test_every_call_is_one_request_on_the_object_service(canned):
    odoo = connection(canned, "d", "u", "p")

    async def main() -> list[Any]:
        return [await odoo.execute_async("values", "read", [[1]]) for _ in range(3)]

    anyio.run(main)
    odoo.close()
    assert Canned.requests == ["/xmlrpc/2/common authenticate d"] + ["/xmlrpc/2/object execute_kw values"] * 3
