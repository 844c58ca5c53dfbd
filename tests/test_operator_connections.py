"""The operator's Odoo connections stay as configured, and JSON-RPC never follows a redirect to another server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from odoo_client.errors import OdooRequestError, OdooUnreachable
from odoo_client.jsonrpc import JsonRpcTransport
from odoo_client.pool import OdooPool
from odoo_client.settings import ConnectionConfig, OdooSettings
from tests.harness import guarded_server
from tests.odoo_double import ADMIN, DEMO, OdooDouble


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble() as running:
        yield running


def pool_for(double: OdooDouble) -> OdooPool:
    return OdooPool(OdooSettings.from_env({
        "ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"],
        "ODOO_PASSWORD": ADMIN["password"], "ALLOWED_ODOO_URLS": "https://other.example",
    }))


@pytest.mark.parametrize("change", [
    {"verify_ssl": False},
    {"username": DEMO["login"]},
    {"db": "other"},
    {"protocol": "xmlrpc"},
    {"url": "https://other.example"},
    {"url": "https://other.example", "db": "x", "username": "u", "password": "p"},
])
def test_an_operator_alias_is_reopened_only_as_configured(double, change):
    pool = pool_for(double)
    with pytest.raises(OdooRequestError, match="configured by the operator"):
        pool.connect("default", owner="local", **change)
    [row] = pool.describe()
    assert (row["username"], row["db"], row["url"]) == (ADMIN["login"], double.db, double.url)
    assert pool.connect("default", owner="local").config.verify_ssl is True  # alias only: reopened as configured


def test_a_new_alias_on_another_server_inherits_nothing_and_says_what_is_missing(double):
    pool = OdooPool(OdooSettings.from_env({"ALLOWED_ODOO_URLS": "https://other.example"}))
    with pytest.raises(OdooRequestError, match=r"missing: db, username, password or api_key"):
        pool.connect("default", owner="local", url="https://other.example")


@pytest.mark.anyio
async def test_odoo_connect_on_the_operators_alias_is_refused_over_the_wire(double, tmp_path):
    env = {"ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"],
           "ODOO_PASSWORD": ADMIN["password"], "ALLOWED_ODOO_URLS": "https://other.example"}
    async with guarded_server({"version": "1", "default": "allow"}, tmp_path=tmp_path, env=env) as server:
        tls_off = await server.call("odoo_connect", {"alias": "default", "verify_ssl": False})
        other = await server.call("odoo_connect", {"alias": "default", "url": "https://other.example"})
        still = await server.call("odoo_connections")
    assert tls_off.text.startswith("[TOOL ERROR] connection 'default' is configured by the operator")
    assert "verify_ssl cannot be changed" in tls_off.text
    assert other.tag == "TOOL ERROR" and "url cannot be changed" in other.text
    [row] = still.data["connections"]
    assert row["url"] == double.url


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
    threading.Thread(target=server.serve_forever, daemon=True).start()
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
