"""guard/approvals/store.py: the pending approvals and claims of every store (memory, SQLite, Redis),
compare-and-set state changes, racing approvers. Split out of tests/test_guard_approvals_ticket.py.
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace

import pytest

from guard.approvals.store import (
    APPROVED,
    DECLINED,
    EXPIRED,
    PENDING,
    USED,
    MemoryApprovalStore,
    PendingApproval,
)
from guard.approvals.ticket import (
    Binding,
)
from odoo_mcp.approvals.sealed_stores import RedisApprovalStore, SqliteApprovalStore
from tests.test_guard_approvals_ticket import KEY, NOW, call_binding

CALL = call_binding()  # data for the stores (the digest is only a key here: approvals.py's tests check it)

pytestmark = pytest.mark.anyio


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


def test_every_approval_is_listed_oldest_first_and_a_discarded_one_is_gone(store):
    """What `odoo-mcp approvals list` shows: every approval the store holds, by creation time."""
    store.add(_approval("ap_new", created=NOW + 5))
    store.add(_approval("ap_old", created=NOW))
    store.add(_approval("ap_mid", created=NOW + 2))
    assert [a.id for a in store.all()] == ["ap_old", "ap_mid", "ap_new"]
    store.discard("ap_mid")
    store.discard("ap_never")  # nothing to forget: no error
    assert [a.id for a in store.all()] == ["ap_old", "ap_new"]
    assert store.get("ap_mid") is None


def test_a_listing_leaves_out_a_record_whose_seal_does_not_match(tmp_path):
    import sqlite3

    path = tmp_path / "a.sqlite3"
    store = SqliteApprovalStore(path, key=KEY)
    store.add(_approval("ap_1"))
    store.add(_approval("ap_2", created=NOW + 1))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE approvals SET record = replace(record, '\"q\"', '\"edited\"') WHERE id = 'ap_1'")
    assert [a.id for a in store.all()] == ["ap_2"]


def test_redis_forgets_a_claim_when_its_ticket_expires(redis_url):
    """A claimed id is kept exactly as long as its ticket could still be answered (then a replay is refused as
    expired anyway), so the claims do not pile up in the shared Redis."""
    import time as clock

    store = RedisApprovalStore(redis_url, key=KEY)
    assert store.claim("ap_soon", clock.time() + 100)
    ttl = store._redis.ttl(RedisApprovalStore.PREFIX + "claim:ap_soon")
    assert 99 <= ttl <= 101, ttl
    assert store.claim("ap_past", clock.time() - 50)  # already expired: kept one second, not forever
    assert store._redis.ttl(RedisApprovalStore.PREFIX + "claim:ap_past") == 1
    assert not store.claim("ap_soon", clock.time() + 100)


def test_a_sealed_record_moved_under_another_id_is_not_believed(tmp_path, redis_url):
    """Another process of the server's user copies a genuine record under another id: the seal holds the id."""
    import sqlite3

    from guard.approvals.store import AlteredApproval
    from odoo_mcp.approvals.sealed_stores import binding_key, seal

    path = tmp_path / "a.sqlite3"
    sqlite_store = SqliteApprovalStore(path, key=KEY)
    sqlite_store.add(_approval("ap_1"))
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO approvals SELECT 'ap_2', binding, status, created + 1, expires, record "
                   "FROM approvals WHERE id = 'ap_1'")  # fmt: skip
        db.execute("DELETE FROM approvals WHERE id = 'ap_1'")
    redis_store = RedisApprovalStore(redis_url, key=KEY)
    redis_store._redis.set(RedisApprovalStore.PREFIX + "id:ap_2", seal(_approval("ap_1"), KEY))
    redis_store._redis.set(RedisApprovalStore.PREFIX + "for:" + binding_key(CALL), "ap_2")
    assert sqlite_store.all() == []  # nor listed
    for store in (sqlite_store, redis_store):
        assert store.get("ap_2") is None
        with pytest.raises(AlteredApproval, match="approval ap_2 was altered"):
            store.find(CALL)


