"""Odoo's XML-RPC answers read by `odoo_client.xmlrpc_codec`: the values the stdlib reads, bogus answers refused.

What a user relies on: an XML-RPC answer means what it meant when `xmlrpc.client` read it —
dates stay `DateTime`, `<nil/>` is None, integers of any size are ints, binaries are `Binary`,
faults are Odoo's faults with the same codes — and an answer that is not well-formed XML-RPC is
one short tagged error ("unexpected answer"), never a value half-read. In-process: the codec
against `xmlrpc.client.loads`, the reference, on the same bytes.
"""

from __future__ import annotations

import datetime
import xmlrpc.client
from decimal import Decimal
from typing import Any

import pytest

from odoo_client.errors import OdooFault, OdooUnreachable, mapped_errors
from odoo_client.settings import ConnectionConfig
from odoo_client.xmlrpc_codec import MAX_DEPTH, MalformedAnswer, dumps_call, loads_answer

CONFIG = ConnectionConfig(alias="t", url="http://127.0.0.1:8069", db="d", username="u", password="p")


def answer(*values: Any) -> bytes:
    return xmlrpc.client.dumps(values, methodresponse=True, allow_none=True).encode()


def reference(body: bytes) -> Any:
    """What `ServerProxy` returned: the one value, or the tuple of several."""
    values = xmlrpc.client.loads(body)[0]
    return values[0] if len(values) == 1 else values


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 == True and 1 == 1.0 are not the same answer)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, xmlrpc.client.DateTime):
        return a.value == b.value
    if isinstance(a, xmlrpc.client.Binary):
        return a.data == b.data
    return a == b


ROWS = [{"id": i, "name": f"Partner {i}", "email": False, "city": "Liège", "credit": 12.5 * i,
         "write_date": "2026-12-07 23:00:00", "parent_id": [1, "Quarry Lantern SA"] if i % 2 else False}
        for i in range(1, 40)]
VALUES = {
    "a search_read": ROWS,
    "none": None,
    "booleans": [True, False],
    "integers near the 32-bit bounds": [0, -1, 2**31 - 1, -(2**31)],
    "floats": [1.5, -0.0, 1e300, float("inf")],
    "strings with markup and unicode": ["", " ", "a <b> & 'c' \"d\"", "é 😀 \u00a0", "line\nbreak\ttab"],
    "empty containers": [[], {}, {"": ""}],
    "nested": {"a": [{"b": [[], [None, {"c": False}]]}]},
    "a date": xmlrpc.client.DateTime(datetime.datetime(2026, 12, 7, 23, 59, 1)),
    "a binary": xmlrpc.client.Binary(b"\x00\xff%PDF-1.7"),
}


@pytest.mark.parametrize("name", list(VALUES))
def test_an_answer_reads_as_the_stdlib_reads_it(name):
    body = answer(VALUES[name])
    assert same(loads_answer(body), reference(body))


@pytest.mark.parametrize("xml, expected", [
    # what other XML-RPC servers write, and Odoo could: each read as the stdlib reads it
    ("<value><i8>9007199254740993</i8></value>", 9007199254740993),
    ("<value><int>-123456789012345678901234567890</int></value>", -123456789012345678901234567890),
    ("<value><biginteger>2</biginteger></value>", 2),
    ("<value><i4> 42 </i4></value>", 42),
    ("<value>bare text is a string</value>", "bare text is a string"),
    ("<value></value>", ""),
    ("<value><string/></value>", ""),
    ("<value><nil/></value>", None),
    ('<value><ex:nil xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions"/></value>', None),
    ('<value><ex:i8 xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions">5</ex:i8></value>', 5),
    ("<value><bigdecimal>1.10</bigdecimal></value>", Decimal("1.10")),
    ("<value><double>2</double></value>", 2.0),
    ("<value><string><![CDATA[<a & b>]]></string></value>", "<a & b>"),
    ("<value><!-- a comment --><string>x&#233;&amp;</string></value>", "xé&"),
    ("<value><dateTime.iso8601>20261207T23:59:01</dateTime.iso8601></value>", None),
    ("<value><struct><member><name>k</name><value>1</value></member>"
     "<member><name>k</name><value><int>2</int></value></member></struct></value>", {"k": 2}),
])
def test_every_form_of_a_value_reads_as_the_stdlib_reads_it(xml, expected):
    body = f"<?xml version='1.0'?><methodResponse><params><param>{xml}</param></params></methodResponse>".encode()
    ours = loads_answer(body)
    assert same(ours, reference(body))
    if expected is not None:
        assert same(ours, expected)


def test_several_params_and_none_read_as_the_stdlib_reads_them():
    several = (b"<methodResponse><params><param><value><int>1</int></value></param>"
               b"<param><value>two</value></param></params></methodResponse>")
    for body, expected in ((several, (1, "two")), (b"<methodResponse><params/></methodResponse>", ())):
        assert same(loads_answer(body), reference(body)) and same(loads_answer(body), expected)


def test_a_date_stays_a_date_and_a_binary_stays_a_binary():
    moment = loads_answer(answer(VALUES["a date"]))
    assert isinstance(moment, xmlrpc.client.DateTime) and moment.value == "20261207T23:59:01"
    binary = loads_answer(answer(VALUES["a binary"]))
    assert isinstance(binary, xmlrpc.client.Binary) and binary.data == b"\x00\xff%PDF-1.7"


