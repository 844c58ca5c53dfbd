"""guard/approval_gate.py: every way an approval ends, with the answer the call gets and its audit trail.

An operator reads the `approval` records to know who let which call run: each step (asked,
approved, declined, used, refused, expired) names the approval id, the call's tool, grant and
session, how it was asked (`via`), who decided (`by`) and why an answer was refused
(`reason`). Each test below drives the gate in process (fake clock, real audit file, the
memory or SQLite store) down one path and compares the whole trail, ids by order of first use.
"""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from guard.approvals.gate import Answer, Approvals, Channel, Settled, pending_text
from guard.approvals.store import DECLINED, MemoryApprovalStore, PendingApproval
from guard.approvals.ticket import verify
from guard.audit import AuditLog
from guard.spec import ApprovalUnavailable, Caller
from odoo_mcp.approvals.sealed_stores import SqliteApprovalStore

pytestmark = pytest.mark.anyio

KEY = b"t" * 32
ALICE = Caller("alice", "s1")
ARGS = {"ids": [1], "values": {"x": 1}}
TOOL = "odoo_write"
DECLINED_TEXT = f"[APPROVAL DECLINED] the user declined '{TOOL}'"


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))  # near the real clock: the stores drop claims past their expiry

    def __call__(self) -> float:
        return self.now


class Gate:
    """An `Approvals` with its clock, its audit file and the questions `describe` was asked for."""

    def __init__(self, tmp_path, store=None, **options) -> None:
        self.clock = Clock()
        self.audit_path = tmp_path / "audit.jsonl"
        self.store = store if store is not None else MemoryApprovalStore()
        self.approvals = Approvals(
            KEY, self.store, AuditLog(self.audit_path, stderr=False), ttl=60, pending_ttl=3600, clock=self.clock,
            **options,
        )
        self.described: list[tuple[str, float]] = []

    async def describe(self, approval_id: str, expires: float) -> str:
        self.described.append((approval_id, expires))
        return f"question for {approval_id}"

    async def settle(self, channel=None, arguments=ARGS, caller=ALICE) -> Settled:
        return await self.approvals.settle(TOOL, arguments, caller, channel, self.describe)

    def trail(self) -> list[dict]:
        """The approval records, ids replaced by A, B, ... in order of first appearance (None stays None)."""
        names: dict[str, str] = {}
        out = []
        for line in self.audit_path.read_text().splitlines():
            record = json.loads(line)
            if record["event"] != "approval":
                continue
            assert (record["tool"], record["grant"], record["session"]) == (TOOL, "alice", "s1"), record
            approval_id = record.get("id")
            if approval_id is not None:
                names.setdefault(approval_id, "ABCDEFGH"[len(names)])
            step = {"action": record["action"], "id": names.get(approval_id) if approval_id else None}
            step.update({key: record[key] for key in ("via", "by", "reason") if key in record})
            out.append(step)
        return out

    def ids(self) -> list[str]:
        """The real approval ids, in order of first appearance in the trail."""
        seen: list[str] = []
        for line in self.audit_path.read_text().splitlines():
            record = json.loads(line)
            if record["event"] == "approval" and record.get("id") and record["id"] not in seen:
                seen.append(record["id"])
        return seen


def approving(answer: bool):
    async def ask(question: str) -> bool:
        return answer

    return ask


async def test_asked_in_the_call_and_approved(tmp_path):
    gate = Gate(tmp_path)
    questions: list[str] = []

    async def ask(question: str) -> bool:
        questions.append(question)
        return True

    settled = await gate.settle(Channel(ask=ask))
    assert settled == Settled(True)
    [approval_id] = gate.ids()
    assert questions == [f"question for {approval_id}"]
    assert gate.described == [(approval_id, gate.clock.now + 60)]  # the question says when it expires
    assert gate.trail() == [
        {"action": "asked", "id": "A", "via": "elicitation"},
        {"action": "approved", "id": "A", "via": "elicitation", "by": "client:alice"},
        {"action": "used", "id": "A"},
    ]


async def test_asked_in_the_call_and_declined(tmp_path):
    gate = Gate(tmp_path)
    settled = await gate.settle(Channel(ask=approving(False)))
    assert settled == Settled(False, DECLINED_TEXT, "approval_declined")
    assert gate.trail() == [
        {"action": "asked", "id": "A", "via": "elicitation"},
        {"action": "declined", "id": "A", "via": "elicitation"},
    ]


