"""The approvals endpoint of the streamable-HTTP server: a human approves from anywhere.

    GET  /approvals                    pending approvals (`?all=1`: every one still kept)
    GET  /approvals/<id>               one approval: the whole call and what it would change
    POST /approvals/<id>/approve       approve it (the agent's retry then runs once)
    POST /approvals/<id>/decline       decline it

Every request needs an approver's bearer token, from its own file (`--approver-tokens`,
`ODOO_MCP_APPROVER_TOKENS`: `{"approvers": {"carol": "sha256:<hex>"}}`), never a grant's:
an agent holding a grant token cannot approve its own calls, and an approver token opens
nothing under /mcp. The approver's name is what the audit records as `by`. Without an
approver tokens file the endpoint does not exist (404). With OAuth, a person the OAuth file names
as an approver signs in like anyone else and holds a token with the `approvals` scope, which
this endpoint accepts (`verifier`); such an approver cannot decide their own grant's calls.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs

from guard.approvals.gate import Approvals
from guard.approvals.store import PENDING
from odoo_mcp.approvals.cli import describe
from odoo_mcp.http.auth import ASGIApp, BearerGrants

PREFIX = "/approvals"


async def _send_json(send: Any, status: int, body: Any, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps(body, indent=1).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": payload})


class ApprovalsEndpoint:
    """ASGI: `/approvals…` answered here (approver tokens only), everything else to `app`."""

    def __init__(
        self, app: ASGIApp, approvals: Approvals, approvers: dict[str, str] | None, verifier: Any = None
    ) -> None:
        self.app = app
        self.approvals = approvals
        self.approvers = BearerGrants(app, approvers or {}, verifier=verifier) if approvers or verifier else None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        if self.approvers is None:
            await _send_json(send, 404, {"error": "the approvals endpoint is not enabled (no approver tokens)"})
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        approver = self.approvers.grant_for(headers.get("authorization"))
        signed_in = approver is None and self.approvers.verifier is not None
        if signed_in:
            resolved = await self.approvers.verifier.resolve(headers.get("authorization"))
            if not isinstance(resolved, str):
                await resolved(scope, receive, send)
                return
            approver = resolved
        if approver is None:
            challenge = [(b"www-authenticate", b'Bearer realm="odoo-guard-mcp approvals"')]
            await _send_json(send, 401, {"error": "unauthorized: an approver's bearer token is required"}, challenge)
            return
        status, body = self.handle(scope["method"], path, scope.get("query_string", b""), approver, signed_in)
        await _send_json(send, status, body)

    def handle(self, method: str, path: str, query: bytes, approver: str, own_grant: bool = False) -> tuple[int, Any]:
        parts = [p for p in path[len(PREFIX) :].split("/") if p]
        now = time.time()
        store = self.approvals.store
        if method == "GET" and not parts:
            everything = parse_qs(query.decode("latin-1")).get("all", ["0"])[0] in {"1", "true", "yes"}
            return 200, [describe(a, now) for a in store.all() if everything or a.state(now) == PENDING]
        if method == "GET" and len(parts) == 1:
            approval = store.get(parts[0])
            return (200, describe(approval, now)) if approval else (404, {"error": f"no approval {parts[0]}"})
        if method == "POST" and len(parts) == 2 and parts[1] in {"approve", "decline"}:
            mine = store.get(parts[0])
            if own_grant and mine is not None and mine.grant == approver:
                self.approvals.audit.record("approval_refused", id=parts[0], by=f"http:{approver}",
                                            reason="an approver cannot decide their own grant's calls")
                return 403, {"error": "an approver cannot decide the calls of their own grant"}
            try:
                approval = self.approvals.decide(parts[0], parts[1] == "approve", f"http:{approver}")
            except LookupError as exc:
                return 404, {"error": str(exc).strip("'\"")}
            except ValueError as exc:
                return 409, {"error": str(exc)}
            return 200, describe(approval, now)
        return 405 if len(parts) <= 2 else 404, {"error": f"{method} {path} is not an approvals operation"}
