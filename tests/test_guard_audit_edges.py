"""guard/audit.py at its edges: the exact masks, the start record, one report for many failures,
and configured secrets masked as deep as a record can go. In process; rows found by `make mutants`."""

from __future__ import annotations

import errno
import json
import os
from typing import Any

import pytest

from guard.audit import MAX_DEPTH, REDACTED, AuditLog, AuditUnavailable, KnownSecrets, redact


@pytest.mark.parametrize(("text", "masked"), [
    ("Bearer abc.def-5555", f"Bearer {REDACTED}"),
    ("basic dXNlcjpwdw==", f"basic {REDACTED}"),
    ("https://admin:pw-4444@odoo.example/web", f"https://{REDACTED}@odoo.example/web"),
])
def test_a_secret_inside_a_value_is_masked_in_its_own_shape(text, masked):
    """A scheme keeps its word, a URL keeps its host (break: one mask shape used for both)."""
    assert redact(text) == masked


def failing_writer(descriptor: int, data: bytes) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_the_start_record_names_itself_and_the_process(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    log.start()
    log.close()
    record = json.loads(path.read_text())
    assert (record["event"], record["pid"]) == ("audit_start", os.getpid())


def test_a_start_the_log_cannot_record_stops_the_start(tmp_path, capfd):
    """(break: the start record written as optional, so a full disk only warns)."""
    log = AuditLog(tmp_path / "audit.jsonl", stderr=False, writer=failing_writer)
    with pytest.raises(AuditUnavailable):
        log.start()


def test_failures_of_optional_records_are_reported_once(tmp_path, capfd):
    """(break: the warning is not remembered as given)."""
    log = AuditLog(tmp_path / "audit.jsonl", stderr=False, writer=failing_writer)
    assert [log.record("tool_call", tool="x") for _ in range(3)] == [False, False, False]
    err = capfd.readouterr().err
    assert err.count("odoo-mcp: the audit log could not be written") == 1, err


def nested(leaf: Any, depth: int, shape: str) -> Any:
    for _ in range(depth):
        leaf = {"k": leaf} if shape == "dict" else [leaf]
    return leaf


@pytest.mark.parametrize("shape", ["dict", "list"])
def test_configured_secrets_are_masked_as_deep_as_redaction_lets_a_record_go(shape):
    """`redact` cuts values below MAX_DEPTH; everything above it is masked field by field too
    (break: the walk counts depth in steps of two, or stops short)."""
    secrets = KnownSecrets()
    secrets.add(["hunter22"])
    deep = nested("x hunter22 y", MAX_DEPTH - 1, shape)
    assert json.dumps(secrets.mask({"deep": deep})) == json.dumps({"deep": nested(f"x {REDACTED} y", MAX_DEPTH - 1,
                                                                                    shape)})


def test_masking_keeps_every_item_that_holds_no_secret():
    """(break: list items replaced, or a nested list walked with no depth)."""
    secrets = KnownSecrets()
    secrets.add(["hunter22"])
    assert secrets.mask(["a", 1, None, ["hunter22", ["b"]], {"hunter22": "c"}]) == [
        "a", 1, None, [REDACTED, ["b"]], {REDACTED: "c"}
    ]


def record_line(secrets: list[str], **fields: Any) -> str:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.jsonl"
        log = AuditLog(path, stderr=False)
        log.add_secrets(secrets)
        log.record("tool_call", **fields)
        log.close()
        return path.read_text()


def test_configured_secrets_are_masked_whole_longest_first_and_from_four_characters():
    """In the rendered line and field by field (break: shortest first leaves a tail in clear, the
    alternatives joined wrongly, an escaped form cut short, or a four-character secret skipped)."""
    secrets = ["abc1", "abc12345", 'quo"te\\d']
    line = json.loads(record_line(secrets, error='x abc12345 y abc1 z quo"te\\d w'))
    assert line["error"] == f"x {REDACTED} y {REDACTED} z {REDACTED} w"
    known = KnownSecrets()
    known.add(secrets)
    assert known.mask("x abc12345 y abc1 z") == f"x {REDACTED} y {REDACTED} z"


def test_a_value_holding_only_part_of_a_secret_is_left_as_written():
    """(break: the escaped forms cut a character short, so any part of a secret is masked)."""
    line = json.loads(record_line(["hunter22"], note="unter2 hunter2 unter22"))
    assert line["note"] == "unter2 hunter2 unter22"


def test_without_secrets_long_enough_to_scan_nothing_is_masked():
    """(break: an empty pattern compiled, which matches everywhere)."""
    line = json.loads(record_line(["abc"], note="hello abc"))
    assert line["note"] == "hello abc"
    known = KnownSecrets()
    known.add(["abc", None])
    assert known.mask("hello abc") == "hello abc"


def test_json_text_after_leading_spaces_is_still_looked_into():
    """(break: only the text's end stripped before looking for `{`)."""
    assert json.loads(json.dumps(redact('  {"password": "hunter22", "login": "bob"}'))) == {
        "password": REDACTED, "login": "bob"}


def test_close_releases_the_file_once(tmp_path):
    """(break: close keeps the descriptor, or a second close fails)."""
    before = set(os.listdir("/proc/self/fd"))
    log = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    assert set(os.listdir("/proc/self/fd")) != before
    log.close()
    log.close()
    assert set(os.listdir("/proc/self/fd")) == before


def test_a_report_to_a_stderr_that_is_gone_is_dropped_quietly(tmp_path, monkeypatch):
    """(break: the report's own failure escapes from `record`)."""

    class Gone:
        def write(self, _text: str) -> int:
            raise OSError(errno.EPIPE, "Broken pipe")

        def flush(self) -> None:
            raise OSError(errno.EPIPE, "Broken pipe")

    log = AuditLog(tmp_path / "audit.jsonl", stderr=False, writer=failing_writer)
    monkeypatch.setattr("sys.stderr", Gone())
    assert log.record("tool_call", tool="x") is False
