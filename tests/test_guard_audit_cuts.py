"""guard/audit.py where a record is cut or shaped: the depth and length cuts of `redact`, the
file's mode and place, the timestamp, one record a line. In process; rows found by `make mutants`."""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import UTC, datetime

import pytest

from guard.audit import MAX_DEPTH, MAX_STRING, REDACTED, AuditLog, AuditUnavailable, redact, write_all

CUT = "…<nested too deeply>"


def nested_lists(leaf, depth: int):
    for _ in range(depth):
        leaf = [leaf]
    return leaf


def nested_dicts(leaf, depth: int):
    for _ in range(depth):
        leaf = {"a": leaf}
    return leaf


def innermost(value, depth: int):
    for _ in range(depth):
        value = value["a"] if isinstance(value, dict) else value[0]
    return value


@pytest.mark.parametrize("nest", [nested_lists, nested_dicts])
def test_a_value_is_kept_one_level_above_the_depth_cut_and_cut_at_it(nest):
    """(break: `>=` for `>` in the cut, or a level counted twice on the way down)."""
    assert innermost(redact(nest("leaf", MAX_DEPTH - 1)), MAX_DEPTH - 1) == "leaf"
    assert innermost(redact(nest("leaf", MAX_DEPTH)), MAX_DEPTH) == CUT


def test_json_text_counts_as_one_level_deeper():
    """A string holding JSON is looked into one level down (break: two levels counted)."""
    text = json.dumps(["leaf"])
    assert innermost(redact(nested_lists(text, MAX_DEPTH - 3)), MAX_DEPTH - 2) == "leaf"
    assert innermost(redact(nested_lists(text, MAX_DEPTH - 2)), MAX_DEPTH - 1) == CUT


class Opaque:
    def __str__(self) -> str:
        return "opaque-value"


def test_another_object_is_written_as_its_text_one_level_deeper():
    """(break: its text counted two levels down, so it is cut one level too early)."""
    assert innermost(redact(nested_lists(Opaque(), MAX_DEPTH - 2)), MAX_DEPTH - 2) == "opaque-value"
    assert innermost(redact(nested_lists(Opaque(), MAX_DEPTH - 1)), MAX_DEPTH - 1) == CUT


def test_a_string_is_kept_up_to_the_length_cut_and_cut_to_64_characters_after_it():
    """(break: `>=` for `>`, or a different head kept)."""
    whole = "x" * MAX_STRING
    assert redact(whole) == whole
    longer = "".join(chr(ord("a") + i % 26) for i in range(MAX_STRING + 1))
    assert redact(longer) == f"{longer[:64]}…<{MAX_STRING + 1} chars>"


def test_a_long_string_is_cut_after_its_secrets_are_masked():
    """The count is of the masked text; the head never shows the secret (break: cut before masking)."""
    text = "Bearer " + "t" * 300
    assert redact(text) == f"Bearer {REDACTED}"


@pytest.mark.parametrize("empty", [None, "", [], {}])
def test_an_empty_secret_field_is_shown_empty(empty):
    """An empty password is written as it is, a set one masked (break: empties masked or kept wrongly)."""
    assert redact({"password": empty}) == {"password": empty}
    assert redact({"password": "pw-1"}) == {"password": REDACTED}


@pytest.mark.parametrize("empty", [None, [], {}])
def test_empty_arguments_of_a_secret_method_are_shown_empty(empty):
    record = {"method": "change_password", "args": empty, "kwargs": ["pw-2"]}
    assert redact(record) == {"method": "change_password", "args": empty, "kwargs": REDACTED}


def test_only_a_method_name_that_is_text_selects_the_masking():
    """A `method` that is not a string masks nothing by name (break: any value matched)."""
    assert redact({"method": ["change_password"], "args": ["plain"]}) == {
        "method": ["change_password"], "args": ["plain"]}


def test_json_text_too_deep_to_decode_is_masked_whole():
    text = "[" * 100_000 + "]" * 100_000
    assert redact(text) == f"{REDACTED} (JSON text nested too deeply to inspect)"


def test_text_that_only_looks_like_json_is_kept_as_written():
    assert redact("[not json") == "[not json"
    assert redact("{'a': 1}") == "{'a': 1}"


def read_records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_file_is_created_with_its_folders_readable_by_the_owner_only(tmp_path):
    """(break: another mode, or the missing folders not made)."""
    path = tmp_path / "new" / "deeper" / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    log.record("e")
    log.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [r["event"] for r in read_records(path)] == ["e"]


def test_an_existing_file_is_appended_to_and_its_folder_reused(tmp_path):
    path = tmp_path / "audit.jsonl"
    first = AuditLog(path, stderr=False)
    first.record("one")
    first.close()
    second = AuditLog(path, stderr=False)
    second.record("two")
    second.close()
    assert [r["event"] for r in read_records(path)] == ["one", "two"]


def test_every_record_carries_its_time_in_utc_iso_form(tmp_path):
    """(break: another key, local time, or a Unix timestamp)."""
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    log.record("e")
    log.close()
    (record,) = read_records(path)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", record["time"])
    assert datetime.fromisoformat(record["time"]).tzinfo == UTC


def test_by_default_the_record_is_copied_to_stderr(tmp_path, capfd):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.record("copied", item=1)
    log.close()
    (line,) = capfd.readouterr().err.splitlines()
    assert json.loads(line)["event"] == "copied"


