"""The audit log in-process: write-ahead and fail closed, whole lines, redaction by key and by value."""

from __future__ import annotations

import errno
import json
import os
from typing import Any

import pytest

from guard.audit import REDACTED, AuditLog, AuditUnavailable, redact, write_all
from guard.guard import Guard
from guard.policy import parse_policy
from guard.spec import Caller, Risk, ToolArgs, ToolSpec

pytestmark = pytest.mark.anyio


class Disk:
    """A writer standing in for `os.write`: short writes, then a full disk, on demand."""

    def __init__(self, chunk: int | None = None) -> None:
        self.chunk = chunk
        self.room: int | None = None  # bytes left before ENOSPC; None = unlimited

    def __call__(self, descriptor: int, data: bytes) -> None:
        def one_write(view: memoryview) -> int:
            size = len(view) if self.chunk is None else min(self.chunk, len(view))
            if self.room is not None:
                if self.room == 0:
                    raise OSError(errno.ENOSPC, "No space left on device")
                size = min(size, self.room)
                self.room -= size
            return os.write(descriptor, bytes(view[:size]))

        view = memoryview(data)
        while view:
            view = view[one_write(view):]


def lines(path) -> list[str]:
    return path.read_text().split("\n")


def test_short_writes_are_continued_until_the_line_is_whole(tmp_path, monkeypatch):
    import guard.audit as audit_module

    real_write = os.write
    calls: list[int] = []

    def stingy(descriptor: int, data: Any) -> int:  # a write(2) that writes 5 bytes at a time
        calls.append(1)
        return real_write(descriptor, bytes(data[:5]))

    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    monkeypatch.setattr(audit_module.os, "write", stingy)
    log.record("tool_call", required=True, tool="x", arguments={"a": "b" * 40})
    monkeypatch.undo()
    [line, end] = lines(path)
    assert json.loads(line)["arguments"] == {"a": "b" * 40} and end == ""
    assert len(calls) > 10


def test_a_write_that_writes_nothing_is_a_failure(tmp_path, monkeypatch):
    import guard.audit as audit_module

    monkeypatch.setattr(audit_module.os, "write", lambda fd, data: 0)
    with pytest.raises(OSError):
        write_all(1, b"line\n")


def test_an_intent_that_cannot_be_written_raises_and_a_record_reports(tmp_path, capsys):
    disk = Disk()
    disk.room = 0
    log = AuditLog(tmp_path / "audit.jsonl", stderr=False, writer=disk)
    with pytest.raises(AuditUnavailable):
        log.record("tool_intent", required=True, tool="x")
    assert log.record("tool_call", tool="x") is False
    assert "audit log could not be written" in capsys.readouterr().err


def test_a_torn_line_never_glues_two_records(tmp_path):
    disk = Disk()
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False, writer=disk)
    disk.room = 20  # the disk fills half-way through the first record
    with pytest.raises(AuditUnavailable):
        log.record("tool_intent", required=True, tool="first")
    disk.room = None  # room again
    log.record("tool_intent", required=True, tool="second")
    torn, whole, end = lines(path)
    assert len(torn) == 20
    assert json.loads(whole)["tool"] == "second" and end == ""


def _guard_with(log: AuditLog, ran: list[str]) -> Any:
    class Args(ToolArgs):
        name: str = "x"

    def handler(args: Args, call: Any) -> dict[str, Any]:
        intents = [json.loads(line) for line in log.path.read_text().splitlines() if '"tool_intent"' in line]
        ran.append(args.name)
        return {"intent_written_before_the_handler": [r["arguments"]["name"] for r in intents]}

    guard = Guard(parse_policy({"version": "1", "default": "allow"}), audit=log)
    return guard.wrap(ToolSpec("make", "test", Risk.WRITE, Args, handler, "Make something."))


async def test_the_intent_is_written_before_the_handler_and_the_outcome_after(tmp_path):
    ran: list[str] = []
    log = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    tool = _guard_with(log, ran)
    result = await tool({"name": "first"}, Caller())
    assert not result.is_error, result.text
    assert result.data == {"intent_written_before_the_handler": ["first"]}
    intent, outcome = [json.loads(line) for line in log.path.read_text().splitlines()]
    assert (intent["event"], intent["phase"], outcome["event"], outcome["phase"]) == (
        "tool_intent", "intent", "tool_call", "outcome")
    assert intent["call"] == outcome["call"] and outcome["outcome"] == "ok"


async def test_no_intent_no_call(tmp_path):
    ran: list[str] = []
    disk = Disk()
    log = AuditLog(tmp_path / "audit.jsonl", stderr=False, writer=disk)
    tool = _guard_with(log, ran)
    disk.room = 0
    result = await tool({"name": "refused"}, Caller())
    assert result.is_error and result.text.startswith("[AUDIT UNAVAILABLE]")
    assert ran == []
    disk.room = None
    assert not (await tool({"name": "later"}, Caller())).is_error
    assert ran == ["later"]


SECRET_CASES = [
    # (what a caller sent, what must not be in the record, what must stay)
    ({"password": "hunter22"}, "hunter22", None),
    ({"values": '{"login": "bob", "password": "hunter22"}'}, "hunter22", "bob"),
    ({"values": '[{"name": "x", "api_key": "k-123456"}]'}, "k-123456", "x"),
    ({"values": '{"nested": "{\\"token\\": \\"t-99999\\"}"}'}, "t-99999", None),
    ({"model": "res.users", "method": "change_password", "args": ["old-pw-1", "new-pw-2"]}, "new-pw-2", "res.users"),
    ({"method": "_set_password", "kwargs": {"pw": "kw-pw-333"}}, "kw-pw-333", None),
    ({"url": "https://admin:pw-4444@odoo.example"}, "pw-4444", "odoo.example"),
    ({"header": "Bearer abc.def-5555"}, "abc.def-5555", None),
    ({"values": "[" * 5000 + "]" * 5000}, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", None),
]


@pytest.mark.parametrize(("arguments", "hidden", "kept"), SECRET_CASES)
def test_redaction_by_key_and_by_value(arguments, hidden, kept):
    rendered = json.dumps(redact(arguments))
    assert hidden not in rendered
    if kept is not None:
        assert kept in rendered


def test_redaction_survives_any_depth():
    deep: Any = "leaf"
    for _ in range(5000):
        deep = [deep]
    assert "nested too deeply" in json.dumps(redact({"values": deep}))


def test_configured_secrets_never_reach_the_log_whatever_the_key(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    log.add_secrets(["operator-pw-77", None, "abc"])  # too short to scan: documented
    log.record("tool_call", arguments={"note": "echo operator-pw-77 back", "operator-pw-77": 1},
               error="[ODOO ERROR] AccessDenied: operator-pw-77")
    text = path.read_text()
    assert "operator-pw-77" not in text
    assert REDACTED in text and "echo" in text


def test_a_broken_stderr_copy_does_not_stop_calls_when_the_file_has_the_record(tmp_path):
    import sys

    def writer(descriptor: int, data: bytes) -> None:
        if descriptor == sys.stderr.fileno():
            raise OSError(errno.EPIPE, "Broken pipe")
        write_all(descriptor, data)

    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=True, writer=writer)
    assert log.record("tool_intent", required=True, tool="x") is True
    assert json.loads(path.read_text())["tool"] == "x"
