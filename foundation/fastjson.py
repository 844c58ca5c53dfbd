"""Compact JSON on the per-call path, through orjson (with the stdlib as the fallback).

Every tool call encodes its request to Odoo, decodes Odoo's answer, renders the result for the
client and writes an audit line; with the stdlib's `json` those four passes over 100 records
were the largest share of what the server itself spends on a call (see docs/benchmarks-peers.md).
orjson writes the same compact JSON (UTF-8, no ASCII escaping, no spaces) several times faster.
What orjson refuses (integers beyond 64 bits, exotic objects its `default` cannot render)
goes through the stdlib instead, so the output never depends on which encoder ran.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps_bytes(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON bytes; anything not JSON-native is rendered with `str()`."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError: a big integer, a cycle, a failing default
        return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":")).encode("utf-8")


def dumps(value: Any) -> str:
    """`value` as compact JSON text (what agents read and audit lines hold)."""
    return dumps_bytes(value).decode("utf-8")


def loads(data: bytes | str) -> Any:
    """Parse JSON; raises `ValueError` (orjson.JSONDecodeError is one) when it is not JSON."""
    return orjson.loads(data)
