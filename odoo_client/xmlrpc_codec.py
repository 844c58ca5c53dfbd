"""XML-RPC bodies: the request as the stdlib writes it, the answer read ~3x faster than the stdlib.

`xmlrpc.client.loads` hands every element and text node of an answer to Python callbacks
(its `Unmarshaller`): ~6,000 callbacks for a 100-record `search_read`, ~2.7 ms of CPU, which
was most of what an XML-RPC call cost this server (docs/benchmarks-peers.md, "XML-RPC").
`loads_answer` lets expat build the tree in C (`xml.etree.ElementTree.XMLParser`, the same
expat with the same entity-expansion limits) and walks it once: ~0.8 ms for the same answer.

It reads what the stdlib reads, value for value, for every answer the XML-RPC specification
allows: `<string>` (and a bare `<value>`) as `str`, `<int>`/`<i4>`/`<i8>`/`<i1>`/`<i2>`/
`<biginteger>` as `int` (any size), `<boolean>` 0/1, `<double>`/`<float>`, `<bigdecimal>` as
`Decimal`, `<nil/>` as None, `<dateTime.iso8601>` as `xmlrpc.client.DateTime`, `<base64>` as
`xmlrpc.client.Binary`, structs as dicts (a repeated name: the last wins), arrays as lists, a
namespaced extension tag (`ex:nil`, `ex:i8` with their namespace declared) as the tag itself;
a `<fault>` raises `xmlrpc.client.Fault`, which `errors.mapped_errors` maps as before. Where
the stdlib "gladly accepts bogus XML-RPC" (its own docstring) — an unknown tag, a <value> holding
two values, a member without its name, a boolean other than 0/1, nesting deeper
than `MAX_DEPTH` — this refuses the whole answer with `xmlrpc.client.ResponseError` ("unexpected
answer (...)", tagged by `mapped_errors`), as it does for bytes that are not XML at all:
nothing of a malformed answer is ever returned. Text between elements is ignored, as the
stdlib ignores it (only whitespace is there in a real answer).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
import xmlrpc.client
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_DEPTH = 100
"""Deepest nesting of arrays and structs read (Odoo's answers nest a handful of levels)."""

_INTS = frozenset({"int", "i4", "i8", "i1", "i2", "biginteger"})
_FLOATS = frozenset({"double", "float"})


class MalformedAnswer(xmlrpc.client.ResponseError):
    """An answer that is not well-formed XML-RPC (mapped to "unexpected answer (...)")."""

    def __str__(self) -> str:  # xmlrpc.client.Error's is its repr
        return str(self.args[0]) if self.args else "not an XML-RPC answer"


def dumps_call(method: str, params: tuple[Any, ...]) -> bytes:
    """The request body, byte for byte what `xmlrpc.client.ServerProxy` sends (utf-8, None allowed)."""
    return xmlrpc.client.dumps(params, method, encoding="utf-8", allow_none=True).encode("utf-8",
                                                                                          "xmlcharrefreplace")


def loads_answer(body: bytes) -> Any:
    """An XML-RPC `methodResponse` as `ServerProxy` returns it: its one value, or a tuple of several.

    Raises `xmlrpc.client.Fault` for a fault answer and `MalformedAnswer` for anything else that is
    not a well-formed XML-RPC answer."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise MalformedAnswer(f"not XML: {exc}") from None
    if _tag(root) != "methodResponse" or len(root) != 1:
        raise MalformedAnswer("not an XML-RPC methodResponse")
    part = root[0]
    kind = _tag(part)
    if kind == "params":
        values = []
        for param in part:
            if _tag(param) != "param" or len(param) != 1:
                raise MalformedAnswer("a <param> holds one <value>")
            values.append(_value(param[0], 0))
        return values[0] if len(values) == 1 else tuple(values)
    if kind == "fault":
        if len(part) != 1:
            raise MalformedAnswer("a <fault> holds one <value>")
        fault = _value(part[0], 0)
        if not isinstance(fault, dict) or set(fault) != {"faultCode", "faultString"}:
            raise MalformedAnswer("a fault is a struct of faultCode and faultString")
        raise xmlrpc.client.Fault(fault["faultCode"], fault["faultString"])
    raise MalformedAnswer(f"unexpected <{_short(kind)}> in a methodResponse")


def _short(text: str) -> str:
    """What a server sent, cut to fit in a one-line error."""
    return text if len(text) <= 40 else text[:37] + "..."


def _tag(element: ElementTree.Element) -> str:
    tag = element.tag
    if tag[:1] == "{":  # a declared namespace (ex:nil, ex:i8): the stdlib reads the local name
        return tag.rpartition("}")[2]
    return tag


def _value(element: ElementTree.Element, depth: int) -> Any:
    """One `<value>`: its typed child, or its own text (a string) when it has none."""
    if element.tag != "value" and _tag(element) != "value":
        raise MalformedAnswer(f"<{_short(_tag(element))}> where a <value> belongs")
    count = len(element)
    if not count:
        return element.text or ""
    if count != 1:
        raise MalformedAnswer("a <value> holds one typed value")
    typed = element[0]
    tag = typed.tag
    if tag == "string":
        if len(typed):
            raise MalformedAnswer("elements inside <string>")
        return typed.text or ""
    if tag[:1] == "{":
        tag = _tag(typed)
    if tag == "struct":
        if depth >= MAX_DEPTH:
            raise MalformedAnswer(f"values nested deeper than {MAX_DEPTH}")
        result: dict[str, Any] = {}
        for member in typed:
            if member.tag != "member" or len(member) != 2 or member[0].tag != "name" or len(member[0]):
                raise MalformedAnswer("a struct <member> holds a <name> and a <value>")
            result[member[0].text or ""] = _value(member[1], depth + 1)
        return result
    if tag == "array":
        if depth >= MAX_DEPTH:
            raise MalformedAnswer(f"values nested deeper than {MAX_DEPTH}")
        if len(typed) != 1 or typed[0].tag != "data":
            raise MalformedAnswer("an <array> holds one <data>")
        return [_value(item, depth + 1) for item in typed[0]]
    if len(typed):
        raise MalformedAnswer(f"elements inside <{_short(tag)}>")
    text = typed.text
    try:
        if tag in _INTS:
            return int(text or "")
        if tag == "boolean":
            if text == "0" or text == "1":
                return text == "1"
            raise MalformedAnswer(f"bad boolean {_short(text or '')!r}")
        if tag == "nil":
            return None
        if tag in _FLOATS:
            return float(text or "")
        if tag == "dateTime.iso8601":
            moment = xmlrpc.client.DateTime()
            moment.decode(text or "")
            return moment
        if tag == "base64":
            binary = xmlrpc.client.Binary()
            binary.decode((text or "").encode("ascii"))
            return binary
        if tag == "bigdecimal":
            return Decimal(text or "")
    except (ValueError, InvalidOperation) as exc:  # binascii.Error and UnicodeError are ValueErrors
        raise MalformedAnswer(f"bad <{tag}>: {str(exc)[:80]}") from None
    raise MalformedAnswer(f"unknown tag <{_short(tag)}>")
