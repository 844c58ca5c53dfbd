"""The audit log: one structlog JSON line per tool call, secrets redacted, never on stdout.

Built as a structlog processor chain (timestamp → redact → render JSON) over a tiny
sink that writes each line to a file and/or stderr. Redaction is one processor, tested
once, applied to the whole record — so no tool can forget it.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import structlog

from guard import fastjson

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


@lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """Whether a key names a secret (cached: records repeat the same few keys)."""
    return key not in NOT_SECRET_KEYS and SECRET_KEY.search(key) is not None


def redact(value: Any, key: str | None = None) -> Any:
    """Replace secrets anywhere in a JSON-like value; cut very long strings (base64 payloads)."""
    if key is not None and is_secret_key(key):
        return REDACTED if value not in (None, "", [], {}) else value
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        value = SECRET_VALUE.sub(_mask, value)
        if len(value) > MAX_STRING:
            return f"{value[:64]}…<{len(value)} chars>"
    return value


TRUSTED_FIELDS = frozenset(
    {"event", "time", "grant", "session", "decision", "rule", "outcome", "counters", "duration_ms"}
)
"""Fields the guard fills from its own configuration and counters, never from a caller's input."""


def redact_processor(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor form of `redact`, over every field a caller's input can reach."""
    return {k: v if k in TRUSTED_FIELDS else redact(v, k) for k, v in event.items()}


def _render_json(event: dict[str, Any], **_options: Any) -> str:
    """structlog's JSONRenderer serializer: one compact line, through orjson (`guard.fastjson`)."""
    return fastjson.dumps(event)


class _Sinks:
    """A structlog logger writing each rendered line to file descriptors with one `write(2)` each.

    The audit file is opened `O_APPEND`: every record lands whole at the end even when
    several server processes share the file, and nothing waits in a userspace buffer
    if the process dies.
    """

    def __init__(self, descriptors: Iterable[int]) -> None:
        self._descriptors = list(descriptors)

    def msg(self, message: str) -> None:
        line = (message + "\n").encode("utf-8")
        for descriptor in self._descriptors:
            os.write(descriptor, line)

    info = warning = error = msg


class AuditLog:
    """Where audit records go: a JSON-lines file, stderr, or both (never stdout)."""

    def __init__(self, path: Path | None = None, *, stderr: bool = True) -> None:
        self.path = path
        descriptors: list[int] = []
        self._owned: int | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._owned = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            descriptors.append(self._owned)
        if stderr:
            descriptors.append(sys.stderr.fileno())
        self._sinks = bool(descriptors)
        # Bound once (not a lazy proxy re-binding on every call): the audit line is on every call's path.
        self._logger = structlog.wrap_logger(
            _Sinks(descriptors),
            processors=[
                structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
                redact_processor,
                structlog.processors.JSONRenderer(serializer=_render_json),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
            cache_logger_on_first_use=True,
        ).bind()

    def record(self, event: str, **fields: Any) -> None:
        """Write one record; `event` is `tool_call`, `server_start`, ... (nothing to do without a sink)."""
        if self._sinks:
            self._logger.info(event, **fields)

    def close(self) -> None:
        if self._owned is not None:
            os.close(self._owned)
            self._owned = None
