"""Bound approvals, in process: tickets, argument hashing, the key file, the stores, the gate.

The end-to-end contracts (both protocol eras, the approver CLI, Redis between processes)
are in tests/test_approvals_e2e.py; here every case of the pure parts is a table row.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import time
from dataclasses import replace

import pytest

from guard.approval_gate import Answer, Approvals, Channel
from guard.approval_question import MASKED, render_question
from guard.approval_store import (
    APPROVED,
    DECLINED,
    EXPIRED,
    PENDING,
    USED,
    MemoryApprovalStore,
    PendingApproval,
    RedisApprovalStore,
    SqliteApprovalStore,
)
from guard.approvals import (
    AnswerRefused,
    ApprovalKeyError,
    Binding,
    Refusal,
    Ticket,
    arguments_digest,
    load_key,
    sign,
    verify,
)
from guard.audit import AuditLog
from guard.spec import Caller

pytestmark = pytest.mark.anyio

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
CALL = Binding("alice", "s1", "odoo_write", arguments_digest(KEY, "odoo_write", {"ids": [1], "values": {"x": 1}}))
NOW = float(int(time.time()))  # near the real clock: stores drop claims past their expiry


def _retamper(token: str, **claims_update: object) -> str:
    """Change claims inside a token but keep its old MAC (what a forger without the key can do)."""
    prefix, body, mac = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims.update(claims_update)
    new_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{prefix}.{new_body}.{mac}"


GOOD = sign(KEY, Ticket("ap_1", CALL, NOW + 60))

VERIFY_CASES = [
    ("the exact call", GOOD, CALL, NOW, None),
    ("no state at all", None, CALL, NOW, Refusal.UNSOLICITED),
    ("MAC changed", GOOD[:-2] + ("AA" if not GOOD.endswith("AA") else "BB"), CALL, NOW, Refusal.ALTERED),
    ("claims changed, old MAC", _retamper(GOOD, exp=NOW + 10_000), CALL, NOW, Refusal.ALTERED),
    ("grant changed, old MAC", _retamper(GOOD, g="bob"), replace(CALL, grant="bob"), NOW, Refusal.ALTERED),
    ("signed with another key", sign(OTHER_KEY, Ticket("ap_1", CALL, NOW + 60)), CALL, NOW, Refusal.ALTERED),
    ("not a ticket", "hello", CALL, NOW, Refusal.ALTERED),
    ("other format version", "oga2." + GOOD[5:], CALL, NOW, Refusal.ALTERED),
    ("expired", GOOD, CALL, NOW + 60, Refusal.EXPIRED),
    ("another grant", GOOD, replace(CALL, grant="bob"), NOW, Refusal.OTHER_GRANT),
    ("another session", GOOD, replace(CALL, session="s2"), NOW, Refusal.OTHER_SESSION),
    ("another tool", GOOD, replace(CALL, tool="odoo_unlink"), NOW, Refusal.OTHER_CALL),
    (
        "other arguments",
        GOOD,
        replace(CALL, digest=arguments_digest(KEY, "odoo_write", {"ids": [2], "values": {"x": 1}})),
        NOW,
        Refusal.OTHER_CALL,
    ),
]


@pytest.mark.parametrize(("case", "token", "binding", "now", "refusal"), VERIFY_CASES, ids=[c[0] for c in VERIFY_CASES])
def test_a_ticket_is_accepted_only_for_its_exact_call_before_expiry(case, token, binding, now, refusal):
    if refusal is None:
        assert verify(KEY, token, binding, now).id == "ap_1"
    else:
        with pytest.raises(AnswerRefused) as caught:
            verify(KEY, token, binding, now)
        assert caught.value.reason is refusal
        assert caught.value.render().startswith("[APPROVAL REFUSED] ")


DIGEST_CASES = [
    ("key order does not matter", {"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}, True),
    ("a value differs", {"a": 1}, {"a": 2}, False),
    ("list order matters", {"a": [1, 2]}, {"a": [2, 1]}, False),
    ("one character past 256 differs", {"t": "x" * 300}, {"t": "x" * 299 + "y"}, False),
    ("1 and 1.0 are one JSON number", {"a": 1}, {"a": 1.0}, False),
    ("nested keys sorted", {"v": {"b": 1, "a": 2}}, {"v": {"a": 2, "b": 1}}, True),
]


@pytest.mark.parametrize(("case", "one", "two", "same"), DIGEST_CASES, ids=[c[0] for c in DIGEST_CASES])
def test_arguments_hash_is_canonical(case, one, two, same):
    assert (arguments_digest(KEY, "t", one) == arguments_digest(KEY, "t", two)) is same


def test_arguments_hash_is_keyed_and_names_the_tool():
    arguments = {"password": "1234"}
    assert arguments_digest(KEY, "t", arguments) != arguments_digest(OTHER_KEY, "t", arguments)
    assert arguments_digest(KEY, "t", arguments) != arguments_digest(KEY, "u", arguments)


def test_key_file_is_created_once_with_owner_only_permissions(tmp_path):
    path = tmp_path / "state" / "approval.key"
    first = load_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert load_key(path) == first  # reused, not regenerated
    assert load_key(path, "e" * 40) == b"e" * 40  # the environment's key wins


@pytest.mark.parametrize(
    ("case", "setup", "message"),
    [
        ("readable by the group", lambda p: (p.write_text("x" * 64), p.chmod(0o640)), "readable by others"),
        ("too short", lambda p: (p.write_text("short"), p.chmod(0o600)), "at least 32"),
    ],
)
def test_a_bad_key_file_is_refused(tmp_path, case, setup, message):
    path = tmp_path / "approval.key"
    setup(path)
    with pytest.raises(ApprovalKeyError, match=message):
        load_key(path)


def test_a_short_key_in_the_environment_is_refused(tmp_path):
    with pytest.raises(ApprovalKeyError, match="ODOO_MCP_APPROVAL_KEY"):
        load_key(tmp_path / "unused", "short")


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request, tmp_path):
    """Each store behind the same table (Redis: a real server on loopback, see test_guard_limits_e2e)."""
    if request.param == "memory":
        return MemoryApprovalStore()
    if request.param == "sqlite":
        return SqliteApprovalStore(tmp_path / "a.sqlite3", key=KEY)
    return RedisApprovalStore(request.getfixturevalue("redis_url"), key=KEY)


def _approval(approval_id: str = "ap_1", binding: Binding = CALL, created: float = NOW) -> PendingApproval:
    return PendingApproval(
        id=approval_id,
        grant=binding.grant,
        session=binding.session,
        tool=binding.tool,
        digest=binding.digest,
        question="q",
        created=created,
        expires=created + 100,
    )


def test_store_state_changes_are_compare_and_set(store):
    store.add(_approval())
    assert store.find(CALL).id == "ap_1"
    assert store.find(replace(CALL, session="s2")) is None
    approved = store.transition("ap_1", PENDING, APPROVED, by="carol", now=NOW + 1, expires=NOW + 500)
    assert (approved.status, approved.decided_by, approved.expires) == (APPROVED, "carol", NOW + 500)
    assert store.transition("ap_1", PENDING, DECLINED, by="dave", now=NOW + 2) is None  # already decided
    assert store.get("ap_1").decided_by == "carol"
    assert store.transition("ap_1", APPROVED, USED, by=None, now=NOW + 3) is not None
    assert store.transition("ap_1", APPROVED, USED, by=None, now=NOW + 3) is None  # used once only
    assert store.find(CALL) is None  # a used approval is never found for the call again


def test_racing_approvers_one_wins(store, tmp_path, request):
    """Eight approvers (each with its own connection) decide at once: exactly one decision sticks."""
    import threading

    store.add(_approval())
    kind = request.node.callspec.params["store"]
    openers = {
        "memory": lambda: store,
        "sqlite": lambda: SqliteApprovalStore(tmp_path / "a.sqlite3", key=KEY),
        "redis": lambda: RedisApprovalStore(request.getfixturevalue("redis_url"), key=KEY),
    }
    stores = [openers[kind]() for _ in range(8)]
    barrier = threading.Barrier(len(stores))
    wins: list[str] = []

    def decide(index: int) -> None:
        barrier.wait()
        status = APPROVED if index % 2 else DECLINED
        if stores[index].transition("ap_1", PENDING, status, by=f"approver{index}", now=NOW + 1) is not None:
            wins.append(f"approver{index}")

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1
    assert store.get("ap_1").decided_by == wins[0]


def test_store_refuses_to_approve_an_expired_approval(store):
    store.add(_approval())
    assert store.get("ap_1").state(NOW + 100) == EXPIRED
    assert store.transition("ap_1", PENDING, APPROVED, by="carol", now=NOW + 100) is None


def test_store_claims_an_id_once(store):
    assert store.claim("ap_9", NOW + 3600)
    assert not store.claim("ap_9", NOW + 3600)
    assert store.claim("ap_10", NOW + 3600)


def test_sqlite_store_is_shared_between_two_openers(tmp_path):
    one = SqliteApprovalStore(tmp_path / "a.sqlite3", key=KEY)
    two = SqliteApprovalStore(tmp_path / "a.sqlite3", key=KEY)
    one.add(_approval())
    assert two.transition("ap_1", PENDING, APPROVED, by="carol", now=NOW) is not None
    assert one.get("ap_1").status == APPROVED
    assert stat.S_IMODE(os.stat(tmp_path / "a.sqlite3").st_mode) == 0o600


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))  # the real time when the test starts: stores drop claims by it

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


QUESTION_ARGS = {
    "body": "see https://example.com/" + "a" * 300 + "/phish",
    "secret_token": "tok-XYZ",
    "url": "https://bob:hunter2@example.com/x",
    "count": 3,
}


def test_question_shows_the_whole_call_and_says_what_is_masked():
    question = render_question(
        tool="odoo_message_post",
        risk="write",
        grant="alice",
        session="s1",
        arguments=QUESTION_ARGS,
        preview={"records": ["Azure Interior"]},
        approval_id="ap_1",
        expires=NOW,
    )
    assert QUESTION_ARGS["body"] in question  # nothing cut, the end of a long value included
    assert "tok-XYZ" not in question and "hunter2" not in question
    assert f'"secret_token": "{MASKED}"' in question
    assert "are secrets: they are sent to the tool but not shown here" in question
    assert "Azure Interior" in question and "What would change:" in question
    assert "alice" in question and "ap_1" in question
