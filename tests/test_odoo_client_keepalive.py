"""JSON-RPC through odoorpc reuses its HTTP connection instead of opening one per call."""

from __future__ import annotations

import pytest

from odoo_client.jsonrpc import JsonRpcTransport
from odoo_client.settings import ConnectionConfig
from tests.odoo_double import ADMIN, OdooDouble


def transport(double: OdooDouble) -> JsonRpcTransport:
    config = ConnectionConfig(
        alias="t", url=double.url, db=double.db, username=ADMIN["login"], password=ADMIN["password"], protocol="jsonrpc"
    )
    return JsonRpcTransport(config)


@pytest.fixture
def double():
    with OdooDouble() as running:
        yield running


def test_twenty_calls_share_one_connection(double):
    rpc = transport(double)
    rpc.login()
    counts = {rpc.execute("res.partner", "search_count", [[]], {}) for _ in range(20)}
    assert counts == {len(double.database.models["res.partner"].records)}
    assert double.behaviour.requests >= 21
    assert double.behaviour.connections == 1
    rpc.close()


def test_a_connection_the_server_dropped_while_idle_is_replaced(double):
    rpc = transport(double)
    rpc.login()
    double.behaviour.drop_idle = True
    answers = [rpc.execute("res.partner", "search_count", [[]], {}) for _ in range(5)]
    assert answers == [len(double.database.models["res.partner"].records)] * 5
    assert double.behaviour.connections >= 5
    rpc.close()
