"""Bearer tokens → grants for the streamable HTTP transport: no token, no access.

Each grant has one token, kept in a JSON file as its SHA-256 (`"sha256:<hex>"`) or, for
local experiments, in clear; a grant may name its own policy (`odoo_mcp/grants.py`).
The ASGI middleware checks every HTTP request before the
MCP app sees it and records the grant in the request's state, where the server reads it
to key the `grant` rate-limit scope. The token itself is never logged or audited.

The grant is also handed to the SDK as the request's authenticated user (`scope["user"]`), so
the SDK's own check that a session is used only by the credential that created it is armed;
`http_sessions.SessionGate` then binds session ids to grants on our side (and audits refusals).

With OAuth (`odoo_mcp/oauth/`), a token that is not the file's is handed to the OAuth `verifier`,
which names its grant or answers the refusal itself (401 pointing to the metadata, 403 for a
missing scope).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken

from odoo_mcp.grants import read_grants, token_digest
from odoo_mcp.http.sessions import SessionGate

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def load_grants(path: Path, section: str = "grants") -> dict[str, str]:
    """`{"grants": {"alice": "sha256:…" | "clear-token" | {"token": …, "policy": …}}}` → {digest: grant}.

    `section="approvers"` reads an approver tokens file (same shape, its own tokens). The
    per-grant policies are read by `odoo_mcp.grants.read_grants`.
    """
    return read_grants(path, section).digests


class BearerGrants:
    """ASGI middleware: a request without a known bearer token gets 401 and never reaches MCP."""

    def __init__(
        self, app: ASGIApp, digests: dict[str, str], sessions: SessionGate | None = None, verifier: Any = None
    ) -> None:
        self.app = app
        self.digests = digests
        self.sessions = sessions
        self.verifier = verifier
        """`resolve(authorization) -> grant | ASGI response` for tokens not in `digests` (OAuth), or None."""

    def grant_for(self, authorization: str | None) -> str | None:
        if not authorization or authorization[:7].lower() != "bearer ":
            return None
        offered = token_digest(authorization[7:].strip())
        found = None
        for digest, grant in self.digests.items():  # compare against every digest, in constant time
            if hmac.compare_digest(offered, digest):
                found = grant
        return found

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        grant = self.grant_for(headers.get("authorization"))
        if grant is None and self.verifier is not None:
            resolved = await self.verifier.resolve(headers.get("authorization"))
            if not isinstance(resolved, str):
                await resolved(scope, receive, send)
                return
            grant = resolved
        if grant is None:
            body = b'{"error": "unauthorized: a bearer token of a configured grant is required"}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", b'Bearer realm="odoo-guard-mcp"'),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        scope.setdefault("state", {})["grant"] = grant
        scope["user"] = grant_user(grant)
        if self.sessions is None:
            scope["state"]["session"] = None
            await self.app(scope, receive, send)
        else:
            await self.sessions(scope, receive, send, grant, headers)


def grant_user(grant: str) -> AuthenticatedUser:
    """The grant as the SDK's authenticated principal (what its session-owner check compares)."""
    return AuthenticatedUser(AccessToken(token="", client_id=f"grant:{grant}", scopes=[]))