def test_the_sqlite_file_is_made_with_its_folders_for_the_owner_only(tmp_path):
    path = tmp_path / "state" / "deep" / "approvals.sqlite3"
    store = SqliteApprovalStore(path, key=KEY)
    store.add(_approval())
    assert store.get("ap_1") is not None
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_sqlite_state_change_that_lost_a_race_says_so(tmp_path):
    """Two approvers on two processes: the second one read 'pending' before the first wrote 'declined'.
    Its compare-and-set finds the row changed and reports that nothing changed."""

    class ReadBeforeTheOtherWrote(SqliteApprovalStore):
        stale: PendingApproval | None = None

        def get(self, approval_id: str) -> PendingApproval | None:
            return self.stale or super().get(approval_id)

    path = tmp_path / "a.sqlite3"
    first, second = SqliteApprovalStore(path, key=KEY), ReadBeforeTheOtherWrote(path, key=KEY)
    first.add(_approval())
    second.stale = first.get("ap_1")
    assert first.transition("ap_1", "pending", "declined", by="local:dave", now=NOW) is not None
    assert second.transition("ap_1", "pending", "approved", by="local:carol", now=NOW) is None
    assert first.get("ap_1").status == "declined"


def test_redis_keeps_an_approval_a_day_past_its_expiry(redis_url):
    import time as clock

    store = RedisApprovalStore(redis_url, key=KEY)
    approval = replace(_approval("ap_ttl", created=clock.time()), expires=clock.time() + 100)
    store.add(approval)
    for key in ("id:ap_ttl", "for:" + binding_key_of(approval)):
        ttl = store._redis.ttl(RedisApprovalStore.PREFIX + key)
        assert 86400 + 98 <= ttl <= 86400 + 100, (key, ttl)


def binding_key_of(approval: PendingApproval) -> str:
    from odoo_mcp.approvals.sealed_stores import binding_key

    return binding_key(approval.binding)


def test_the_store_is_chosen_beside_the_counters(tmp_path):
    from guard.approvals.store import MemoryApprovalStore
    from odoo_mcp.approvals.sealed_stores import open_store

    assert type(open_store("memory://", None, key=KEY)) is MemoryApprovalStore
    sqlite = open_store("memory://", tmp_path, key=KEY)
    assert type(sqlite) is SqliteApprovalStore and sqlite.path == tmp_path / "approvals.sqlite3"
    sqlite.add(_approval())  # sealed with the key it was given
    assert SqliteApprovalStore(tmp_path / "approvals.sqlite3", key=KEY).get("ap_1") == _approval()
    for uri in ("redis://127.0.0.1:1/0", "rediss://127.0.0.1:1/0"):
        redis_store = open_store(uri, tmp_path, key=KEY)
        assert type(redis_store) is RedisApprovalStore
        assert redis_store._redis.connection_pool.connection_kwargs["port"] == 1
    with pytest.raises(ValueError, match=r"^approvals cannot be kept in bogus:// storage \(use memory:// or redis://\)$"):
        open_store("bogus://x://y", tmp_path, key=KEY)


def test_a_decision_keeps_who_and_when_through_later_changes(store):
    store.add(_approval())
    approved = store.transition("ap_1", "pending", "approved", by="local:carol", now=NOW + 5)
    assert (approved.decided_by, approved.decided_at) == ("local:carol", NOW + 5)
    used = store.transition("ap_1", "approved", "used", by=None, now=NOW + 9)
    assert (used.status, used.decided_by, used.decided_at) == ("used", "local:carol", NOW + 5)


def test_the_newest_open_approval_is_found_for_a_call(store):
    store.add(_approval("ap_old", created=NOW))
    store.add(_approval("ap_new", created=NOW + 1))
    assert store.find(CALL).id == "ap_new"


@pytest.mark.parametrize(
    ("record", "expected_id", "named"),
    [("not json", None, "?"), ("not json", "ap_3", "ap_3"), ('{"mac": "x"}', None, "?")],
)
def test_an_unreadable_record_is_altered_and_names_what_it_can(record, expected_id, named):
    from guard.approvals.store import AlteredApproval
    from odoo_mcp.approvals.sealed_stores import unseal

    with pytest.raises(AlteredApproval) as caught:
        unseal(record, KEY, expected_id)
    assert caught.value.id == named


def test_a_record_with_a_wrong_seal_and_no_string_id_names_no_id():
    import json as jsonlib
    from dataclasses import asdict

    from guard.approvals.store import AlteredApproval
    from odoo_mcp.approvals.sealed_stores import unseal

    fields = {**asdict(_approval()), "id": 5, "mac": "0" * 64}
    with pytest.raises(AlteredApproval) as caught:
        unseal(jsonlib.dumps(fields), KEY)
    assert caught.value.id == "?"
