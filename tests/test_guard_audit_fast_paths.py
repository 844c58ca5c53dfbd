"""guard/audit.py's cheaper paths keep every promise: a record's time is the clock's, and the string fast
path of `redact` lets nothing through that the full walk would have masked, decoded or cut. In process."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime

import pytest

from guard.audit import MAX_DEPTH, MAX_STRING, REDACTED, AuditLog, redact

SECOND = 1_780_000_000  # 2026-05-28T20:26:40Z


def records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_records_time_is_the_system_clocks_in_utc_to_the_microsecond(tmp_path):
    """(break: another divisor in the clock read, or local time)."""
    log = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    before = datetime.now(UTC)
    log.record("e")
    after = datetime.now(UTC)
    log.close()
    (record,) = records(tmp_path / "audit.jsonl")
    assert before <= datetime.fromisoformat(record["time"]) <= after


def test_records_in_the_same_second_and_the_next_each_carry_their_own_time(tmp_path, monkeypatch):
    """The second's text is kept between records: a record at a whole second still has its six digits,
    and the next second's record is not written with the last one's second
    (break: the cache compared with `==`, or the fraction dropped at .000000 as before)."""
    clock = iter([SECOND * 10**9, SECOND * 10**9 + 999_999_000, (SECOND + 1) * 10**9 + 250_000_000,
                  (SECOND + 61) * 10**9 + 7_000])
    monkeypatch.setattr(time, "time_ns", lambda: next(clock))
    log = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    for event in ("a", "b", "c", "d"):
        log.record(event)
    log.close()
    assert [r["time"] for r in records(tmp_path / "audit.jsonl")] == [
        "2026-05-28T20:26:40.000000Z",
        "2026-05-28T20:26:40.999999Z",
        "2026-05-28T20:26:41.250000Z",
        "2026-05-28T20:27:41.000007Z",
    ]


@pytest.mark.parametrize(
    "text",
    [
        '\t{"password": "hunter22"}',  # JSON text after whitespace (str.lstrip's, which json.loads accepts too)
        '\n ["x", {"token": "hunter22"}]',
        "BEARER hunter22",  # SECRET_VALUE is case-blind
        "baſic hunter22",  # ſ (long s) matches s case-blind: the fast path must see it as `basic` does
        "see ftp://me:hunter22@host/file",
    ],
)
def test_a_short_string_that_hides_a_secret_is_never_let_through_by_the_fast_path(text):
    """(break: the fast path's scan missing JSON text after whitespace, a case, or a URL's user:password@)."""
    redacted = json.dumps(redact({"note": text}))
    assert "hunter22" not in redacted
    assert REDACTED in redacted


class SecretName:
    """A key that is not a string, whose text names a secret."""

    def __str__(self) -> str:
        return "api_key"


def test_keys_that_are_not_strings_are_judged_by_their_text():
    """(break: the key passed on as it is, or another text than its `str`)."""
    key = SecretName()
    assert redact({7: "seven", key: "hunter22"}) == {7: "seven", key: REDACTED}


def test_a_string_the_fast_path_hands_on_is_cut_only_over_the_length_limit():
    """A string of exactly MAX_STRING characters that only looks like it could hide a secret is kept whole
    (break: the slow path cutting at MAX_STRING instead of over it)."""
    text = ("basics of " + "x" * MAX_STRING)[:MAX_STRING]
    assert redact(text) == text
    assert redact(text + "y") == f"{text[:64]}…<{MAX_STRING + 1} chars>"


def test_json_text_too_deep_to_inspect_is_masked_whole_even_at_the_depth_limit():
    """(break: the mask message walked again one level deeper, where it is cut instead)."""
    too_deep = "[" * 100_000 + "]" * 100_000
    value = redact(_nest(too_deep, MAX_DEPTH - 1))
    for _ in range(MAX_DEPTH - 1):
        value = value[0]
    assert value == f"{REDACTED} (JSON text nested too deeply to inspect)"


def _nest(leaf, depth: int):
    for _ in range(depth):
        leaf = [leaf]
    return leaf


def test_a_record_with_a_lone_surrogate_is_as_compact_as_any_other(tmp_path):
    """The stdlib fallback (a lone surrogate) writes the same compact JSON as orjson: no space after a
    separator anywhere in the record (break: the fallback's separators dropped)."""
    log = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    log.record("e", note="a\ud800b", more={"k": ["v", 1]})
    log.close()
    line = (tmp_path / "audit.jsonl").read_text()
    assert "\\ud800" in line
    assert ", " not in line and ": " not in line


class Text(str):
    """A str subclass: `redact` gives it the full walk (its fast path is for exact `str` only)."""


PIECES = ["bearer ", "BASIC ", "baſic ", "Bearer\t", "://", "u:p@", "@", ":", "{", "[", "]", "}", '"', "\\", " ", "\t",
          "\n", "\u2003", "\x1c", "\u2028", "x", "K", "ſ", "token", "é", "0", "=", "/", '{"a": 1}', '["b"]', "hunter22"]


def test_the_fast_path_gives_what_the_full_walk_gives_for_any_string():
    """Strings built from the pieces the scan looks for (and near misses): `redact` of the string
    equals `redact` of the same text taken through the full walk (break: the scan missing a case,
    e.g. JSON text after whitespace, or `basic` spelt with a long s)."""
    rng = random.Random(26)
    texts = ["".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 8))) for _ in range(4000)]
    texts += [("x" * 250 + piece)[:MAX_STRING + offset] for piece in PIECES for offset in (-1, 0, 1)]
    for text in texts:
        assert redact(text) == redact(Text(text)), text
