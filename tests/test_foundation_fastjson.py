"""Results and audit lines read the same whichever JSON encoder wrote them."""

from __future__ import annotations

import json

import pytest

from foundation import fastjson
from guard.guard import render_text


@pytest.mark.parametrize(
    "value",
    [
        [{"id": 7, "name": "Quarry Lantern SA", "email": False, "city": "Zürich", "amount": 12.5}],
        {"nested": {"list": [1, 2.25, None, True], "empty": {}}, "emoji": "🙂", "quote": 'a "b" \\ c'},
        {"big": 2**70},  # beyond orjson's 64 bits: the stdlib writes it, exactly
        {3: "int key"},
    ],
)
def test_compact_json_is_what_the_stdlib_writes(value):
    expected = json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    assert render_text(value) == expected
    assert json.loads(fastjson.dumps_bytes(value)) == json.loads(expected)


def test_what_json_cannot_hold_is_written_as_text():
    class Opaque:
        def __str__(self) -> str:
            return "opaque!"

    assert render_text({"x": Opaque()}) == '{"x":"opaque!"}'
    assert render_text("plain text") == "plain text"


def test_not_json_is_a_value_error():
    with pytest.raises(ValueError):
        fastjson.loads(b"<html>")


def test_the_stdlib_fallback_writes_the_same_compact_utf8_json():
    """A value orjson refuses (an integer beyond 64 bits) goes to the stdlib with everything else it holds
    (break: the fallback escapes non-ASCII, drops `default=str`, or writes other separators)."""
    import datetime

    value = {"big": 2**70, "city": "Zürich", "when": datetime.date(2026, 12, 7), "list": [1, 2], 5: "five"}
    assert fastjson.dumps_bytes(value) == (
        '{"big":1180591620717411303424,"city":"Zürich","when":"2026-12-07","list":[1,2],"5":"five"}'
    ).encode()
