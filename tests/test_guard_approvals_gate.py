"""guard/approvals/gate.py: asking, answering and resuming an approval, in process with a fake clock.
Split out of tests/test_guard_approvals_ticket.py.
"""

from __future__ import annotations

import json
import time

import pytest

from guard.approvals.gate import Answer, Approvals, Channel
from guard.approvals.store import MemoryApprovalStore
from guard.audit import AuditLog
from guard.spec import Caller
from tests.test_guard_approvals_ticket import KEY

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))  # the real clock at the test, not at import (the memory store claims on it)

    def __call__(self) -> float:
        return self.now


async def describe(approval_id: str, expires: float) -> str:
    return f"question {approval_id}"


@pytest.fixture
def gate(tmp_path):
    audit_path = tmp_path / "audit.jsonl"
    clock = Clock()
    approvals = Approvals(KEY, MemoryApprovalStore(), AuditLog(audit_path, stderr=False), ttl=60, clock=clock)
    approvals.clock_ = clock  # type: ignore[attr-defined]
    approvals.audit_path = audit_path  # type: ignore[attr-defined]
    return approvals


def _actions(gate) -> list[tuple[str, str | None]]:
    lines = gate.audit_path.read_text().splitlines()
    return [(r["action"], r.get("reason")) for r in map(json.loads, lines) if r["event"] == "approval"]


ALICE = Caller("alice", "s1")
ARGS = {"ids": [1], "values": {"x": 1}}


async def test_out_of_band_approval_runs_one_retry(gate):
    first = await gate.settle("odoo_write", ARGS, ALICE, None, describe)
    assert first.text.startswith("[APPROVAL PENDING] ap_") and first.outcome == "approval_pending"
    approval_id = first.text.split()[2]
    again = await gate.settle("odoo_write", ARGS, ALICE, None, describe)
    assert again.text.split()[2] == approval_id  # the same pending approval, not a new one
    other_args = await gate.settle("odoo_write", {**ARGS, "ids": [2]}, ALICE, None, describe)
    assert other_args.text.split()[2] != approval_id
    gate.decide(approval_id, True, "local:carol")
    with pytest.raises(ValueError, match="approved, not pending"):
        gate.decide(approval_id, False, "local:dave")
    assert (await gate.settle("odoo_write", ARGS, Caller("alice", "s2"), None, describe)).approved is False
    assert (await gate.settle("odoo_write", ARGS, ALICE, None, describe)).approved is True
    assert (await gate.settle("odoo_write", ARGS, ALICE, None, describe)).text.startswith("[APPROVAL PENDING] ")
    assert ("approved", None) in _actions(gate) and ("used", None) in _actions(gate)


async def test_out_of_band_decline_and_expiry(gate):
    approval_id = (await gate.settle("odoo_write", ARGS, ALICE, None, describe)).text.split()[2]
    gate.decide(approval_id, False, "http:carol")
    declined = await gate.settle("odoo_write", ARGS, ALICE, None, describe)
    assert declined.text == f"[APPROVAL DECLINED] {approval_id} was declined by http:carol"
    fresh = (await gate.settle("odoo_write", ARGS, ALICE, None, describe)).text.split()[2]
    assert fresh != approval_id
    gate.clock_.now += gate.pending_ttl
    with pytest.raises(ValueError, match="expired"):
        gate.decide(fresh, True, "local:carol")
    newer = await gate.settle("odoo_write", ARGS, ALICE, None, describe)
    assert newer.text.startswith("[APPROVAL PENDING] ") and fresh not in newer.text
    assert ("expired", None) in _actions(gate)


async def test_input_required_answer_is_accepted_once(gate):
    states: list[str] = []
    channel = Channel(defer=lambda question, state: states.append(state) or {"question": question})
    asked = await gate.settle("odoo_write", ARGS, ALICE, channel, describe)
    assert asked.pending["question"].startswith("question ap_") and not asked.approved
    answer = Channel(answer=Answer(states[0], True))
    other = await gate.settle("odoo_write", {**ARGS, "ids": [2]}, ALICE, answer, describe)
    assert other.outcome == "approval_refused"
    assert (await gate.settle("odoo_write", ARGS, ALICE, answer, describe)).approved
    replayed = await gate.settle("odoo_write", ARGS, ALICE, answer, describe)
    assert replayed.text.startswith("[APPROVAL REFUSED] this approval was already used")
    assert [reason for action, reason in _actions(gate) if action == "refused"] == ["other_call", "replayed"]


async def test_in_call_answer_after_expiry_is_refused(gate):
    async def slow_human(question: str) -> bool:
        gate.clock_.now += 61
        return True

    settled = await gate.settle("odoo_write", ARGS, ALICE, Channel(ask=slow_human), describe)
    assert settled.text.startswith("[APPROVAL REFUSED] the approval expired")


def test_the_gate_never_shows_its_key(gate):
    assert repr(gate) == "Approvals(store=MemoryApprovalStore, ttl=60, out_of_band=False)"
    assert KEY.decode() not in repr(gate)