async def test_a_failed_request_in_the_call_is_a_decline_that_names_the_failure(tmp_path):
    gate = Gate(tmp_path)

    async def broken(question: str) -> bool:
        raise ConnectionResetError("the client went away")

    settled = await gate.settle(Channel(ask=broken))
    assert settled == Settled(
        False, "[APPROVAL DECLINED] the approval request failed (ConnectionResetError)", "approval_declined"
    )
    assert gate.trail() == [
        {"action": "asked", "id": "A", "via": "elicitation"},
        {"action": "declined", "id": "A", "via": "elicitation", "reason": "ConnectionResetError"},
    ]


async def test_a_client_that_cannot_ask_after_all_gets_an_out_of_band_approval(tmp_path):
    gate = Gate(tmp_path)

    async def cannot(question: str) -> bool:
        raise ApprovalUnavailable("no elicitation")

    settled = await gate.settle(Channel(ask=cannot))
    assert (settled.approved, settled.outcome) == (False, "approval_pending")
    _first, pending = gate.ids()
    assert settled.text == pending_text(gate.store.get(pending))
    assert gate.trail() == [
        {"action": "asked", "id": "A", "via": "elicitation"},
        {"action": "asked", "id": "B", "via": "out_of_band"},
    ]


async def test_an_answer_in_the_call_that_comes_after_the_expiry_is_refused(tmp_path):
    gate = Gate(tmp_path)

    async def slow(question: str) -> bool:
        gate.clock.now += 60  # exactly the time to live: already too late
        return True

    settled = await gate.settle(Channel(ask=slow))
    assert settled == Settled(
        False, "[APPROVAL REFUSED] the approval expired before it was answered; call the tool again to be asked anew",
        "approval_refused",
    )
    assert gate.trail() == [
        {"action": "asked", "id": "A", "via": "elicitation"},
        {"action": "refused", "id": "A", "reason": "expired"},
    ]


async def test_an_answer_in_the_call_whose_id_another_server_claimed_first_is_refused(tmp_path):
    """Two replicas share the store: the one that claims the id first wins, the other refuses the answer."""
    gate = Gate(tmp_path)

    async def raced(question: str) -> bool:
        approval_id = question.rsplit(" ", 1)[-1]
        assert gate.store.claim(approval_id, gate.clock.now + 60)  # the other replica, in between
        return True

    settled = await gate.settle(Channel(ask=raced))
    assert settled == Settled(
        False, "[APPROVAL REFUSED] this approval was already used; call the tool again to be asked anew",
        "approval_refused",
    )
    assert gate.trail() == [
        {"action": "asked", "id": "A", "via": "elicitation"},
        {"action": "refused", "id": "A", "reason": "replayed"},
    ]


async def test_a_channel_made_only_when_a_rule_asks(tmp_path):
    """The transport passes how to make its channel; the gate makes it and asks through it."""
    gate = Gate(tmp_path)
    made: list[Channel] = []

    def make() -> Channel:
        made.append(Channel(ask=approving(True)))
        return made[-1]

    assert await gate.settle(make) == Settled(True)
    assert len(made) == 1


async def test_input_required_asks_answers_once_and_says_who_approved(tmp_path):
    gate = Gate(tmp_path)
    deferred: list[tuple[str, str]] = []
    channel = Channel(defer=lambda question, state: deferred.append((question, state)) or "payload")
    asked = await gate.settle(channel)
    assert asked == Settled(False, "approval requested", "approval_requested", "payload")
    [(question, state)] = deferred
    [approval_id] = gate.ids()
    assert question == f"question for {approval_id}"
    ticket = verify(KEY, state, gate.approvals.binding(ALICE, TOOL, ARGS), gate.clock.now)
    assert (ticket.id, ticket.expires) == (approval_id, gate.clock.now + 60)
    assert gate.described == [(approval_id, gate.clock.now + 60)]
    assert await gate.settle(Channel(answer=Answer(state, True))) == Settled(True)
    again = await gate.settle(Channel(answer=Answer(state, True)))
    assert again == Settled(
        False, "[APPROVAL REFUSED] this approval was already used; call the tool again to be asked anew",
        "approval_refused",
    )
    assert gate.trail() == [
        {"action": "asked", "id": "A", "via": "input_required"},
        {"action": "approved", "id": "A", "via": "input_required", "by": "client:alice"},
        {"action": "used", "id": "A"},
        {"action": "refused", "id": None, "reason": "replayed"},
    ]


async def test_input_required_declined(tmp_path):
    gate = Gate(tmp_path)
    states: list[str] = []
    await gate.settle(Channel(defer=lambda question, state: states.append(state)))
    declined = await gate.settle(Channel(answer=Answer(states[0], False)))
    assert declined == Settled(False, DECLINED_TEXT, "approval_declined")
    assert gate.trail() == [
        {"action": "asked", "id": "A", "via": "input_required"},
        {"action": "declined", "id": "A", "via": "input_required"},
    ]


