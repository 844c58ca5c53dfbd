"""XML-RPC reads from the event loop (`XmlRpcTransport.execute_async`) against fixed answers on loopback.

What a user relies on: on an XML-RPC connection the answers read the same on the event loop, in a
worker thread and through `xmlrpc.client.ServerProxy` (what this client used before): dates, None,
big integers, binaries, Odoo's faults, an HTTP error, gzip; an answer that is not XML-RPC is one
tagged error and the connection goes on. What XML-RPC shares with JSON-RPC and JSON-2 on the
loop (no worker thread, one request a call, cancellation, a dropped connection, a session to
renew, faults and timeouts read the same on both paths, TLS) is tested for all three protocols
in tests/test_odoo_client_aio_http.py.
"""

from __future__ import annotations

import gzip
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

PARTNERS = 12  # the seed adds the company's own partner



def connection(url: str, db: str, login: str, password: str, timeout: float = 30.0) -> OdooConnection:
    return OdooConnection(ConnectionConfig(alias="t", url=url, db=db, username=login, password=password,
                                           protocol="xmlrpc", timeout=timeout))


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


def test_every_call_is_one_request_on_the_object_service(canned):
    odoo = connection(canned, "d", "u", "p")

    async def main() -> list[Any]:
        return [await odoo.execute_async("values", "read", [[1]]) for _ in range(3)]

    anyio.run(main)
    odoo.close()
    assert Canned.requests == ["/xmlrpc/2/common authenticate d"] + ["/xmlrpc/2/object execute_kw values"] * 3
