"""odoo_client/xmlrpc.py: XML-RPC's login and calls against the Odoo double, over real HTTP on loopback.

Odoo's XML-RPC faults carry integer codes and a traceback, JSON-RPC's errors a name: a user reads
the same fault whichever protocol the connection speaks. A refused login names the user and the
database; an endpoint that is not XML-RPC says so; each worker thread has its own proxy, so calls
from several threads at once each get their own answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from odoo_client.errors import OdooFault, OdooUnreachable
from odoo_client.jsonrpc import JsonRpcTransport
from odoo_client.settings import ConnectionConfig
from odoo_client.xmlrpc import XmlRpcTransport
from tests.loopback import answering
from tests.odoo_double import ADMIN, DEMO, OdooDouble


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble(partners=3) as running:
        yield running


def config(url: str, user: dict[str, str] = ADMIN, password: str | None = None) -> ConnectionConfig:
    return ConnectionConfig(alias="t", url=url, db="odoo", username=user["login"],
                            password=password or user["password"], protocol="xmlrpc")


FAULTS = [  # (user, model, method, args, kwargs): a fault Odoo sends with its own code on XML-RPC
    (DEMO, "ir.config_parameter", "search", [[]], {}),  # AccessError: code 4
    (ADMIN, "no.such.model", "search", [[]], {}),  # UserError: code 2
    (ADMIN, "res.partner", "search_read", [[]], {"fields": ["nope"]}),  # ValueError: code 1, its traceback
    (ADMIN, "res.partner", "no_such_method", [[]], {}),  # AttributeError: code 1
]


def test_odoos_faults_read_the_same_as_over_json_rpc(double):
    seen: dict[str, list[str]] = {}
    for protocol, kind in (("xmlrpc", XmlRpcTransport), ("jsonrpc", JsonRpcTransport)):
        for user, model, method, args, kwargs in FAULTS:
            rpc = kind(ConnectionConfig(alias="t", url=double.url, db=double.db, username=user["login"],
                                        password=user["password"], protocol=protocol))
            with pytest.raises(OdooFault) as refused:
                rpc.execute(model, method, args, kwargs)
            seen.setdefault(protocol, []).append(str(refused.value))
            rpc.close()
    assert [line.split(":")[0] for line in seen["xmlrpc"]] == ["AccessError", "UserError", "ValueError",
                                                               "AttributeError"]
    assert seen["xmlrpc"] == seen["jsonrpc"]


def test_a_refused_login_names_the_user_and_the_database(double):
    rpc = XmlRpcTransport(config(double.url, password="wrong"))
    with pytest.raises(OdooFault) as refused:
        rpc.login()
    assert str(refused.value) == "AccessDenied: wrong login or password/API key for user 'admin' on database 'odoo'"
    with pytest.raises(OdooFault, match=r"^AccessDenied: wrong login"):  # and a call does not slip through
        rpc.execute("res.partner", "search_count", [[]], {})


def test_an_endpoint_that_is_not_xml_rpc_says_so():
    with answering({}) as (url, hits), pytest.raises(OdooUnreachable) as refused:
        XmlRpcTransport(config(url)).version()
    assert str(refused.value) == f"t ({url}): HTTP 404 Not Found: not an Odoo XML-RPC endpoint?"
    assert hits == ["POST /xmlrpc/2/common"]


def test_calls_from_several_threads_at_once_each_get_their_own_answer(double):
    rpc = XmlRpcTransport(config(double.url))
    rpc.login()
    ids = sorted(double.database.models["res.partner"].records)
    double.behaviour.delay = 0.05  # the calls overlap in Odoo's hands

    def read(partner: int) -> list[int]:
        return [row["id"] for row in rpc.execute("res.partner", "read", [[partner]], {"fields": ["name"]})]

    with ThreadPoolExecutor(max_workers=len(ids)) as threads:
        assert list(threads.map(read, ids)) == [[partner] for partner in ids]
    rpc.close()
