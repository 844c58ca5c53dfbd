"""The audit log: structlog JSON lines, secrets redacted, never on stdout — and written ahead.

Built as a structlog processor chain (timestamp → redact → render JSON → known-secret scan)
over a tiny sink that writes each line to a file and/or stderr. Redaction is one processor,
tested once, applied to the whole record — so no tool can forget it.

Write-ahead, fail closed: the guard writes an `intent` record with `required=True` before a
handler runs. Such a write either lands whole (short `write(2)`s are continued until the line
is complete) or raises `AuditUnavailable`, and the guard then refuses the call with
`[AUDIT UNAVAILABLE]` — nothing runs that the log does not show. A line left torn by a failed
write is ended before the next record, so a crash or a full disk never glues two records
together and every complete line stays readable JSON.

Redaction goes by key *and* by value: JSON text inside a string is decoded and redacted like
any object, the positional arguments of methods known to take a secret (`change_password`, ...)
are masked whatever their key, and as a last line every value the operator configured as a
secret (`add_secrets`) is masked wherever it appears.

Every allowed call writes two records, after a wait for Odoo that leaves the caches cold, so a
record touches as little code as it can: a usual string passes redaction with one scan, the
time is one clock read, the secret scan runs only when a secret is in the line (the figures are
in docs/benchmarks-peers.md, "The audit records' cost").
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import stat
import sys
import time
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import structlog

from foundation import fastjson
from guard.audit_chain import StreamChain, chain_for, stamp

REDACTED = "***"
SECRET_KEY = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|apikey|authorization|cookie|credential|private[_-]?key|session[_-]?id)",
    re.IGNORECASE,
)
SECRET_VALUE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+|://[^/\s:@]+:[^/\s@]+@")
MAX_STRING = 256
_MAY_HIDE = re.compile(r"\A\s*[\[{]|(?i:bearer|basic)|://")
"""What a string needs for `redact` to change it, short of its length: JSON text (`_decoded_json`
opens what starts with `{` or `[` after whitespace, `\\s` being `str.isspace` as `lstrip` has it) or
what `SECRET_VALUE` could match (its literal parts, as case-blind). Without it a short string is
returned as it is, with one scan."""
MAX_DEPTH = 32
"""Deeper values are cut: a record must be writable whatever a caller sends (no RecursionError)."""
NOT_SECRET_KEYS = frozenset({"session", "token_present"})
"""Keys that match the pattern but carry no secret (the MCP session id is an identifier we log on purpose)."""
SECRET_METHODS = frozenset(
    {
        "change_password",
        "_change_password",
        "set_password",
        "_set_password",
        "_set_encrypted_password",
        "check_credentials",
        "_check_credentials",
        "authenticate",
        "_login",
        "login",
        "_generate",
        "_crypt_context",
        "preference_change_password",
        "change_password_wizard",
    }
)
"""Odoo methods whose positional (and keyword) arguments carry a password or key, whatever their names.

