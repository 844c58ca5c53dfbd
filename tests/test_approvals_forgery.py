"""Approval state that another process of the server's Unix user edits (a stdio mount can) yields
no approved call: records are signed with the server's approval key, and an approval this server
already used stays used even when an old, genuinely signed copy is written back.

Each case edits the store exactly as such a process would, through SQLite or Redis themselves,
never through the store's own methods.
"""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from guard.approvals.gate import Approvals
from guard.audit import AuditLog
from guard.spec import Caller
from odoo_mcp.approvals.sealed_stores import RedisApprovalStore, SqliteApprovalStore

pytestmark = pytest.mark.anyio

KEY = b"k" * 32
ALICE = Caller("alice", "s1")
ARGS = {"ids": [1]}


async def describe(approval_id: str, expires: float) -> str:
    return f"question {approval_id}"


class SqliteRows:
    """The approvals table as a mount sees it: a SQLite file it can open and write."""

    def __init__(self, path):
        self.path = path

    def records(self) -> dict[str, dict]:
        with sqlite3.connect(self.path) as db:
            return {row[0]: json.loads(row[1]) for row in db.execute("SELECT id, record FROM approvals")}

    def write(self, approval_id: str, record: dict, *, new: bool = False) -> None:
        with sqlite3.connect(self.path) as db:
            if new:
                binding = db.execute("SELECT binding FROM approvals LIMIT 1").fetchone()[0]
                db.execute(
                    "INSERT INTO approvals (id, binding, status, created, expires, record) VALUES (?, ?, ?, ?, ?, ?)",
                    (approval_id, binding, record["status"], record["created"], record["expires"], json.dumps(record)),
                )
            else:
                db.execute(
                    "UPDATE approvals SET status = ?, record = ? WHERE id = ?",
                    (record["status"], json.dumps(record), approval_id),
                )

    def retarget(self, approval_id: str, onto: str) -> None:
        """Make `approval_id` the newest approval found for the call `onto` is for."""
        with sqlite3.connect(self.path) as db:
            binding, created = db.execute("SELECT binding, created FROM approvals WHERE id = ?", (onto,)).fetchone()
            moved = (binding, created + 1, approval_id)
            db.execute("UPDATE approvals SET binding = ?, created = ? WHERE id = ?", moved)


class RedisRows:
    """The same for Redis: any local process can reach a Redis on loopback."""

    def __init__(self, url):
        import redis

        self.redis = redis.Redis.from_url(url)
        self.prefix = RedisApprovalStore.PREFIX

    def records(self) -> dict[str, dict]:
        found = {}
        for key in self.redis.scan_iter(self.prefix + "id:*"):
            record = json.loads(self.redis.get(key))
            found[record["id"]] = record
        return found

    def write(self, approval_id: str, record: dict, *, new: bool = False) -> None:
        self.redis.set(self.prefix + "id:" + approval_id, json.dumps(record))
        if new:  # the call's pointer to its newest approval, moved to the forged one
            self.redis.set(next(iter(self.redis.scan_iter(self.prefix + "for:*"))), approval_id)
            self.redis.zadd(self.prefix + "index", {approval_id: record["created"]})

    def retarget(self, approval_id: str, onto: str) -> None:
        for key in self.redis.scan_iter(self.prefix + "for:*"):
            if self.redis.get(key) == onto.encode():
                self.redis.set(key, approval_id)


@pytest.fixture(params=["sqlite", "redis"])
def setup(request, tmp_path):
    """(the gate, the store's rows as another process sees them, the audit path)."""
    if request.param == "sqlite":
        store = SqliteApprovalStore(tmp_path / "approvals.sqlite3", key=KEY)
        rows = SqliteRows(tmp_path / "approvals.sqlite3")
    else:
        url = request.getfixturevalue("redis_url")
        store, rows = RedisApprovalStore(url, key=KEY), RedisRows(url)
    audit = tmp_path / "audit.jsonl"
    return Approvals(KEY, store, AuditLog(audit, stderr=False), out_of_band=True), rows, audit


def _approval_actions(audit) -> list[tuple[str, str | None]]:
    records = map(json.loads, audit.read_text().splitlines())
    return [(r["action"], r.get("reason")) for r in records if r["event"] == "approval"]


async def test_an_edited_pending_approval_does_not_approve_the_call(setup):
    gate, rows, audit = setup
    pending = await gate.settle("odoo_unlink", ARGS, ALICE, None, describe)
    assert pending.text.startswith("[APPROVAL PENDING] ap_")
    [(approval_id, record)] = rows.records().items()

    record.update(status="approved", decided_by="local:mount", decided_at=time.time())
    rows.write(approval_id, record)  # what `odoo-mcp approvals approve` would have written, unsigned
    retry = await gate.settle("odoo_unlink", ARGS, ALICE, None, describe)
    assert not retry.approved
    assert retry.text.startswith("[APPROVAL REFUSED] the approval state was altered")
    assert ("refused", "altered") in _approval_actions(audit)

    again = await gate.settle("odoo_unlink", ARGS, ALICE, None, describe)  # asked anew, never run
    assert not again.approved
    assert again.text.startswith("[APPROVAL PENDING] ap_")
    assert approval_id not in again.text


async def test_a_forged_approval_beside_the_pending_one_does_not_approve_the_call(setup):
    gate, rows, _ = setup
    await gate.settle("odoo_unlink", ARGS, ALICE, None, describe)
    [record] = rows.records().values()
    forged = {**record, "id": "ap_forged", "status": "approved", "created": record["created"] + 1}
    rows.write("ap_forged", forged, new=True)
    retry = await gate.settle("odoo_unlink", ARGS, ALICE, None, describe)
    assert not retry.approved
    assert retry.text.startswith("[APPROVAL REFUSED]")
    assert gate.store.get("ap_forged") is None  # never shown to an approver as genuine


async def test_a_used_approval_written_back_is_not_used_twice(setup):
    gate, rows, audit = setup
    await gate.settle("odoo_unlink", ARGS, ALICE, None, describe)
    [approval_id] = rows.records()
    gate.decide(approval_id, True, "local:carol")
    approved_copy = rows.records()[approval_id]  # genuinely signed, approved
    assert (await gate.settle("odoo_unlink", ARGS, ALICE, None, describe)).approved  # runs once

    rows.write(approval_id, approved_copy)  # rolled back to "approved"
    replay = await gate.settle("odoo_unlink", ARGS, ALICE, None, describe)
    assert not replay.approved
    assert replay.text.startswith("[APPROVAL REFUSED] this approval was already used")
    assert ("refused", "replayed") in _approval_actions(audit)


async def test_an_approval_moved_to_another_call_does_not_approve_it(setup):
    gate, rows, _ = setup
    await gate.settle("odoo_unlink", {"ids": [1]}, ALICE, None, describe)
    [small] = rows.records()
    gate.decide(small, True, "local:carol")  # a human approved deleting record 1
    await gate.settle("odoo_unlink", {"ids": [1, 2, 3]}, ALICE, None, describe)
    [large] = [approval_id for approval_id in rows.records() if approval_id != small]
    rows.retarget(small, onto=large)  # the approval of the small call, found for the large one
    moved = await gate.settle("odoo_unlink", {"ids": [1, 2, 3]}, ALICE, None, describe)
    assert not moved.approved
    assert moved.text.startswith("[APPROVAL REFUSED] the approval state was altered")