async def test_out_of_band_configured_never_asks_in_the_call(tmp_path):
    gate = Gate(tmp_path, out_of_band=True)
    settled = await gate.settle(Channel(ask=approving(True), defer=lambda question, state: "payload"))
    assert (settled.approved, settled.outcome, settled.pending) == (False, "approval_pending", None)
    assert [step["via"] for step in gate.trail()] == ["out_of_band"]


async def test_many_answers_each_run_once(tmp_path):
    """The gate remembers the approvals and tickets it used (beyond the store), and forgets only expired
    ones: well over a thousand distinct answers are each accepted once."""
    gate = Gate(tmp_path)
    await gate.settle()  # one out-of-band approval used first: the gate remembers it too, with its expiry
    gate.approvals.decide(gate.ids()[0], True, "local:carol")
    assert (await gate.settle()).approved
    states: list[str] = []
    channel = Channel(defer=lambda question, state: states.append(state))
    for n in range(1030):
        await gate.approvals.settle(TOOL, {"n": n}, ALICE, channel, gate.describe)
    gate.clock.now += 1  # the first ones still valid
    answers = [
        await gate.approvals.settle(TOOL, {"n": n}, ALICE, Channel(answer=Answer(state, True)), gate.describe)
        for n, state in enumerate(states)
    ]
    assert all(answer.approved for answer in answers)
    replayed = await gate.approvals.settle(TOOL, {"n": 0}, ALICE, Channel(answer=Answer(states[0], True)),
                                           gate.describe)  # fmt: skip
    assert replayed.outcome == "approval_refused"


async def test_a_rolled_back_claim_does_not_let_an_answer_run_twice(tmp_path):
    """The SQLite file can be written by any process of the server's user: a claim deleted behind the
    gate's back does not make a used answer good again (the gate remembers what it used)."""
    path = tmp_path / "approvals.sqlite3"
    gate = Gate(tmp_path, SqliteApprovalStore(path, key=KEY))
    states: list[str] = []
    await gate.settle(Channel(defer=lambda question, state: states.append(state)))
    assert (await gate.settle(Channel(answer=Answer(states[0], True)))).approved
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM claims")
    replayed = await gate.settle(Channel(answer=Answer(states[0], True)))
    assert (replayed.approved, replayed.outcome) == (False, "approval_refused")
    assert gate.trail()[-1] == {"action": "refused", "id": None, "reason": "replayed"}


async def test_out_of_band_asked_approved_used_once(tmp_path):
    gate = Gate(tmp_path)
    first = await gate.settle()
    [approval_id] = gate.ids()
    stored = gate.store.get(approval_id)
    assert stored.question == f"question for {approval_id}"  # what `odoo-mcp approvals show` prints
    assert gate.described == [(approval_id, gate.clock.now + 3600)]
    assert first == Settled(False, pending_text(stored), "approval_pending")
    assert first.text.startswith(f"[APPROVAL PENDING] {approval_id}\n")
    assert await gate.settle() == first  # still waiting: the same approval, the same text
    gate.clock.now += 3000
    decided = gate.approvals.decide(approval_id, True, "local:carol")
    assert (decided.status, decided.decided_by, decided.expires) == ("approved", "local:carol", gate.clock.now + 3600)
    gate.clock.now += 3000  # past the first expiry: approving gave the agent a new hour to retry
    assert await gate.settle() == Settled(True)
    assert gate.store.get(approval_id).status == "used"
    assert (await gate.settle()).outcome == "approval_pending"  # used once: the next call is asked anew
    assert gate.trail() == [
        {"action": "asked", "id": "A", "via": "out_of_band"},
        {"action": "approved", "id": "A", "via": "out_of_band", "by": "local:carol"},
        {"action": "used", "id": "A", "via": "out_of_band", "by": "local:carol"},
        {"action": "asked", "id": "B", "via": "out_of_band"},
    ]


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_out_of_band_declined_answers_the_retry_once_naming_who(tmp_path, kind):
    store = SqliteApprovalStore(tmp_path / "approvals.sqlite3", key=KEY) if kind == "sqlite" else None
    gate = Gate(tmp_path, store)
    await gate.settle()
    [approval_id] = gate.ids()
    before = gate.store.get(approval_id)
    gate.clock.now += 10  # a decline keeps the approval's expiry (only approving gives a new hour)
    decided = gate.approvals.decide(approval_id, False, "http:carol")
    assert (decided.status, decided.decided_by, decided.expires) == ("declined", "http:carol", before.expires)
    declined = await gate.settle()
    assert declined == Settled(False, f"[APPROVAL DECLINED] {approval_id} was declined by http:carol",
                               "approval_declined")  # fmt: skip
    assert gate.store.get(approval_id).status == "used"
    assert (await gate.settle()).outcome == "approval_pending"
    assert gate.trail() == [
        {"action": "asked", "id": "A", "via": "out_of_band"},
        {"action": "declined", "id": "A", "via": "out_of_band", "by": "http:carol"},
        {"action": "asked", "id": "B", "via": "out_of_band"},
    ]


