"""Tamper evidence for the audit log: every record carries the hash of the line before it.

Each record starts with `"prev": "<sha256 hex>"`, the SHA-256 of the previous line's bytes as they
are in the sink (without its newline); the first record of a file chains to `CHAIN_START`, the hash
of a fixed marker. Removing, editing or reordering a line then breaks the chain at a place
`verify` names, and a cut last line has no end. Anyone who can rewrite the whole file can
rewrite the chain too: it shows what changed in a log, it does not sign it (ship the file, or
its last `prev`, elsewhere for that).

Where the chain is kept depends on the sink of record (`guard/audit.py`):

- a regular file (`FileChain`): the chain is the *file's*. Each record is written under an
  exclusive `flock` of the file; when the file's size is not where this process left it (another
  process appended, a restart, a `copytruncate` rotation), its last line is read back and the
  record chains to it. So a restart continues the chain, and several processes appending to one
  file (replicas on one host) keep one chain. A last line without its newline (a writer died
  half-way) is ended first, and the next record chains to it as it stands.
- anything else — stderr (even redirected to a file: other lines go there too, and it may not be
  readable), a pipe, a character device (`StreamChain`): nothing is read back, so the chain is the
  process's: it starts at `CHAIN_START` and follows this process's records.

`verify` reads a file twice (hashes first, then each line's `prev`) and reports every break.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

if sys.platform != "win32":
    import fcntl

CHAIN_START = hashlib.sha256(b"odoo-mcp audit chain v1").hexdigest()
"""The `prev` of a file's (or a stream's) first record."""
TAIL_CHUNK = 4096

Writer = Callable[[int, bytes], None]


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def stamp(rendered: str, prev: str) -> str:
    """The rendered JSON object with `prev` as its first member."""
    return f'{{"prev":"{prev}",{rendered[1:]}' if rendered != "{}" else f'{{"prev":"{prev}"}}'


class StreamChain:
    """The chain of a sink that cannot be read back (stderr, a pipe): this process's records."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self._last = CHAIN_START
        self._torn = False
        self._lock = threading.Lock()

    def append(self, rendered: str, write: Writer) -> str:
        """Write the record stamped with its `prev`; return the line written (without newline)."""
        with self._lock:
            line = stamp(rendered, self._last)
            data = line.encode("utf-8")
            self._last = line_hash(data)
            try:
                write(self.descriptor, (b"\n" if self._torn else b"") + data + b"\n")
            except OSError:
                self._torn = True
                raise
            self._torn = False
            return line


class FileChain:
    """The chain of a regular file, shared with every process appending to it (`flock`)."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self._end: int | None = None
        self._last = CHAIN_START
        self._lock = threading.Lock()

    def append(self, rendered: str, write: Writer) -> str:
        with self._lock:
            _lock_file(self.descriptor)
            try:
                size = os.lseek(self.descriptor, 0, os.SEEK_END)  # the file's size, under the lock
                torn = False
                if size != self._end:
                    self._last, torn = self._tail(size)
                line = stamp(rendered, self._last)
                data = line.encode("utf-8")
                payload = (b"\n" if torn else b"") + data + b"\n"
                try:
                    write(self.descriptor, payload)
                except OSError:
                    self._end = None  # what landed is unknown: read the tail again next time
                    raise
                self._end = size + len(payload)
                self._last = line_hash(data)
                return line
            finally:
                _unlock_file(self.descriptor)

    def _tail(self, size: int) -> tuple[str, bool]:
        """The hash of the file's last line, and whether that line lacks its newline (torn)."""
        if size == 0:
            return CHAIN_START, False
        torn = os.pread(self.descriptor, 1, size - 1) != b"\n"
        end = size if torn else size - 1
        pieces: list[bytes] = []
        position, size_wanted = end, TAIL_CHUNK
        while position > 0:  # a record is usually well under the first chunk; a huge line is read in growing ones
            start = max(0, position - size_wanted)
            chunk = os.pread(self.descriptor, position - start, start)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                pieces.append(chunk[newline + 1:])
                break
            pieces.append(chunk)
            position, size_wanted = start, min(size_wanted * 2, 1 << 20)
        return line_hash(b"".join(reversed(pieces))), torn


if sys.platform == "win32":  # no flock: one writer per file on Windows

    def _lock_file(_descriptor: int) -> None:
        pass

    _unlock_file = _lock_file
else:

    def _lock_file(descriptor: int) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_EX)

    def _unlock_file(descriptor: int) -> None:
        fcntl.flock(descriptor, fcntl.LOCK_UN)


def chain_for(descriptor: int) -> FileChain | StreamChain:
    """A `FileChain` for a regular file, else a `StreamChain`."""
    return FileChain(descriptor) if stat.S_ISREG(os.fstat(descriptor).st_mode) else StreamChain(descriptor)


@dataclass(frozen=True)
class Break:
    line: int
    what: str


@dataclass(frozen=True)
class Verdict:
    records: int
    breaks: list[Break]


def verify(read_lines: Callable[[], Iterable[bytes]]) -> Verdict:
    """Check the chain of the lines `read_lines()` yields (called twice; each line with its newline)."""
    first_at: dict[str, int] = {}
    count = 0
    for count, line in enumerate(read_lines(), 1):
        first_at.setdefault(line_hash(line.rstrip(b"\n")), count)
    breaks: list[Break] = []
    expected = CHAIN_START
    for number, raw in enumerate(read_lines(), 1):
        line = raw.rstrip(b"\n")
        if not raw.endswith(b"\n"):
            breaks.append(Break(number, "truncated: the last line has no end (a write cut short, or the file cut)"))
            break
        prev = _prev(line)
        if prev is None:
            breaks.append(Break(number, "not a chained record (no JSON object with a prev: a torn write, an "
                                        "edit, or written before the chain existed)"))
        elif prev != expected:
            breaks.append(Break(number, _why(number, prev, first_at)))
        expected = line_hash(line)
    return Verdict(count, breaks)


def _prev(line: bytes) -> str | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    prev = record.get("prev") if isinstance(record, dict) else None
    return prev if isinstance(prev, str) else None


def _why(number: int, prev: str, first_at: dict[str, int]) -> str:
    if number == 1:
        return "does not start the chain: the records before it were removed (or the file was cut at its start)"
    if prev == CHAIN_START:
        return (f"starts a new chain: lines 1-{number - 1} were not in this file when it was written "
                "(the file was replaced, truncated, or joined from two files)")
    if prev in first_at:
        return (f"follows line {first_at[prev]} in the chain, not line {number - 1}: "
                "lines were reordered, or removed between them")
    return (f"does not follow line {number - 1}: line {number - 1} was edited, or records between them "
            "were removed")