@pytest.mark.parametrize("code, text, exception, detail", [
    (4, "You are not allowed to modify 'User' (res.users) records.", "AccessError",
     "You are not allowed to modify 'User' (res.users) records."),
    (3, "Access Denied", "AccessDenied", "Access Denied"),
    (1, "Traceback (most recent call last):\n  File x\nodoo.exceptions.ValidationError: Bad VAT", "ValidationError",
     "Bad VAT"),
])
def test_a_fault_is_odoos_fault_as_before(code, text, exception, detail):
    body = xmlrpc.client.dumps(xmlrpc.client.Fault(code, text), methodresponse=True).encode()
    with pytest.raises(xmlrpc.client.Fault) as raw:
        loads_answer(body)
    assert (raw.value.faultCode, raw.value.faultString) == (code, text)
    with pytest.raises(OdooFault) as fault, mapped_errors(CONFIG):
        loads_answer(body)
    assert (fault.value.exception, fault.value.detail) == (exception, detail)


def nested(depth: int) -> str:
    return "<value><array><data>" * depth + "<value><int>1</int></value>" + "</data></array></value>" * depth


def nested_structs(depth: int) -> str:
    return ("<value><struct><member><name>k</name>" * depth + "<value><int>1</int></value>"
            + "</member></struct></value>" * depth)


def entity_bomb(levels: int = 9) -> bytes:
    """A billion-laughs DTD: 3 x 10^levels characters from a few hundred bytes."""
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, levels + 1))
    return (f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY l0 "lol">{entities}]><methodResponse><params><param>'
            f"<value><string>&l{levels};</string></value></param></params></methodResponse>").encode()


BOGUS = {
    "not XML": b"<html><body>502 Bad Gateway",
    "empty": b"",
    "truncated": answer(ROWS)[:-40],
    "a methodCall": xmlrpc.client.dumps((1,), "execute_kw").encode(),
    "an unknown type": b"<methodResponse><params><param><value><money>3</money></value></param></params>"
                       b"</methodResponse>",
    "a value of two types": b"<methodResponse><params><param><value><int>1</int><string>1</string></value>"
                            b"</param></params></methodResponse>",
    "a member without its name": b"<methodResponse><params><param><value><struct><member><value><int>1</int>"
                                 b"</value></member></struct></value></param></params></methodResponse>",
    "a bad boolean": b"<methodResponse><params><param><value><boolean>yes</boolean></value></param></params>"
                     b"</methodResponse>",
    "a bad integer": b"<methodResponse><params><param><value><int>12a</int></value></param></params>"
                     b"</methodResponse>",
    "bad base64": b"<methodResponse><params><param><value><base64>\xc3\xa9</base64></value></param></params>"
                  b"</methodResponse>",
    "an array without data": b"<methodResponse><params><param><value><array><value><int>1</int></value>"
                             b"</array></value></param></params></methodResponse>",
    "a fault that is not a fault struct": b"<methodResponse><fault><value><string>no</string></value></fault>"
                                          b"</methodResponse>",
    "params and a fault": b"<methodResponse><params/><fault/></methodResponse>",
    "nested too deep": f"<methodResponse><params><param>{nested(MAX_DEPTH + 1)}</param></params>"
                       "</methodResponse>".encode(),
    "structs nested too deep": f"<methodResponse><params><param>{nested_structs(MAX_DEPTH + 1)}</param>"
                               "</params></methodResponse>".encode(),
    "a param of two values": b"<methodResponse><params><param><value>1</value><value>2</value></param></params>"
                             b"</methodResponse>",
    "a long bad boolean": b"<methodResponse><params><param><value><boolean>" + b"2" * 10_000 + b"</boolean>"
                          b"</value></param></params></methodResponse>",
    "a long unknown tag": b"<methodResponse><params><param><value><" + b"x" * 10_000 + b"/></value></param>"
                          b"</params></methodResponse>",
    "an entity-expansion bomb": entity_bomb(),  # expat's amplification limit, as for xmlrpc.client
    "an undeclared namespace": b"<methodResponse><params><param><value><ex:nil/></value></param></params>"
                               b"</methodResponse>",
}


@pytest.mark.parametrize("name", list(BOGUS))
def test_an_answer_that_is_not_well_formed_xml_rpc_is_one_tagged_error(name):
    with pytest.raises(MalformedAnswer):
        loads_answer(BOGUS[name])
    with pytest.raises(OdooUnreachable) as failure, mapped_errors(CONFIG):
        loads_answer(BOGUS[name])
    message = str(failure.value)
    assert message.startswith("t (http://127.0.0.1:8069): unexpected answer (") and "\n" not in message
    assert "MalformedAnswer" not in message  # the problem in words, not an exception's repr
    assert len(message) < 300


def test_nesting_up_to_the_limit_is_read():
    body = f"<methodResponse><params><param>{nested(MAX_DEPTH)}</param></params></methodResponse>".encode()
    value = loads_answer(body)
    for _ in range(MAX_DEPTH):
        value = value[0]
    assert value == 1
    body = f"<methodResponse><params><param>{nested_structs(MAX_DEPTH)}</param></params></methodResponse>".encode()
    value = loads_answer(body)
    for _ in range(MAX_DEPTH):
        value = value["k"]
    assert value == 1


def test_a_request_is_the_body_serverproxy_sends():
    params = ("db", 2, "secret", "res.partner", "search_read", [[["name", "ilike", "é<&"]]],
              {"fields": ["name"], "limit": 100, "context": None})
    sent = dumps_call("execute_kw", params)
    assert sent == xmlrpc.client.dumps(params, "execute_kw", encoding="utf-8", allow_none=True).encode()
    assert xmlrpc.client.loads(sent) == (params, "execute_kw")
