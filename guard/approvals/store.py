"""Where a pending approval waits between the question and the answer: the interface and the record.

`ApprovalStore` is what the gate (`gate.py`) needs of a store; `PendingApproval` is the record it
keeps (the call it is for, what the human is shown, its state). A state change is a
compare-and-set (`transition`): approving needs `pending`, using needs `approved`, so two
approvers or two retries racing each other cannot both win (`transitioned` is that rule, shared
by every store).

`MemoryApprovalStore` keeps them in process: for tests and for a `Guard` built without a state
directory. The stores another process can reach (a SQLite file for `odoo-mcp approvals approve`,
Redis for every replica), their records sealed with the approval key, are the server's:
`odoo_mcp/approvals/sealed_stores.py`, injected when the server assembles its guard. A record
whose seal does not match is refused with `AlteredApproval`, which the gate audits and discards.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Protocol

from guard.approvals.ticket import Binding

PENDING, APPROVED, DECLINED, USED, EXPIRED = "pending", "approved", "declined", "used", "expired"
CLOSED = (USED, EXPIRED)
"""Terminal states: a closed approval is never found for a call again."""


class AlteredApproval(ValueError):
    """A stored approval whose seal does not match: written by something without the approval key."""

    def __init__(self, approval_id: str) -> None:
        super().__init__(f"approval {approval_id} was altered outside this server (its seal does not match)")
        self.id = approval_id


@dataclass(frozen=True)
class PendingApproval:
    """An out-of-band approval: the call it is for, what the human is shown, and its state."""

    id: str
    grant: str
    session: str
    tool: str
    digest: str
    question: str
    created: float
    expires: float
    status: str = PENDING
    decided_by: str | None = None
    decided_at: float | None = None

    @property
    def binding(self) -> Binding:
        return Binding(self.grant, self.session, self.tool, self.digest)

    def state(self, now: float) -> str:
        """`status`, or `expired` once an open (pending or approved) approval passed its expiry."""
        if self.status in (PENDING, APPROVED) and now >= self.expires:
            return EXPIRED
        return self.status



class ApprovalStore(Protocol):
    def add(self, approval: PendingApproval) -> None: ...

    def get(self, approval_id: str) -> PendingApproval | None: ...

    def all(self) -> list[PendingApproval]: ...

    def find(self, binding: Binding) -> PendingApproval | None:
        """The newest approval for this exact call that is not closed (used or expired)."""
        ...

    def transition(
        self, approval_id: str, expect: str, status: str, *, by: str | None, now: float, expires: float | None = None
    ) -> PendingApproval | None:
        """Move `expect` → `status` if the approval is still `expect` and unexpired; the new record or None."""
        ...

    def claim(self, ticket_id: str, expires: float) -> bool:
        """True the first time an in-call ticket id is claimed, False ever after (until it expired)."""
        ...

    def discard(self, approval_id: str) -> None:
        """Forget an approval (one whose seal did not match)."""
        ...


def transitioned(
    approval: PendingApproval | None, expect: str, status: str, by: str | None, now: float, expires: float | None
) -> PendingApproval | None:
    if approval is None or approval.status != expect or approval.state(now) == EXPIRED:
        return None
    return replace(
        approval,
        status=status,
        decided_by=by if by is not None else approval.decided_by,
        decided_at=now if status in (APPROVED, DECLINED) else approval.decided_at,
        expires=expires if expires is not None else approval.expires,
    )


class MemoryApprovalStore:
    """In-process store (one lock; every operation is short)."""

    def __init__(self) -> None:
        self._approvals: dict[str, PendingApproval] = {}
        self._claims: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, approval: PendingApproval) -> None:
        with self._lock:
            self._approvals[approval.id] = approval

    def get(self, approval_id: str) -> PendingApproval | None:
        return self._approvals.get(approval_id)

    def all(self) -> list[PendingApproval]:
        return sorted(self._approvals.values(), key=lambda a: a.created)

    def find(self, binding: Binding) -> PendingApproval | None:
        found = [a for a in self._approvals.values() if a.binding == binding and a.status not in CLOSED]
        return max(found, key=lambda a: a.created, default=None)

    def transition(
        self, approval_id: str, expect: str, status: str, *, by: str | None, now: float, expires: float | None = None
    ) -> PendingApproval | None:
        with self._lock:
            changed = transitioned(self._approvals.get(approval_id), expect, status, by, now, expires)
            if changed is not None:
                self._approvals[approval_id] = changed
            return changed

    def claim(self, ticket_id: str, expires: float) -> bool:
        now = time.time()
        with self._lock:
            for old in [k for k, until in self._claims.items() if until < now]:
                del self._claims[old]
            if ticket_id in self._claims:
                return False
            self._claims[ticket_id] = expires
            return True

    def discard(self, approval_id: str) -> None:
        with self._lock:
            self._approvals.pop(approval_id, None)
