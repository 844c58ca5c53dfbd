"""Bound approvals: what makes a human's "yes" valid for one exact call, once.

A question the guard asks is bound to a `Binding` — the grant, the session, the tool and a
keyed hash of the call's validated arguments — and carries a single-use id and an expiry.
When the answer comes back in a later request (MCP 2026-07-28: `input_required`, then the
client retries carrying `requestState` and the answer), the state is a `Ticket` signed
with the server's HMAC key: the client can echo it but cannot make, alter or re-target one.
The id is claimed once in the approval store, so a replayed answer is refused.

Everything here is pure (the clock and the key are parameters). No MCP, no Odoo: the
transport turns these values into its wire format, and `guard.approvals.store` keeps ids and
pending approvals. The server's key (from the environment or a key file it creates) is read by
`odoo_mcp/approvals/key.py`; it is never logged, audited or sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from guard.refusals import Tag

TOKEN_PREFIX = "oga1."
"""Format version of a signed ticket, under the MAC (a ticket cannot move to another format)."""


def canonical_json(value: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, UTF-8 (equal calls hash equal)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def arguments_digest(key: bytes, tool: str, arguments: dict[str, Any]) -> str:
    """A keyed hash of the tool and its *validated* arguments (defaults filled in).

    Keyed, so a digest in a ticket or in the approval store reveals nothing about the
    arguments (a short secret argument cannot be guessed offline from it).
    """
    message = canonical_json({"tool": tool, "arguments": arguments})
    return hmac.new(key, b"arguments\x00" + message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Binding:
    """The exact call an approval is for."""

    grant: str
    session: str
    tool: str
    digest: str


@dataclass(frozen=True)
class Ticket:
    """One question's request state: bound to a call, single use (`id`), valid until `expires`."""

    id: str
    binding: Binding
    expires: float


class RefusalReason(StrEnum):
    """Why an answer is not accepted (the audit record's `reason`)."""

    UNSOLICITED = "unsolicited"
    ALTERED = "altered"
    EXPIRED = "expired"
    REPLAYED = "replayed"
    OTHER_GRANT = "other_grant"
    OTHER_SESSION = "other_session"
    OTHER_CALL = "other_call"


REFUSAL_TEXT = {
    RefusalReason.UNSOLICITED: "this server did not ask for this answer",
    RefusalReason.ALTERED: "the approval state was altered or was not issued by this server",
    RefusalReason.EXPIRED: "the approval expired before it was answered",
    RefusalReason.REPLAYED: "this approval was already used",
    RefusalReason.OTHER_GRANT: "the approval was issued to another grant",
    RefusalReason.OTHER_SESSION: "the approval was issued to another session",
    RefusalReason.OTHER_CALL: "the approval was given for a different call (tool or arguments)",
}


class AnswerRefused(Exception):
    """An answer that does not approve this call; `reason` says which check failed."""

    def __init__(self, reason: RefusalReason) -> None:
        super().__init__(REFUSAL_TEXT[reason])
        self.reason = reason

    def render(self) -> str:
        return f"[{Tag.APPROVAL_REFUSED}] {REFUSAL_TEXT[self.reason]}; call the tool again to be asked anew"


def new_id() -> str:
    """An approval id: 128 random bits, short enough to type (`odoo-mcp approvals approve <id>`)."""
    return "ap_" + secrets.token_urlsafe(16)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(raw) != text:
        raise ValueError("non-canonical base64")
    return raw


def _mac(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, b"ticket\x00" + (TOKEN_PREFIX + body).encode("ascii"), hashlib.sha256).digest())


def sign(key: bytes, ticket: Ticket) -> str:
    """`oga1.<payload>.<mac>`: the ticket in readable JSON (nothing secret in it) and its HMAC."""
    claims = {
        "id": ticket.id,
        "g": ticket.binding.grant,
        "s": ticket.binding.session,
        "t": ticket.binding.tool,
        "a": ticket.binding.digest,
        "exp": ticket.expires,
    }
    body = _b64(canonical_json(claims))
    return f"{TOKEN_PREFIX}{body}.{_mac(key, body)}"


def verify(key: bytes, token: str | None, binding: Binding, now: float) -> Ticket:
    """The ticket `token` carries, if it is ours, unaltered, unexpired and for this very call.

    The MAC is checked before anything in the token is believed. Only the replay check is
    left to the caller: it needs the store (`ApprovalStore.claim`).
    """
    if token is None:
        raise AnswerRefused(RefusalReason.UNSOLICITED)
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or token.count(".") != 2:
        raise AnswerRefused(RefusalReason.ALTERED)
    body, mac = token[len(TOKEN_PREFIX) :].split(".")
    if not hmac.compare_digest(mac, _mac(key, body)):
        raise AnswerRefused(RefusalReason.ALTERED)
    try:
        claims = json.loads(_unb64(body))
        ticket = Ticket(
            id=str(claims["id"]),
            binding=Binding(str(claims["g"]), str(claims["s"]), str(claims["t"]), str(claims["a"])),
            expires=float(claims["exp"]),
        )
    except (ValueError, KeyError, TypeError):
        raise AnswerRefused(RefusalReason.ALTERED) from None
    if not now < ticket.expires:
        raise AnswerRefused(RefusalReason.EXPIRED)
    if ticket.binding.grant != binding.grant:
        raise AnswerRefused(RefusalReason.OTHER_GRANT)
    if ticket.binding.session != binding.session:
        raise AnswerRefused(RefusalReason.OTHER_SESSION)
    if ticket.binding.tool != binding.tool or not hmac.compare_digest(ticket.binding.digest, binding.digest):
        raise AnswerRefused(RefusalReason.OTHER_CALL)
    return ticket
