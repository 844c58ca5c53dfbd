"""The audit log: one structlog JSON line per tool call, secrets redacted, never on stdout.

Built as a structlog processor chain (timestamp → redact → render JSON) over a tiny
sink that writes each line to a file and/or stderr. Redaction is one processor, tested
once, applied to the whole record — so no tool can forget it.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import structlog

REDACTED = "***"
SECRET_KEY = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|apikey|authorization|cookie|credential|private[_-]?key|session[_-]?id)",
    re.IGNORECASE,
)
SECRET_VALUE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+|://[^/\s:@]+:[^/\s@]+@")
MAX_STRING = 256
NOT_SECRET_KEYS = frozenset({"session", "token_present"})
"""Keys that match the pattern but carry no secret (the MCP session id is an identifier we log on purpose)."""


def _mask(match: re.Match[str]) -> str:
    """`Bearer abc` → `Bearer ***`; `https://user:pw@host` → `https://***@host`."""
    scheme = match.group(1)
    return f"{scheme} {REDACTED}" if scheme else f"://{REDACTED}@"


def redact(value: Any, key: str | None = None) -> Any:
    """Replace secrets anywhere in a JSON-like value; cut very long strings (base64 payloads)."""
    if key is not None and key not in NOT_SECRET_KEYS and SECRET_KEY.search(key):
        return REDACTED if value not in (None, "", [], {}) else value
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        value = SECRET_VALUE.sub(_mask, value)
        if len(value) > MAX_STRING:
            return f"{value[:64]}…<{len(value)} chars>"
    return value


def redact_processor(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor form of `redact`."""
    return {k: redact(v, k) for k, v in event.items()}


class _Sinks:
    """A structlog logger that writes each rendered line to several files, thread-safely."""

    def __init__(self, files: Iterable[IO[str]]) -> None:
        self._files = list(files)
        self._lock = threading.Lock()

    def msg(self, message: str) -> None:
        with self._lock:
            for file in self._files:
                file.write(message + "\n")
                file.flush()

    info = warning = error = msg


class AuditLog:
    """Where audit records go: a JSON-lines file, stderr, or both (never stdout)."""

    def __init__(self, path: Path | None = None, *, stderr: bool = True) -> None:
        self.path = path
        files: list[IO[str]] = []
        self._owned: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._owned = path.open("a", encoding="utf-8")
            files.append(self._owned)
        if stderr:
            files.append(sys.stderr)
        self._logger = structlog.wrap_logger(
            _Sinks(files),
            processors=[
                structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
                redact_processor,
                structlog.processors.JSONRenderer(sort_keys=False, default=str),
            ],
        )

    def record(self, event: str, **fields: Any) -> None:
        """Write one record; `event` is `tool_call`, `server_start`, ..."""
        self._logger.info(event, **fields)

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None