Inside a record that names one of them as `method`, `args` and `kwargs` are masked whole.
"""
MIN_KNOWN_SECRET = 4
"""Configured secrets shorter than this are not scanned for (they would mask ordinary words);
`docs/security.md` tells operators so."""


class AuditUnavailable(Exception):
    """A record that had to be written (a call's intent) could not be written whole."""


def _mask(match: re.Match[str]) -> str:
    """`Bearer abc` → `Bearer ***`; `https://user:pw@host` → `https://***@host`."""
    scheme = match.group(1)
    return f"{scheme} {REDACTED}" if scheme else f"://{REDACTED}@"


@lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """Whether a key names a secret (cached: records repeat the same few keys)."""
    return key not in NOT_SECRET_KEYS and SECRET_KEY.search(key) is not None


def _decoded_json(value: str) -> Any:
    """The object or list a string holds as JSON text; the string itself if it holds none.

    Text too deeply nested to decode is masked whole: what cannot be looked into cannot be
    shown to be free of secrets.
    """
    if value.lstrip()[:1] not in ("{", "["):
        return value
    try:
        parsed = json.loads(value)
    except RecursionError:
        return f"{REDACTED} (JSON text nested too deeply to inspect)"
    except ValueError:
        return value
    return parsed if isinstance(parsed, dict | list) else value


def redact(value: Any, key: str | None = None, _depth: int = 0) -> Any:
    """Replace secrets anywhere in a JSON-like value; cut very long strings (base64 payloads)."""
    if key is not None and is_secret_key(key):
        return REDACTED if value not in (None, "", [], {}) else value
    if type(value) is str and len(value) <= MAX_STRING and _depth < MAX_DEPTH and _MAY_HIDE.search(value) is None:
        return value  # the usual string: nothing in it for the walk below to decode, mask or cut
    if value is None or isinstance(value, bool | int | float):
        return value
    if _depth >= MAX_DEPTH:
        return "…<nested too deeply>"
    if isinstance(value, dict):
        secret_method = isinstance(value.get("method"), str) and value["method"] in SECRET_METHODS
        return {
            k: (
                REDACTED
                if secret_method and k in ("args", "kwargs") and v not in (None, [], {})
                else redact(v, k if type(k) is str else str(k), _depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, None, _depth + 1) for v in value]
    if isinstance(value, str):
        decoded = _decoded_json(value)
        if decoded is not value:
            return decoded if isinstance(decoded, str) else redact(decoded, None, _depth + 1)
        value = SECRET_VALUE.sub(_mask, value)
        if len(value) > MAX_STRING:
            return f"{value[:64]}…<{len(value)} chars>"
        return value
    return redact(str(value), None, _depth + 1)


TRUSTED_FIELDS = frozenset(
    {"event", "time", "grant", "session", "decision", "rule", "outcome", "counters", "duration_ms", "call", "phase"}
)
"""Fields the guard fills from its own configuration and counters, never from a caller's input."""


def redact_processor(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor form of `redact`, over every field a caller's input can reach."""
    return {k: v if v is None or k in TRUSTED_FIELDS else redact(v, k) for k, v in event.items()}


class KnownSecrets:
    """The secret values this server was configured with; a processor masks them in every field.

    The last line of defence: whatever a key is called or a tool echoes back, a configured
    password, API key or bearer token never reaches the log in clear.
    """

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._in_json: re.Pattern[str] | None = None
        self._forms: tuple[str, ...] = ()

    def add(self, values: Iterable[str | None]) -> None:
        for value in values:
            if isinstance(value, str) and len(value) >= MIN_KNOWN_SECRET:
                self._values.add(value)
        ordered = sorted(self._values, key=len, reverse=True)  # longest first: no partial masks
        self._pattern = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None
        # The same values as they appear inside a rendered JSON line (quotes, backslashes, control
        # characters escaped, by orjson or by the stdlib fallback).
        escaped = {form for v in ordered for form in (fastjson.dumps(v)[1:-1], json.dumps(v, ensure_ascii=False)[1:-1])}
        self._in_json = (
            re.compile("|".join(re.escape(v) for v in sorted(escaped, key=len, reverse=True))) if escaped else None
        )
        self._forms = tuple(escaped)

    def mask_rendered(self, line: str, event: dict[str, Any]) -> str:
        """Mask the values in a rendered record: one scan of the line instead of a walk of every field.

        A replacement that would leave the line unreadable as JSON (a value that also matches
        inside an escape sequence) falls back to masking the record field by field.
        """
        if not any(form in line for form in self._forms):
            return line  # no configured secret in the line (a substring test per form is cheaper than the scan)
        assert self._in_json is not None  # compiled from the same forms
        masked = self._in_json.sub(REDACTED, line)
        try:
            fastjson.loads(masked)
        except ValueError:
            return fastjson.dumps(self.mask(event))
        return masked

    def mask(self, value: Any, _depth: int = 0) -> Any:
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self._pattern.sub(REDACTED, value)
        if _depth >= MAX_DEPTH + 2:
            return value
        if isinstance(value, dict):
            return {self.mask(str(k), _depth + 1): self.mask(v, _depth + 1) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.mask(v, _depth + 1) for v in value]
        return value

    def __call__(self, _logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
        return self.mask(event) if self._pattern is not None else event


LINE_BREAKERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""What a JSON encoder may leave raw in a string but some reader takes as the end of a line (U+2028,
U+2029, NEL and the other C1 controls, DEL) or as a display reordering (bidi controls). C0 controls
are escaped by JSON already; they are in the set so that the line is safe whatever encoder ran."""


def one_line(line: str) -> str:
    """The rendered record with every `LINE_BREAKERS` character written as a `\\uXXXX` escape.

    They can only occur inside JSON strings (the syntax is ASCII), where the escape means the
    same character: the record decodes to the same value and is one line for any reader.
    """
    if line.isascii() and "\x7f" not in line:
        return line
    return LINE_BREAKERS.sub(lambda match: f"\\u{ord(match.group()):04x}", line)


class _MaskedRenderer:
    """The chain's last processor: render the record (orjson), mask configured secrets in the line,
    then escape what would break the line (`one_line`).

    Two records a call, each walked field by field for every configured secret, cost more than
    the rest of the audit; scanning the rendered line once gives the same masking.
    """

    def __init__(self, secrets: KnownSecrets) -> None:
        self._secrets = secrets

    def __call__(self, _logger: Any, _method: str, event: dict[str, Any]) -> str:
        try:
            rendered = fastjson.dumps(event)
        except UnicodeEncodeError:  # a lone surrogate (JSON text may carry one): only ASCII escapes hold it
            return json.dumps(self._secrets.mask(event), ensure_ascii=True, default=str, separators=(",", ":"))
        return one_line(self._secrets.mask_rendered(rendered, event))


class _UtcTime:
    """The chain's first processor: `time`, now in UTC, ISO 8601 to the microsecond (`…T15:02:11.123456Z`).

    One clock read a record; the date and time to the second are formatted once a second (kept with
    their second in one tuple, so a thread never pairs one second's text with another's).
    """

    def __init__(self) -> None:
        self._second: tuple[int, str] = (-1, "")

    def __call__(self, _logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
        second, micro = divmod(time.time_ns() // 1000, 1_000_000)
        known, text = self._second
        if second != known:
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = (second, text)
        event["time"] = f"{text}.{micro:06d}Z"
        return event


def write_all(descriptor: int, data: bytes) -> None:
    """`write(2)` until every byte is written; a write that fails or writes nothing raises OSError."""
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        if written <= 0:
            raise OSError("write(2) wrote nothing")
        view = view[written:]


class _Sinks:
    """A structlog logger writing each rendered line, whole, to file descriptors.

    The audit file is opened `O_APPEND`: every record lands at the end even when several
    server processes share the file, and nothing waits in a userspace buffer if the process
    dies. The first sink (the log of record) is written through its hash chain
    (`guard/audit_chain.py`), which stamps the record with `prev`, serialises writers of one
    file and ends a line left torn before the next record; the copies get the same stamped
    line. A copy whose write failed half-way is remembered as torn; its next record starts
    with a newline so it begins a line of its own.
    """

    def __init__(self, descriptors: Iterable[int], writer: Any = write_all, *, owned_file: bool = False) -> None:
        """`owned_file`: the first descriptor is the audit file this log opened (read and write); only
        such a file is chained as a file — stderr is a stream even when redirected to a file."""
        self._descriptors = list(descriptors)
        first = self._descriptors[0] if self._descriptors else None
        self._chain = None if first is None else chain_for(first) if owned_file else StreamChain(first)
        self._torn: set[int] = set()
        self._write = writer

    def msg(self, message: str) -> None:
        """Write the line to every sink; raise `AuditUnavailable` if the first (the log of record) failed.

        The first sink is the audit file when one is configured, else stderr. A copy on stderr
        next to a file is a convenience: its failure (a closed pipe) does not stop calls.
        """
        if self._chain is None:
            return
        try:
            stamped = self._chain.append(message, self._write)
        except OSError as exc:
            stamped = stamp(message, "unwritten")  # the copy still gets the record, as best it can
            self._copy((stamped + "\n").encode("utf-8"))
            raise AuditUnavailable(f"the audit log could not be written ({exc})") from None
        self._copy((stamped + "\n").encode("utf-8"))

    def _copy(self, line: bytes) -> None:
        for descriptor in self._descriptors[1:]:
            data = b"\n" + line if descriptor in self._torn else line
            try:
                self._write(descriptor, data)
            except OSError:
                self._torn.add(descriptor)
            else:
                self._torn.discard(descriptor)

    info = warning = error = msg


class AuditLog:
    """Where audit records go: a JSON-lines file, stderr, or both (never stdout)."""

    def __init__(self, path: Path | None = None, *, stderr: bool = True, writer: Any = write_all) -> None:
        self.path = path
        descriptors: list[int] = []
        self._owned: int | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._owned = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            if stat.S_ISREG(os.fstat(self._owned).st_mode):  # read too: the chain continues from its last line
                os.close(self._owned)  # (a FIFO or a device stays write-only: nothing is read back from it)
                self._owned = os.open(path, os.O_RDWR | os.O_APPEND)
            descriptors.append(self._owned)
        if stderr:
            descriptors.append(sys.stderr.fileno())
        self._sinks = bool(descriptors)
        self.secrets = KnownSecrets()
        self._warned = False
        # Bound once (not a lazy proxy re-binding on every call): the audit line is on every call's path.
        self._logger = structlog.wrap_logger(
            _Sinks(descriptors, writer, owned_file=self._owned is not None),
            processors=[
                _UtcTime(),
                redact_processor,
                _MaskedRenderer(self.secrets),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
            cache_logger_on_first_use=True,
        ).bind()

    def add_secrets(self, values: Iterable[str | None]) -> None:
        """Values (passwords, API keys, tokens) that must never appear in a record."""
        self.secrets.add(values)

    def record(self, event: str, *, required: bool = False, **fields: Any) -> bool:
        """Write one record; `event` is `tool_call`, `server_start`, ... (nothing to do without a sink).

        `required=True` (a call's intent) raises `AuditUnavailable` when the record cannot be
        written whole; otherwise a failure is reported once on stderr and False is returned.
        """
        if not self._sinks:
            return True
        try:
            self._logger.info(event, **fields)
        except AuditUnavailable as exc:
            if required:
                raise
            self._report(exc)
            return False
        except Exception as exc:  # a record that cannot even be rendered is a failure, not a crash
            failure = AuditUnavailable(f"the audit record could not be built ({type(exc).__name__})")
            if required:
                raise failure from None
            self._report(failure)
            return False
        return True

    def start(self) -> None:
        """Write the `audit_start` record, whole, or raise: a sink that cannot be written (`/dev/full`,
        a full disk) stops the start instead of refusing every call later."""
        self.record("audit_start", required=True, pid=os.getpid())

    def _report(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            with contextlib.suppress(OSError):
                print(f"odoo-mcp: {exc}", file=sys.stderr)

    def close(self) -> None:
        if self._owned is not None:
            os.close(self._owned)
            self._owned = None
