"""guard/audit_chain.py's `verify` in exact words, and a stream's torn line: each kind of break says what
happened and where, in process on lists of lines. Rows found by `make mutants`."""

from __future__ import annotations

import errno
import json
import os

import pytest

from guard.audit_chain import CHAIN_START, Break, StreamChain, Verdict, line_hash, verify


def chained(count: int, start: str = CHAIN_START) -> list[bytes]:
    lines, prev = [], start
    for index in range(count):
        line = json.dumps({"prev": prev, "n": index}, separators=(",", ":")).encode()
        lines.append(line + b"\n")
        prev = line_hash(line)
    return lines


def check(lines: list[bytes]) -> Verdict:
    return verify(lambda: iter(lines))


def test_an_empty_file_has_no_records_and_no_breaks():
    assert check([]) == Verdict(0, [])
    assert check(chained(3)) == Verdict(3, [])


BREAKS = [
    ("the first line removed", lambda lines: lines[1:], [Break(1, "does not start the chain: the records before it "
                                                                 "were removed (or the file was cut at its start)")]),
    ("a second chain joined on", lambda lines: lines[:2] + chained(2), [
        Break(3, "starts a new chain: lines 1-2 were not in this file when it was written (the file was replaced, "
                 "truncated, or joined from two files)")]),
    ("two lines swapped", lambda lines: [lines[0], lines[2], lines[1], lines[3]], [
        Break(2, "follows line 3 in the chain, not line 1: lines were reordered, or removed between them"),
        Break(3, "follows line 1 in the chain, not line 2: lines were reordered, or removed between them"),
        Break(4, "follows line 2 in the chain, not line 3: lines were reordered, or removed between them"),
    ]),
    ("a space added at a line's end", lambda lines: [lines[0], lines[1][:-1] + b" \n", *lines[2:]], [
        Break(3, "does not follow line 2: line 2 was edited, or records between them were removed")]),
    ("a line cut at the end", lambda lines: [*lines[:3], lines[3][:-5]], [
        Break(4, "truncated: the last line has no end (a write cut short, or the file cut)")]),
    ("a JSON list and a prev that is a number", lambda lines: [lines[0], b"[1]\n", b'{"prev":5}\n'], [
        Break(2, "not a chained record (no JSON object with a prev: a torn write, an edit, or written before the "
                 "chain existed)"),
        Break(3, "not a chained record (no JSON object with a prev: a torn write, an edit, or written before the "
                 "chain existed)"),
    ]),
]


@pytest.mark.parametrize(("case", "tamper", "breaks"), BREAKS, ids=[b[0] for b in BREAKS])
def test_each_break_says_what_happened_and_where(case, tamper, breaks):
    """(break: other words, another line number, a trailing space not seen as an edit, or a record that is
    not an object crashing the check)."""
    assert check(tamper(chained(4))).breaks == breaks


def test_a_stream_ends_a_torn_line_before_the_next_record():
    """A write that failed half-way leaves part of a line; the next record starts on a line of its own
    (break: the torn state forgotten or never set)."""
    read, write = os.pipe()
    failures = [True]

    def writer(descriptor: int, data: bytes) -> None:
        if failures.pop() if failures else False:
            os.write(descriptor, data[:10])
            raise OSError(errno.EPIPE, "cut")
        os.write(descriptor, data)

    chain = StreamChain(write)
    with pytest.raises(OSError):
        chain.append('{"n":0}', writer)
    chain.append('{"n":1}', writer)
    chain.append('{"n":2}', writer)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        lines = pipe.read().split(b"\n")
    assert len(lines[0]) == 10 and [json.loads(line)["n"] for line in lines[1:-1]] == [1, 2] and lines[-1] == b""
