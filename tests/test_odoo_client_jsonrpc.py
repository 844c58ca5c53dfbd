"""odoo_client/jsonrpc.py: JSON-RPC's login and calls, and how an answer that is not Odoo's is read.

A redirect off the configured server is never followed (odoorpc's requests), a call is never
redirected at all; an HTTP error, an answer that is not JSON-RPC, Odoo's own error, a refused login
each leave as one clear error; a closed transport logs in again. Against the Odoo double and
scripted servers, over real HTTP on loopback. The redirect test moved from
tests/test_operator_connections.py; the kept-alive connection's tests are tests/test_odoo_client_keepalive.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import anyio
import pytest

from odoo_client.errors import OdooFault, OdooUnreachable, WouldBlock
from odoo_client.jsonrpc import JsonRpcTransport
from odoo_client.settings import ConnectionConfig
from tests.loopback import answering
from tests.odoo_double import ADMIN, DEMO, OdooDouble


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble(partners=3) as running:
        yield running


def transport(url: str, user: dict[str, str] = ADMIN, password: str | None = None) -> JsonRpcTransport:
    return JsonRpcTransport(ConnectionConfig(alias="t", url=url, db="odoo", username=user["login"],
                                             password=password or user["password"], protocol="jsonrpc"))


class Redirect(BaseHTTPRequestHandler):
    target = ""
    hits: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.hits.append(self.path)
        self.send_response(302)
        self.send_header("Location", self.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


def serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def test_json_rpc_does_not_follow_a_redirect_to_another_server():
    class Elsewhere(Redirect):
        hits: ClassVar[list[str]] = []

    class AllowListed(Redirect):
        hits: ClassVar[list[str]] = []

    elsewhere, elsewhere_url = serve(Elsewhere)
    allowed, allowed_url = serve(AllowListed)
    AllowListed.target = elsewhere_url
    try:
        config = ConnectionConfig(alias="default", url=allowed_url, db="odoo", username="admin", password="pw-1")
        transport = JsonRpcTransport(config)
        with pytest.raises(OdooUnreachable, match=r"redirecting to http://127\.0\.0\.1:\d+, another server"):
            transport.version()
    finally:
        elsewhere.shutdown()
        allowed.shutdown()
    assert AllowListed.hits and Elsewhere.hits == []


def test_a_call_is_never_redirected_even_on_the_same_server():
    """A login (or a call) answered by a redirect stops there: urllib would resend it as a GET without its body."""
    moved = (307, {"Location": "{url}/elsewhere/jsonrpc"}, b"")
    with answering({("POST", "/jsonrpc"): moved}) as (url, hits), pytest.raises(OdooUnreachable) as refused:
        transport(url).login()
    assert str(refused.value) == (f"t ({url}): answered HTTP 307 redirecting to {url}: a call is never redirected")
    assert hits == ["POST /jsonrpc"]


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(("answer", "problem"), [
    ((502, {"Content-Type": "text/html"}, b"<h1>Bad Gateway</h1>"),
     "HTTP 502 Bad Gateway: not an Odoo JSON-RPC endpoint?"),
    ((404, {}, b"Not Found"), "HTTP 404 Not Found: not an Odoo JSON-RPC endpoint?"),
    ((200, {"Content-Type": "text/html"}, b"<html>a login page</html>"), "unexpected answer ("),
    ((200, JSON, b"[1, 2]"), "unexpected answer (the answer is not a JSON-RPC object)"),
])
def test_an_answer_that_is_not_odoos_json_rpc_is_a_clear_error(answer, problem):
    with answering({("POST", "/jsonrpc"): answer}) as (url, _hits), pytest.raises(OdooUnreachable) as refused:
        transport(url).login()
    message = str(refused.value)
    assert message.startswith(f"t ({url}): {problem}") and "\n" not in message


def test_a_refused_login_names_the_user_and_the_database(double):
    for rpc in (transport(double.url, password="wrong"), transport(double.url, {"login": "nobody", "password": "x"})):
        with pytest.raises(OdooFault) as refused:
            rpc.login()
        assert str(refused.value) == ("AccessDenied: wrong login or password/API key for user "
                                      f"{rpc.config.username!r} on database 'odoo'")
    assert double.behaviour.requests == 2  # one login each: nothing retried


def test_odoos_error_keeps_its_short_name_and_message(double):
    rpc = transport(double.url, user=DEMO)
    with pytest.raises(OdooFault) as refused:
        rpc.execute("ir.config_parameter", "search", [[]], {})
    assert refused.value.exception == "AccessError"
    assert str(refused.value).startswith("AccessError: You are not allowed to access 'System Parameter'")
    with pytest.raises(OdooFault, match=r"^UserError: Object no\.such\.model doesn't exist$"):
        rpc.execute("no.such.model", "search", [[]], {})
    rpc.close()


def test_a_closed_transport_logs_in_again_on_its_next_call(double):
    rpc = transport(double.url)
    rpc.login()
    rpc.close()
    assert rpc.execute("res.partner", "search_count", [[]], {}) == len(double.database.models["res.partner"].records)
    rpc.close()


def test_a_login_on_a_database_that_does_not_exist_says_so_not_wrong_password(double):
    rpc = JsonRpcTransport(ConnectionConfig(alias="t", url=double.url, db="other", username=ADMIN["login"],
                                            password=ADMIN["password"], protocol="jsonrpc"))
    with pytest.raises(OdooFault) as refused:
        rpc.login()
    assert str(refused.value) == 'ValueError: database "other" does not exist'


def test_a_call_from_the_event_loop_before_the_login_sends_nothing(double):
    rpc = transport(double.url)
    with pytest.raises(WouldBlock):
        anyio.run(lambda: rpc.execute_async("res.partner", "search_count", [[]], {}))
    assert double.behaviour.requests == 0  # the login runs in a worker thread, then the loop may send
    rpc.login()
    count = anyio.run(lambda: rpc.execute_async("res.partner", "search_count", [[]], {}))
    assert count == len(double.database.models["res.partner"].records)
    rpc.close()


def test_the_version_is_asked_without_a_login(double):
    rpc = transport(double.url, password="wrong")
    assert rpc.version()["server_version"] == double.database.version
    rpc.close()
