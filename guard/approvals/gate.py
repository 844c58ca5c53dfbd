"""The approval step of a guarded call: ask, or accept an answer only for the exact call, once.

`Approvals.settle` is what the guard calls for a `require_approval` decision. The transport
describes what its client can do in a `Channel` (MCP-free): an answer the call carries, a way
to ask inside the call (handshake-era elicitation), or a way to ask by answering
"input required" with signed request state (2026-07-28). With none of them — or when the
server is configured for out-of-band approval — the call returns `[APPROVAL PENDING] <id>`
and a human decides with `odoo-mcp approvals approve|decline <id>` or the HTTP endpoint;
the agent's retry with the same arguments then runs once.

Every step is audited as an `approval` record: asked, approved (by whom), declined,
expired, used, refused (with the reason).

The store can be written by other processes of the server's Unix user (a stdio mount): its
records are sealed with the approval key (guard/approvals/store.py), and a record whose seal
does not match is refused (`altered`) and discarded. An old, genuinely sealed copy written back
after its approval was used is refused too (`replayed`): the gate remembers, until they expire,
the ids it used and the tickets it claimed in this process.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from guard.approvals.store import (
    APPROVED,
    DECLINED,
    EXPIRED,
    PENDING,
    USED,
    AlteredApproval,
    ApprovalStore,
    PendingApproval,
)
from guard.approvals.ticket import (
    AnswerRefused,
    Binding,
    RefusalReason,
    Ticket,
    arguments_digest,
    new_id,
    sign,
    verify,
)
from guard.audit import AuditLog
from guard.refusals import Outcome, Tag
from guard.spec import ApprovalUnavailable, Caller

DEFAULT_TTL = 600.0
"""Seconds a question asked inside the call stays answerable."""
DEFAULT_PENDING_TTL = 3600.0
"""Seconds an out-of-band approval waits for a human, and then for the agent's retry."""


@dataclass(frozen=True)
class Answer:
    """An answer a call carries: the echoed request state and whether the human said yes."""

    state: str | None
    accepted: bool


@dataclass
class Channel:
    """How this call's client can take part in an approval (filled in by the transport)."""

    answer: Answer | None = None
    ask: Callable[[str], Awaitable[bool]] | None = None
    """Ask inside the call and wait for the answer (handshake-era elicitation)."""
    defer: Callable[[str, str], Any] | None = None
    """`(question, signed state)` → the transport's "input required" payload (2026-07-28)."""


ChannelSource = Channel | Callable[[], Channel] | None
"""A `Channel`, or how to make one: the transport looks at its client only when a rule asks."""


@dataclass(frozen=True)
class Settled:
    """The approval step's result: go ahead, or the refusal/pending text and audit outcome."""

    approved: bool
    text: str = ""
    outcome: str = ""
    pending: Any = None


Describe = Callable[[str, float], Awaitable[str]]
"""`(approval id, expires)` → the question the human reads (the call in full and what would change)."""