@pytest.mark.parametrize(("raw", "escaped"), [
    ("\u2028", "\\u2028"), ("\u2029", "\\u2029"), ("\x85", "\\u0085"), ("\x7f", "\\u007f"), ("\u202e", "\\u202e"),
])
def test_a_value_that_would_break_or_reorder_the_line_is_escaped(tmp_path, raw, escaped):
    """One record a line for any reader (break: DEL or a non-ASCII breaker left raw)."""
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    log.record("e", note=f"a{raw}b")
    log.close()
    text = path.read_text()
    assert raw not in text and f"a{escaped}b" in text
    assert read_records(path)[0]["note"] == f"a{raw}b"


def test_a_write_that_wrote_nothing_says_so_to_the_operator(tmp_path, capfd, monkeypatch):
    """(break: the zero-byte write taken as progress, or its reason lost)."""
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    monkeypatch.setattr(os, "write", lambda fd, data: 0)
    assert log.record("e") is False
    monkeypatch.undo()
    log.close()
    assert "write(2) wrote nothing" in capfd.readouterr().err


def test_write_all_writes_every_byte_in_order(tmp_path):
    path = tmp_path / "out"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        write_all(fd, b"abc" * 1000)
    finally:
        os.close(fd)
    assert path.read_bytes() == b"abc" * 1000


class TornCopy:
    """A writer whose first write to stderr stops half-way and fails; the file is written whole."""

    def __init__(self) -> None:
        self.failed = False
        self.file: int | None = None  # the log of record is written first

    def __call__(self, descriptor: int, data: bytes) -> None:
        if self.file is None:
            self.file = descriptor
        if descriptor != self.file and not self.failed:
            self.failed = True
            os.write(descriptor, data[: len(data) // 2])
            raise OSError("broken pipe")
        write_all(descriptor, data)


def test_a_torn_stderr_copy_is_ended_before_the_next_record(tmp_path, capfd):
    """(break: the next copy glued to the torn half, or every copy preceded by a blank line)."""
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, writer=TornCopy())
    assert log.record("first") is True
    log.record("second")
    log.record("third")
    log.close()
    copies = capfd.readouterr().err.split("\n")
    assert [json.loads(line)["event"] for line in copies[1:] if line] == ["second", "third"]
    assert copies[-1] == "" and len(copies) == 4
    assert [r["event"] for r in read_records(path)] == ["first", "second", "third"]



def test_a_record_the_file_could_not_take_is_still_copied_to_stderr_marked_unwritten(tmp_path, capfd):
    """(break: the copy dropped, emptied, or not marked as missing from the file)."""
    path = tmp_path / "audit.jsonl"
    first: list[int] = []  # the log of record is written first

    def file_full(descriptor: int, data: bytes) -> None:
        first[:] = first or [descriptor]
        if descriptor == first[0]:
            raise OSError("no space")
        write_all(descriptor, data)

    log = AuditLog(path, writer=file_full)
    assert log.record("lost", item=7) is False
    log.close()
    err = capfd.readouterr().err
    (line,) = [line for line in err.split("\n") if line.startswith("{")]
    copy = json.loads(line)
    assert (copy["event"], copy["item"], copy["prev"]) == ("lost", 7, "unwritten")
    assert f"{line}\n" in err


def test_a_caller_field_is_redacted_by_its_key_and_a_guard_field_is_written_as_it_is(tmp_path):
    """(break: caller fields written unredacted, or the guard's own fields cut like a caller's)."""
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    log.record("e", password="pw-9", decision="d" * 300, note="n" * 300)
    log.close()
    (record,) = read_records(path)
    assert record["password"] == REDACTED
    assert record["decision"] == "d" * 300
    assert record["note"] == f"{'n' * 64}…<300 chars>"


class Unprintable:
    def __str__(self) -> str:
        raise ValueError("no text")


def test_a_record_that_cannot_be_built_is_reported_and_an_intent_refused(tmp_path, capfd):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    assert log.record("e", thing=Unprintable()) is False
    with pytest.raises(AuditUnavailable, match=r"could not be built \(ValueError\)"):
        log.record("e", required=True, thing=Unprintable())
    log.close()
    assert "odoo-mcp: the audit record could not be built (ValueError)" in capfd.readouterr().err


def test_a_lone_surrogate_is_written_as_a_compact_ascii_escape_with_secrets_masked(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    log.add_secrets(["hunter-22"])
    log.record("e", note="a\ud800b hunter-22")
    log.close()
    text = path.read_text()
    assert text.isascii() and "\\ud800" in text and '","' in text and '":"' in text
    assert "hunter-22" not in text
    assert read_records(path)[0]["note"] == f"a\ud800b {REDACTED}"


def test_a_log_without_a_file_closes_quietly_and_masks_nothing_before_secrets_are_added():
    log = AuditLog(None, stderr=False)
    assert log.record("e") is True
    log.close()
    assert log.secrets.mask({"a": "plain"}) == {"a": "plain"}


def test_a_configured_secret_met_once_in_a_record_is_masked(tmp_path):
    """(break: the rendered line kept when exactly one match was replaced)."""
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    log.add_secrets(["s3cret-value"])
    log.record("e", note="it is s3cret-value")
    log.close()
    text = path.read_text()
    assert "s3cret-value" not in text and read_records(path)[0]["note"] == f"it is {REDACTED}"
