"""MCP sessions over streamable HTTP: only ids the server issued, each bound to the grant it was issued to.

The SDK's session manager creates a session id (`uuid4().hex`, unguessable) when a client
initializes, and answers it in the `Mcp-Session-Id` response header. This layer, which sits
between the bearer-token check and the SDK, remembers which grant each issued id belongs to and
decides what the guard may treat as the caller's session:

- A handshake-era request carrying an id this server issued *to the same grant*: that session.
- An id issued to another grant: refused (404, as if it did not exist, which is also what the
  SDK answers) and audited as `session_refused`. The SDK's own owner check is armed too
  (`scope["user"]` is set by `http_auth.BearerGrants`), so a `DELETE` of another grant's session
  can reach nothing.
- An id never issued (or already ended): 404, audited.
- A 2026-07-28 request (no sessions in that protocol): any `Mcp-Session-Id` it carries is ignored;
  the session scope is the grant (stricter, never looser).

The guard reads the verified id from the request's state (`state["session"]`), never from the
header. A grant may hold at most `max_per_grant` open sessions; one more `initialize` is refused
with 429 and audited. Sessions end when the client deletes them, when the SDK answers that it no
longer knows them, or after `idle_timeout` seconds without a request in flight — the SDK's own
idle rule, with the same timeout (`session_idle_timeout` is passed to both).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

Scope = MutableMapping[str, Any]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

DEFAULT_MAX_SESSIONS_PER_GRANT = 16
DEFAULT_IDLE_TIMEOUT = 30 * 60.0
SESSION_HEADER = "mcp-session-id"
VERSION_HEADER = "mcp-protocol-version"


def session_label(session_id: str) -> str:
    """What the audit shows of a session id it refused: a short digest (an id is a capability)."""
    return "sha256:" + hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()[:16]


@dataclass
class OpenSession:
    grant: str
    last_active: float
    in_flight: int = 0


@dataclass
class GrantSessions:
    """Issued session ids → their grant, with a per-grant cap and the SDK's idle expiry."""

    max_per_grant: int = DEFAULT_MAX_SESSIONS_PER_GRANT
    idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT
    clock: Callable[[], float] = time.monotonic
    _open: dict[str, OpenSession] = field(default_factory=dict)
    _opening: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_per_grant < 1:
            raise ValueError("max_per_grant must be at least 1")

    def _expire(self) -> None:
        if self.idle_timeout is None:
            return
        now = self.clock()
        for session_id, session in list(self._open.items()):
            if session.in_flight == 0 and now - session.last_active > self.idle_timeout:
                del self._open[session_id]

    def count(self, grant: str) -> int:
        """Open sessions of `grant` (including ones being opened right now)."""
        self._expire()
        return sum(1 for s in self._open.values() if s.grant == grant) + self._opening.get(grant, 0)

    def owner(self, session_id: str) -> str | None:
        self._expire()
        session = self._open.get(session_id)
        return session.grant if session else None

    def may_open(self, grant: str) -> bool:
        return self.count(grant) < self.max_per_grant

    def opening(self, grant: str, delta: int) -> None:
        self._opening[grant] = self._opening.get(grant, 0) + delta
        if self._opening[grant] <= 0:
            del self._opening[grant]

    def issued(self, session_id: str, grant: str) -> None:
        self._open[session_id] = OpenSession(grant, self.clock())

    def begin(self, session_id: str) -> None:
        session = self._open.get(session_id)
        if session is not None:
            session.in_flight += 1
            session.last_active = self.clock()

    def end(self, session_id: str) -> None:
        session = self._open.get(session_id)
        if session is not None:
            session.in_flight = max(0, session.in_flight - 1)
            session.last_active = self.clock()

    def forget(self, session_id: str) -> None:
        self._open.pop(session_id, None)


def is_modern(headers: dict[str, str]) -> bool:
    """A request the SDK routes to the sessionless 2026-07-28 path (same test as the SDK's)."""
    version = headers.get(VERSION_HEADER)
    return version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS


async def json_error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SessionGate:
    """The ASGI step that binds sessions to grants (see the module docstring)."""

    def __init__(self, app: Any, sessions: GrantSessions, audit: Any = None) -> None:
        self.app = app
        self.sessions = sessions
        self.audit = audit

    def _refuse_record(self, grant: str, reason: str, **fields: Any) -> None:
        if self.audit is not None:
            self.audit.record("session_refused", grant=grant, reason=reason, **fields)

    async def __call__(self, scope: Scope, receive: Any, send: Send, grant: str, headers: dict[str, str]) -> None:
        state = scope.setdefault("state", {})
        state["session"] = None
        if is_modern(headers):
            await self.app(scope, receive, send)  # no sessions in this protocol: the scope is the grant
            return
        session_id = headers.get(SESSION_HEADER)
        if session_id is None:
            await self._open(scope, receive, send, grant)
            return
        owner = self.sessions.owner(session_id)
        if owner != grant:
            reason = "session not found" if owner is None else "session belongs to another grant"
            self._refuse_record(grant, reason, session_label=session_label(session_id), method=scope.get("method"))
            await json_error(send, 404, "Session not found")
            return
        state["session"] = session_id
        status: list[int] = []

        async def watch(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        self.sessions.begin(session_id)
        try:
            await self.app(scope, receive, watch)
        finally:
            self.sessions.end(session_id)
            answered = status[0] if status else None
            if answered == 404 or (scope.get("method") == "DELETE" and answered is not None and answered < 300):
                self.sessions.forget(session_id)

    async def _open(self, scope: Scope, receive: Any, send: Send, grant: str) -> None:
        """A request without a session id: only `initialize` can succeed, and it may open one session."""
        if scope.get("method") == "POST" and not self.sessions.may_open(grant):
            cap = self.sessions.max_per_grant
            self._refuse_record(grant, f"too many open sessions ({cap} per grant)")
            await json_error(send, 429, f"Too many open sessions for this grant (at most {cap})")
            return

        async def capture(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                for key, value in message.get("headers", []):
                    if key.decode("latin-1").lower() == SESSION_HEADER:
                        self.sessions.issued(value.decode("latin-1"), grant)
            await send(message)

        self.sessions.opening(grant, +1)
        try:
            await self.app(scope, receive, capture)
        finally:
            self.sessions.opening(grant, -1)