class Approvals:
    """Questions, answers and pending approvals, under one HMAC key and one store."""

    def __init__(
        self,
        key: bytes,
        store: ApprovalStore,
        audit: AuditLog,
        *,
        ttl: float = DEFAULT_TTL,
        pending_ttl: float = DEFAULT_PENDING_TTL,
        out_of_band: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self.store = store
        self.audit = audit
        self.ttl = ttl
        self.pending_ttl = pending_ttl
        self.out_of_band = out_of_band
        self.clock = clock
        self._spent: dict[str, float] = {}
        """Approval and ticket ids used by this process, with their expiry: never used again,
        whatever the store says (a store another process can write may be rolled back)."""

    def _spend(self, approval_id: str, expires: float) -> bool:
        """True the first time this process spends `approval_id`; False ever after, until it expired."""
        now = self.clock()
        if len(self._spent) > 1024:
            self._spent = {k: until for k, until in self._spent.items() if until > now}
        if approval_id in self._spent:
            return False
        self._spent[approval_id] = expires
        return True

    def __repr__(self) -> str:  # never the key
        return f"Approvals(store={type(self.store).__name__}, ttl={self.ttl}, out_of_band={self.out_of_band})"

    def binding(self, caller: Caller, tool: str, arguments: dict[str, Any]) -> Binding:
        return Binding(caller.grant, caller.session, tool, arguments_digest(self._key, tool, arguments))

    def _record(self, action: str, binding: Binding, approval_id: str | None, **fields: Any) -> None:
        self.audit.record(
            "approval",
            action=action,
            id=approval_id,
            tool=binding.tool,
            grant=binding.grant,
            session=binding.session,
            **{k: v for k, v in fields.items() if v is not None},
        )

    def _refused(self, binding: Binding, refusal: AnswerRefused, approval_id: str | None = None) -> Settled:
        self._record("refused", binding, approval_id, reason=refusal.reason.value)
        return Settled(False, refusal.render(), Outcome.APPROVAL_REFUSED)

    async def settle(
        self, tool: str, arguments: dict[str, Any], caller: Caller, source: ChannelSource, describe: Describe
    ) -> Settled:
        """Approve this call, refuse the answer it carries, or ask (in the call or out of band)."""
        channel = (source() if callable(source) else source) or Channel()
        binding = self.binding(caller, tool, arguments)
        if channel.answer is not None:
            return self._answered(binding, channel.answer)
        try:
            existing = self.store.find(binding)
        except AlteredApproval as altered:
            self.store.discard(altered.id)
            return self._refused(binding, AnswerRefused(RefusalReason.ALTERED), altered.id)
        if existing is not None:
            settled = self._resume(binding, existing)
            if settled is not None:
                return settled
        if not self.out_of_band and channel.defer is not None:
            ticket = Ticket(new_id(), binding, self.clock() + self.ttl)
            question = await describe(ticket.id, ticket.expires)
            self._record("asked", binding, ticket.id, via="input_required")
            return Settled(
                False,
                "approval requested",
                Outcome.APPROVAL_REQUESTED,
                channel.defer(question, sign(self._key, ticket)),
            )
        if not self.out_of_band and channel.ask is not None:
            settled = await self._ask_in_call(binding, channel.ask, describe)
            if settled is not None:
                return settled
        return await self._pend(binding, describe)

    def _answered(self, binding: Binding, answer: Answer) -> Settled:
        try:
            ticket = verify(self._key, answer.state, binding, self.clock())
            if not self.store.claim(ticket.id, ticket.expires) or not self._spend(ticket.id, ticket.expires):
                raise AnswerRefused(RefusalReason.REPLAYED)
        except AnswerRefused as refusal:
            return self._refused(binding, refusal)
        return self._by_the_client(binding, ticket.id, answer.accepted, via="input_required")

    async def _ask_in_call(
        self, binding: Binding, ask: Callable[[str], Awaitable[bool]], describe: Describe
    ) -> Settled | None:
        ticket = Ticket(new_id(), binding, self.clock() + self.ttl)
        question = await describe(ticket.id, ticket.expires)
        self._record("asked", binding, ticket.id, via="elicitation")
        try:
            accepted = await ask(question)
        except ApprovalUnavailable:
            return None  # the client cannot ask after all: out of band
        except Exception as exc:
            self._record("declined", binding, ticket.id, via="elicitation", reason=type(exc).__name__)
            return Settled(
                False,
                f"[{Tag.APPROVAL_DECLINED}] the approval request failed ({type(exc).__name__})",
                Outcome.APPROVAL_DECLINED,
            )
        if not self.clock() < ticket.expires:
            return self._refused(binding, AnswerRefused(RefusalReason.EXPIRED), ticket.id)
        if not self.store.claim(ticket.id, ticket.expires):
            return self._refused(binding, AnswerRefused(RefusalReason.REPLAYED), ticket.id)
        return self._by_the_client(binding, ticket.id, accepted, via="elicitation")

    def _by_the_client(self, binding: Binding, ticket_id: str, accepted: bool, via: str) -> Settled:
        """The client's own yes or no to a valid, unspent ticket: recorded, and the call settled by it."""
        if not accepted:
            self._record("declined", binding, ticket_id, via=via)
            return Settled(
                False, f"[{Tag.APPROVAL_DECLINED}] the user declined '{binding.tool}'", Outcome.APPROVAL_DECLINED
            )
        self._record("approved", binding, ticket_id, via=via, by=f"client:{binding.grant}")
        self._record("used", binding, ticket_id)
        return Settled(True)

    def _resume(self, binding: Binding, approval: PendingApproval) -> Settled | None:
        """The retry of a call that has an out-of-band approval; None when it needs a new one."""
        now = self.clock()
        state = approval.state(now)
        if state == EXPIRED:
            # now=0.0: a time before every expiry, so the store lets an expired approval be closed
            self.store.transition(approval.id, approval.status, EXPIRED, by=None, now=0.0)
            self._record("expired", binding, approval.id)
            return None
        if state == PENDING:
            return Settled(False, pending_text(approval), Outcome.APPROVAL_PENDING)
        if state == DECLINED:
            if self.store.transition(approval.id, DECLINED, USED, by=None, now=now) is not None:
                by = approval.decided_by or "an approver"
                declined = f"[{Tag.APPROVAL_DECLINED}] {approval.id} was declined by {by}"
                return Settled(False, declined, Outcome.APPROVAL_DECLINED)
            return None
        if state == APPROVED and approval.id in self._spent:  # used here before: a copy written back
            self.store.discard(approval.id)
            return self._refused(binding, AnswerRefused(RefusalReason.REPLAYED), approval.id)
        if state == APPROVED and self.store.transition(approval.id, APPROVED, USED, by=None, now=now) is not None:
            self._spend(approval.id, approval.expires)
            self._record("used", binding, approval.id, by=approval.decided_by, via="out_of_band")
            return Settled(True)
        return None

    async def _pend(self, binding: Binding, describe: Describe) -> Settled:
        now = self.clock()
        approval_id = new_id()
        expires = now + self.pending_ttl
        question = await describe(approval_id, expires)
        approval = PendingApproval(
            id=approval_id,
            grant=binding.grant,
            session=binding.session,
            tool=binding.tool,
            digest=binding.digest,
            question=question,
            created=now,
            expires=expires,
        )
        self.store.add(approval)
        self._record("asked", binding, approval_id, via="out_of_band")
        return Settled(False, pending_text(approval), Outcome.APPROVAL_PENDING)

    def decide(self, approval_id: str, approve: bool, by: str) -> PendingApproval:
        """A human's decision on a pending approval (CLI or HTTP endpoint); ValueError says why not."""
        now = self.clock()
        approval = self.store.get(approval_id)
        if approval is None:
            raise LookupError(f"no approval {approval_id}")
        state = approval.state(now)
        if state != PENDING:
            raise ValueError(f"approval {approval_id} is {state}, not pending")
        status = APPROVED if approve else DECLINED
        expires = now + self.pending_ttl if approve else None
        changed = self.store.transition(approval_id, PENDING, status, by=by, now=now, expires=expires)
        if changed is None:
            raise ValueError(f"approval {approval_id} was decided or expired meanwhile")
        self._record(status, approval.binding, approval_id, via="out_of_band", by=by)
        return changed


def pending_text(approval: PendingApproval) -> str:
    """What the agent reads: the tag and id first (one line), then the call and how to approve it."""
    return (
        f"[{Tag.APPROVAL_PENDING}] {approval.id}\n"
        f"This call waits for a human's approval. Nothing has run. Ask them to run "
        f"`odoo-mcp approvals approve {approval.id}` (or to approve it through the approvals endpoint), "
        f"then call the tool again with exactly the same arguments; it will run once.\n\n{approval.question}"
    )
