"""Tamper evidence: each audit record carries the hash of the line before it, and
`odoo-mcp audit verify FILE` says where the chain breaks (exit 0 intact, 1 broken, 2 unreadable)."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from pathlib import Path

import pytest

from guard.audit import AuditLog
from odoo_mcp.cli import main


def write(path: Path, count: int, start: int = 0) -> None:
    log = AuditLog(path, stderr=False)
    for index in range(start, start + count):
        log.record("tool_call", tool="odoo_write", arguments={"n": index})
    log.close()


def verify(path: Path, capsys) -> tuple[int, str]:
    code = main(["audit", "verify", str(path)])
    return code, capsys.readouterr().out


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def save(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def test_each_record_carries_the_hash_of_the_line_before_it(tmp_path):
    path = tmp_path / "audit.jsonl"
    write(path, 3)
    first, second, third = lines_of(path)
    assert json.loads(second)["prev"] == hashlib.sha256(first).hexdigest()
    assert json.loads(third)["prev"] == hashlib.sha256(second).hexdigest()
    assert json.loads(first)["prev"] not in {hashlib.sha256(line).hexdigest() for line in (second, third)}


def test_an_intact_file_verifies_across_a_restart(tmp_path, capsys):
    path = tmp_path / "audit.jsonl"
    write(path, 3)
    write(path, 3, start=3)  # a new process: continues from the file's last line
    code, out = verify(path, capsys)
    assert code == 0, out
    assert "intact" in out and "6 records" in out
    fourth = lines_of(path)[3]
    assert json.loads(fourth)["prev"] == hashlib.sha256(lines_of(path)[2]).hexdigest()


@pytest.mark.parametrize(("tamper", "where", "what"), [
    ("removed", 3, "removed"),
    ("edited", 3, "edited"),
    ("reordered", 2, "reordered"),
    ("first removed", 1, "removed"),
])
def test_a_tampered_file_says_where_the_chain_breaks(tmp_path, capsys, tamper, where, what):
    path = tmp_path / "audit.jsonl"
    write(path, 6)
    lines = lines_of(path)
    if tamper == "removed":
        del lines[2]
    elif tamper == "edited":
        record = json.loads(lines[1])
        record["arguments"]["n"] = 99
        lines[1] = json.dumps(record, separators=(",", ":")).encode()
    elif tamper == "reordered":
        lines[1], lines[2] = lines[2], lines[1]
    else:
        del lines[0]
    save(path, lines)
    code, out = verify(path, capsys)
    assert code == 1, out
    first_break = next(line for line in out.splitlines() if line.startswith(f"{path}:"))
    assert first_break.startswith(f"{path}:{where}: ") and what in first_break, out
    assert "broken" in out.splitlines()[-1]


def test_a_truncated_last_line_is_a_break(tmp_path, capsys):
    path = tmp_path / "audit.jsonl"
    write(path, 4)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 20])
    code, out = verify(path, capsys)
    assert code == 1 and f"{path}:4: " in out and "truncated" in out, out


def test_the_next_record_after_a_torn_line_continues_the_chain_on_its_own_line(tmp_path, capsys):
    path = tmp_path / "audit.jsonl"
    write(path, 2)
    with path.open("ab") as handle:
        handle.write(b'{"prev":"cut sho')  # another writer died half-way through a line
    write(path, 2, start=2)
    lines = lines_of(path)
    assert len(lines) == 5 and json.loads(lines[3])["arguments"] == {"n": 2}
    code, out = verify(path, capsys)
    assert code == 1 and f"{path}:3: " in out and f"{path}:4:" not in out, out


def test_two_writers_alternating_on_one_file_keep_one_chain(tmp_path, capsys):
    path = tmp_path / "audit.jsonl"
    one, two = AuditLog(path, stderr=False), AuditLog(path, stderr=False)
    for index in range(6):
        (one if index % 2 else two).record("tool_call", arguments={"n": index})
    one.close()
    two.close()
    code, out = verify(path, capsys)
    assert code == 0, out


def _writer(path: str, name: str, count: int) -> None:
    log = AuditLog(Path(path), stderr=False)
    for index in range(count):
        log.record("tool_call", tool=name, arguments={"n": index, "pad": "x" * 200})
    log.close()


def test_concurrent_processes_keep_one_chain(tmp_path, capsys):
    path = tmp_path / "audit.jsonl"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(str(path), name, 400)) for name in ("a", "b", "c", "d")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    code, out = verify(path, capsys)
    assert code == 0, out
    assert "1600 records" in out


def test_stderr_only_is_one_chain_per_process(tmp_path, capfd):
    log = AuditLog(None, stderr=True)
    for index in range(3):
        log.record("tool_call", arguments={"n": index})
    path = tmp_path / "captured.jsonl"
    path.write_text(capfd.readouterr().err)
    assert main(["audit", "verify", str(path)]) == 0, capfd.readouterr().out


def test_an_unreadable_file_is_exit_2(tmp_path, capsys):
    assert main(["audit", "verify", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_last_line_longer_than_the_first_tail_chunk_is_read_whole(tmp_path, capsys):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, stderr=False)
    log.record("tool_call", arguments={"ids": list(range(5000))})  # one line of ~25 kB
    log.close()
    write(path, 2)  # a restart reads that line back
    code, out = verify(path, capsys)
    assert code == 0, out


def test_stderr_redirected_to_a_write_only_file_is_still_a_stream(tmp_path):
    """`ODOO_MCP_AUDIT_LOG=-` with `2>>server.log`: stderr is a regular file the server cannot read back,
    holding other lines too; the chain is the process's, never a read of that file."""
    import subprocess
    import sys

    from guard.audit_chain import CHAIN_START
    from tests.harness import REPO

    log = tmp_path / "server.log"
    log.write_text("odoo-mcp 0.1.0: a start line that is not a record\n")
    script = ("from guard.audit import AuditLog\nlog = AuditLog(None, stderr=True)\nlog.start()\n"
              "for n in range(2):\n    log.record('tool_call', required=True, arguments={'n': n})\n")
    with log.open("ab") as stderr:  # write-only, appending: what a shell's 2>> gives
        done = subprocess.run([sys.executable, "-c", script], cwd=REPO, stderr=stderr, timeout=60)
    assert done.returncode == 0, log.read_text()
    start, *calls = [json.loads(line) for line in log.read_text().splitlines()[1:]]
    assert start["event"] == "audit_start" and start["prev"] == CHAIN_START
    assert [record["arguments"]["n"] for record in calls] == [0, 1]
