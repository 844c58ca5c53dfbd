"""odoo_client/errors.py: every library or socket failure leaves as one of the client's errors, in one line
that names the connection and the problem; Odoo's own faults keep Odoo's short exception name.

Table-driven on the exceptions the libraries really raise (xmlrpc.client, urllib, httpx, odoorpc,
sockets): what a user reads for each, and that nothing else is swallowed. The transports' use of
it against a real server is in tests/test_odoo_client_jsonrpc.py, _xmlrpc.py and _aio_http.py.
"""

from __future__ import annotations

import urllib.error
import xmlrpc.client

import httpx
import odoorpc.error
import pytest

from odoo_client.errors import (
    OdooError,
    OdooFault,
    OdooUnreachable,
    SessionExpired,
    fault_to_failure,
    map_exception,
    mapped_errors,
    odoo_failure,
    short_name,
)
from odoo_client.settings import ConnectionConfig

CONFIG = ConnectionConfig(alias="shop", url="https://odoo.example.com", db="prod", username="bot", password="pw",
                          timeout=7.5)
WHERE = "shop (https://odoo.example.com): "
TRACEBACK = "Traceback (most recent call last):\n  File \"odoo/service/model.py\", line 1, in dispatch\n"


@pytest.mark.parametrize(("exc", "message"), [
    (xmlrpc.client.ProtocolError("odoo.example.com/xmlrpc/2/common", 404, "Not Found", {}),
     "HTTP 404 Not Found: not an Odoo XML-RPC endpoint?"),
    (urllib.error.HTTPError("/jsonrpc", 502, "Bad Gateway", None, None),  # type: ignore[arg-type]
     "HTTP 502 Bad Gateway: not an Odoo JSON-RPC endpoint?"),
    (httpx.ReadTimeout("read timed out"), "no answer within 7.5 s"),
    (httpx.ConnectError("[Errno 111] Connection refused"), "cannot connect ([Errno 111] Connection refused)"),
    (TimeoutError("timed out"), "no answer within 7.5 s"),
    (urllib.error.URLError(TimeoutError("timed out")), "no answer within 7.5 s"),
    (urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")),
     "cannot connect ([Errno 111] Connection refused)"),
    (ConnectionResetError(104, "Connection reset by peer"), "cannot connect ([Errno 104] Connection reset by peer)"),
    (OSError("the connection is closed"), "cannot connect (the connection is closed)"),
    (xmlrpc.client.ResponseError("unexpected end of data"),
     "unexpected answer (ResponseError('unexpected end of data'))"),
    (ValueError("Expecting value: line 1 column 1 (char 0)"),
     "unexpected answer (Expecting value: line 1 column 1 (char 0))"),
    (KeyError("result"), "unexpected answer ('result')"),
])
def test_a_transport_failure_reads_as_one_line_naming_the_connection(exc, message):
    with pytest.raises(OdooUnreachable) as caught, mapped_errors(CONFIG):
        raise exc
    assert str(caught.value) == WHERE + message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no library traceback attached


def test_a_timeout_says_the_configured_seconds_as_written():
    whole = ConnectionConfig(alias="a", url="http://o", db="d", username="u", password="p", timeout=30.0)
    assert str(map_exception(TimeoutError(), whole)) == "a (http://o): no answer within 30 s"


@pytest.mark.parametrize("exc", [RuntimeError("a bug of ours"), AttributeError("x"), TypeError("y")])
def test_an_error_that_is_not_io_is_not_disguised_as_an_odoo_failure(exc):
    with pytest.raises(type(exc)) as caught, mapped_errors(CONFIG):
        raise exc
    assert caught.value is exc


def test_the_clients_own_errors_pass_through_unchanged():
    fault = OdooFault("UserError", "Nothing to do")
    with pytest.raises(OdooFault) as caught, mapped_errors(CONFIG):
        raise fault
    assert caught.value is fault


@pytest.mark.parametrize(("code", "text", "exception", "detail"), [
    (4, "Not allowed to access 'System Parameter'", "AccessError", "Not allowed to access 'System Parameter'"),
    (3, "Access Denied", "AccessDenied", "Access Denied"),
    (2, "  The operation cannot be completed  ", "UserError", "The operation cannot be completed"),
    (1, TRACEBACK + "odoo.exceptions.ValidationError: Missing required field 'name'",
     "ValidationError", "Missing required field 'name'"),
    (1, TRACEBACK + "ValueError: Invalid field 'nope' on model 'res.partner'",
     "ValueError", "Invalid field 'nope' on model 'res.partner'"),
    # a last line that names no exception Odoo raises: all of it, under "Error"
    (1, TRACEBACK + "psycopg2.errors.UniqueViolation: duplicate key", "Error",
     "psycopg2.errors.UniqueViolation: duplicate key"),
    (1, "something broke, no traceback", "Error", "something broke, no traceback"),
    (1, "", "Error", "Error"),
    ("warning", "Stock is locked", "warning", "Stock is locked"),
])
def test_an_xml_rpc_fault_keeps_odoos_exception_name_and_message(code, text, exception, detail):
    failure = map_exception(xmlrpc.client.Fault(code, text), CONFIG)
    assert isinstance(failure, OdooFault) and not isinstance(failure, SessionExpired)
    assert (failure.exception, failure.detail, str(failure)) == (exception, detail, f"{exception}: {detail}")


def test_an_expired_session_is_the_one_fault_the_connection_retries():
    last_line = "odoo.http.SessionExpiredException: Session expired"
    over_xmlrpc = fault_to_failure(xmlrpc.client.Fault(1, TRACEBACK + last_line))
    over_json = odoo_failure("odoo.http.SessionExpiredException", "Session expired")
    for failure in (over_xmlrpc, over_json):
        assert isinstance(failure, SessionExpired) and failure.exception == "SessionExpiredException"


def test_odoorpcs_error_is_odoos_fault_or_with_no_data_a_refused_login():
    fault = odoorpc.error.RPCError("Odoo Server Error", {"code": 200, "message": "Odoo Server Error", "data": {
        "name": "odoo.exceptions.AccessError", "message": "Not yours", "debug": TRACEBACK}})
    assert str(map_exception(fault, CONFIG)) == "AccessError: Not yours"
    refused = map_exception(odoorpc.error.RPCError("Access Denied", {"code": 200, "message": "Access Denied"}), CONFIG)
    assert isinstance(refused, OdooFault)
    assert str(refused) == "AccessDenied: wrong login or password/API key for user 'bot' on database 'prod'"


@pytest.mark.parametrize(("qualified", "short"), [
    ("odoo.exceptions.AccessError", "AccessError"), ("UserError", "UserError"), ("odoo.", "Error"), ("", "Error"),
])
def test_an_exception_reads_by_its_short_name_on_every_protocol(qualified, short):
    assert short_name(qualified) == short
    assert odoo_failure(qualified, "").detail == short  # Odoo said nothing more: the name is the message


def test_every_error_is_an_odoo_error_with_its_message():
    for error in (OdooFault("UserError", "x"), SessionExpired(), map_exception(OSError("y"), CONFIG)):
        assert isinstance(error, OdooError) and error.message == str(error)
