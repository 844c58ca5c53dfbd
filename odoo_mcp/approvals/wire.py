"""Approvals on the MCP wire: what a client can do for an approval, and its request state.

`channel_for` tells the guard (in MCP-free terms, a `Channel`) whether the call carries an
answer, whether the client can be asked inside the call (handshake-era elicitation) or by
`input_required` (2026-07-28), or neither (out of band). `install_approval_state` puts the
middleware that carries our signed `requestState` past the SDK's own request-state boundary.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

import mcp_types as types
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.request_state import RequestStateBoundary
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel

from guard.approvals.gate import Answer, Channel


class Approval(BaseModel):
    """The form the human answers: one checkbox."""

    approve: bool


APPROVAL_KEY = "approval"


@dataclass
class _ApprovalState:
    """One `tools/call`'s approval state on the wire: what the client echoed, what we send back."""

    incoming: str | None
    outgoing: str | None = None


_WIRE_STATE: ContextVar[_ApprovalState | None] = ContextVar("odoo_guard_approval_state", default=None)


async def approval_state_middleware(ctx: Any, call_next: Any) -> Any:
    """Carries `requestState` of `tools/call` past the SDK's request-state boundary, both ways.

    The SDK seals `requestState` with its own (per-process) key and answers a state it
    cannot verify with a bare JSON-RPC error, before the guard sees the call: an altered or
    replayed approval would then be neither tagged nor audited, and a retry reaching another
    replica would fail. Our state is a ticket signed with the approval key, verified by the
    guard (`guard.approvals.ticket.verify`), so this middleware — placed outside the boundary —
    takes it off the request before the boundary and puts the new one on the result after.
    """
    if ctx.method != "tools/call":
        return await call_next(ctx)
    incoming = None
    if isinstance(ctx.params, Mapping) and "requestState" in ctx.params:
        params = dict(ctx.params)
        raw = params.pop("requestState")
        incoming = raw if isinstance(raw, str) or raw is None else json.dumps(raw)  # a non-string fails verify
        ctx = replace(ctx, params=params)
    slot = _ApprovalState(incoming)
    token = _WIRE_STATE.set(slot)
    try:
        result = await call_next(ctx)
    finally:
        _WIRE_STATE.reset(token)
    if slot.outgoing is None:
        return result
    if isinstance(result, Mapping):
        return {**result, "requestState": slot.outgoing}
    return result.model_copy(update={"request_state": slot.outgoing})


def _accepted(answer: Any) -> bool:
    return (
        isinstance(answer, types.ElicitResult)
        and answer.action == "accept"
        and isinstance(answer.content, dict)
        and answer.content.get("approve") is True
    )


def channel_for(ctx: Context) -> Channel:
    """What this call's client can do for an approval, in the way the negotiated protocol allows.

    An answer the call carries (`inputResponses.approval`, the echoed `requestState`) is
    handed to the guard, which accepts it only with a valid ticket for this exact call.
    Handshake-era sessions with elicitation are asked inside the call (`elicitation/create`);
    2026-07-28 sessions get `input_required` with the question and a signed ticket as
    `requestState`; a client without elicitation gets an out-of-band approval.
    """
    slot = _WIRE_STATE.get()
    responses = ctx.input_responses or {}
    state = slot.incoming if slot is not None else ctx.request_state
    answer = None
    if APPROVAL_KEY in responses or state is not None:
        answer = Answer(state=state, accepted=_accepted(responses.get(APPROVAL_KEY)))
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.elicitation is None:
        return Channel(answer=answer)
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
        if slot is None:  # no middleware to carry the state: never hand out an unsigned question
            return Channel(answer=answer)

        def defer(question: str, ticket: str) -> types.InputRequiredResult:
            slot.outgoing = ticket
            request = types.ElicitRequest(
                params=types.ElicitRequestFormParams(message=question, requested_schema=Approval.model_json_schema())
            )
            return types.InputRequiredResult(input_requests={APPROVAL_KEY: request})

        return Channel(answer=answer, defer=defer)

    async def ask(question: str) -> bool:
        result = await ctx.elicit(question, Approval)
        return result.action == "accept" and bool(getattr(result.data, "approve", False))

    return Channel(answer=answer, ask=ask)


def install_approval_state(server: MCPServer) -> None:
    """Put `approval_state_middleware` just outside the SDK's request-state boundary (fail closed if absent)."""
    chain = server.middleware
    for index, existing in enumerate(chain):
        if isinstance(existing, RequestStateBoundary):
            chain.insert(index, approval_state_middleware)
            return
    raise RuntimeError("the MCP SDK's request-state boundary was not found; refusing to serve approvals")