async def test_a_decline_without_a_named_decider_says_an_approver(tmp_path):
    gate = Gate(tmp_path)
    binding = gate.approvals.binding(ALICE, TOOL, ARGS)
    gate.store.add(PendingApproval("ap_x", "alice", "s1", TOOL, binding.digest, "q", gate.clock.now,
                                   gate.clock.now + 10, status=DECLINED))  # fmt: skip
    declined = await gate.settle()
    assert declined == Settled(False, "[APPROVAL DECLINED] ap_x was declined by an approver", "approval_declined")


async def test_an_expired_out_of_band_approval_is_closed_and_the_call_asked_anew(tmp_path):
    gate = Gate(tmp_path)
    await gate.settle()
    gate.clock.now += 3600
    [approval_id] = gate.ids()
    with pytest.raises(ValueError, match=f"approval {approval_id} is expired, not pending"):
        gate.approvals.decide(approval_id, True, "local:carol")
    again = await gate.settle()
    assert again.outcome == "approval_pending" and approval_id not in again.text
    assert gate.store.get(approval_id).status == "expired"
    assert gate.trail() == [
        {"action": "asked", "id": "A", "via": "out_of_band"},
        {"action": "expired", "id": "A"},
        {"action": "asked", "id": "B", "via": "out_of_band"},
    ]


async def test_deciding_an_unknown_approval_names_it(tmp_path):
    gate = Gate(tmp_path)
    with pytest.raises(LookupError, match=r"^no approval ap_nothing$"):
        gate.approvals.decide("ap_nothing", True, "local:carol")


class StaleReads(MemoryApprovalStore):
    """A store whose reads return the record as it was before (what a second approver saw)."""

    stale: PendingApproval | None = None

    def get(self, approval_id: str) -> PendingApproval | None:
        return self.stale or super().get(approval_id)


async def test_an_approval_decided_meanwhile_is_not_decided_twice(tmp_path):
    """Two approvers: the second one's compare-and-set finds the approval no longer pending."""
    store = StaleReads()
    gate = Gate(tmp_path, store)
    await gate.settle()
    [approval_id] = gate.ids()
    store.stale = store.get(approval_id)  # the second approver read the record before the first wrote
    gate.approvals.decide(approval_id, False, "local:dave")
    with pytest.raises(ValueError, match=f"^approval {approval_id} was decided or expired meanwhile$"):
        gate.approvals.decide(approval_id, True, "local:carol")


async def test_an_altered_stored_approval_is_refused_and_discarded(tmp_path):
    path = tmp_path / "approvals.sqlite3"
    gate = Gate(tmp_path, SqliteApprovalStore(path, key=KEY))
    await gate.settle()
    [approval_id] = gate.ids()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE approvals SET record = replace(record, '\"pending\"', '\"approved\"')")
    refused = await gate.settle()
    assert refused == Settled(
        False,
        "[APPROVAL REFUSED] the approval state was altered or was not issued by this server; "
        "call the tool again to be asked anew",
        "approval_refused",
    )
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM approvals WHERE id = ?", (approval_id,)).fetchone() == (0,)
    assert gate.trail() == [
        {"action": "asked", "id": "A", "via": "out_of_band"},
        {"action": "refused", "id": "A", "reason": "altered"},
    ]


async def test_a_used_approval_written_back_is_refused_and_discarded(tmp_path):
    path = tmp_path / "approvals.sqlite3"
    gate = Gate(tmp_path, SqliteApprovalStore(path, key=KEY))
    await gate.settle()
    [approval_id] = gate.ids()
    gate.approvals.decide(approval_id, True, "local:carol")
    with sqlite3.connect(path) as db:
        approved = db.execute("SELECT status, record FROM approvals").fetchone()
    assert (await gate.settle()).approved
    with sqlite3.connect(path) as db:  # the genuine, sealed 'approved' record, written back by another process
        db.execute("UPDATE approvals SET status = ?, record = ? WHERE id = ?", (*approved, approval_id))
    replayed = await gate.settle()
    assert (replayed.approved, replayed.outcome) == (False, "approval_refused")
    assert gate.store.get(approval_id) is None
    assert gate.trail()[-1] == {"action": "refused", "id": "A", "reason": "replayed"}
