"""guard/limiter.py at its edges: the instant a window turns, a slot that frees in under a second,
figures with more decimals than the audit keeps, and the memory store as `limits` itself drives it.

In process, with the clock pinned (`guard.limiter.time.time`) so that an instant can be hit
exactly. Rows found by `make mutants` (each names the break it catches).
"""

from __future__ import annotations

import pytest
from limits.strategies import MovingWindowRateLimiter

from guard.decisions import StateCounter
from guard.limiter import (
    EventLoopMemoryStorage,
    Limiter,
    Refusal,
    Reservation,
    _item,
    open_storage,
    window_bounds,
)
from guard.policy import Limit
from guard.spec import Caller

NOW = 1_795_737_203.123456  # 10:33:23.123456 UTC: more decimals than any figure keeps
ALICE = Caller("alice", "s1")


@pytest.fixture
def clock(monkeypatch):
    now = [NOW]
    monkeypatch.setattr("guard.limiter.time.time", lambda: now[0])
    return now


@pytest.fixture(autouse=True)
def fresh_items():
    """The limiter caches its `limits` items (and the keys each built) for the process: start each
    test without them, so that it sees the items and keys the code builds now."""
    _item.cache_clear()
    yield
    _item.cache_clear()


def counter(cap: int | None = 3) -> StateCounter:
    return StateCounter("state.t.n", "minute", cap, 1, None, "global", "tools.t.rules[0]", None)


def test_window_keys_name_the_counter_scope_owner_and_limit():
    """The store's key for a limit (break: `_Item` built without the namespace or with other figures,
    or `key_for` caching nothing or the wrong key)."""
    limiter = Limiter()
    limiter.reserve([Limit(counter="c", window=60, max=3, scope="session")], ALICE)
    limiter.reserve([Limit(counter="d", window=3600, max=2, scope="grant")], ALICE)
    limiter.reserve([Limit(counter="d", window=3600, max=2, scope="grant")], ALICE)
    assert {key: len(events) for key, events in limiter._storage.events.items()} == {
        "odoo-guard/c/session/alice/s1/3/60/second": 1,
        "odoo-guard/d/grant/alice/2/3600/second": 2,
    }


def test_open_storage_reads_the_scheme_before_the_first_separator():
    """(break: the scheme taken before the last `://`)."""
    assert isinstance(open_storage("memory://a://b"), EventLoopMemoryStorage)


# -- the instant a window turns (break: `<` for `<=` or `>` for `>=` at the boundary)


def test_a_moving_window_slot_frees_only_after_the_whole_window(clock):
    store = EventLoopMemoryStorage()
    assert store.take_entries("k", 1, 60) is not None  # the default amount is one entry
    clock[0] += 60
    assert store.take_entries("k", 1, 60) is None  # exactly one window later: still counted
    clock[0] += 0.001
    assert store.take_entries("k", 1, 60) is not None


def test_a_counter_starts_again_at_the_instant_its_window_ends(clock):
    store = EventLoopMemoryStorage()
    assert store.incr("c", 60) == 1  # the default amount is one
    assert store.incr("c", 60, 2) == 3
    clock[0] += 60
    assert store.get("c") == 0
    assert store.incr("c", 60) == 1


def test_the_sweep_drops_keys_at_the_instant_they_expire(clock):
    store = EventLoopMemoryStorage()
    store.SWEEP_EVERY = 3
    store.take_entries("old", 5, 60, 1)
    store.incr("old_counter", 60, 1)
    clock[0] += 60
    store.take_entries("new", 5, 60, 1)  # the third write sweeps, exactly when the first two expire
    assert sorted(store.events) == ["new"] and store.counters == {}


def test_an_expired_hit_is_not_in_the_window(clock):
    """(break: the bisect looks for the wrong sign, or an empty window reads as one entry)."""
    limiter = Limiter()
    limit = Limit(counter="c", window=60, max=3)
    limiter.reserve([limit], ALICE)
    clock[0] += 61
    state = limiter.state(limit, ALICE)
    assert (state.remaining, state.reset_in) == (3, 0.0)
    assert isinstance(limiter.reserve([limit], ALICE), Reservation)
    assert limiter.state(limit, ALICE).remaining == 2


def test_reset_in_counts_from_the_oldest_hit_in_the_window(clock):
    """(break: the window's start read from the second-oldest entry)."""
    limiter = Limiter()
    limit = Limit(counter="c", window=60, max=3)
    limiter.reserve([limit], ALICE)
    clock[0] += 10
    limiter.reserve([limit], ALICE)
    clock[0] += 10
    taken = limiter.reserve([limit], Caller("alice", "s1"))
    assert isinstance(taken, Refusal) is False
    assert limiter.state(limit, ALICE).reset_in == 40.0


# -- figures with decimals, and a slot that frees in under a second


def test_reset_in_keeps_three_decimals_and_may_be_under_a_second(clock):
    """Right after a hit and in `policy_status` (break: another rounding, or a floor of one second)."""
    limiter = Limiter()
    limit = Limit(counter="c", window=60, max=3)
    limiter.reserve([limit], ALICE)
    clock[0] += 1.2345678
    assert limiter.state(limit, ALICE).reset_in == 58.765
    assert limiter.reserve([limit], ALICE).states[0]["reset_in"] == 58.765
    clock[0] = NOW + 59.5
    assert limiter.state(limit, ALICE).reset_in == 0.5
    assert limiter.reserve([limit], ALICE).states[0]["reset_in"] == 0.5
    clock[0] = NOW
    assert limiter.counter_state(counter(), ALICE)["reset_in"] == 36.877


def test_a_refusal_a_moment_before_a_slot_frees_says_one_second(clock):
    """(break: a floor of two seconds, on a limit or on an Intercept counter)."""
    limiter = Limiter()
    limit = Limit(counter="c", window=60, max=1)
    limiter.reserve([limit], ALICE)
    clock[0] += 59.5
    assert limiter.reserve([limit], ALICE).retry_in == 1
    capped = counter(cap=1)
    _start, end = window_bounds(60, clock[0])
    clock[0] = end - 0.25
    limiter.reserve([], ALICE, [(capped, {})])
    assert limiter.reserve([], ALICE, [(capped, {})]).retry_in == 1


def test_a_counter_key_lives_one_second_past_its_window(clock):
    """(break: the key's expiry computed from another sum)."""
    limiter = Limiter()
    limiter.reserve([], ALICE, [(counter(), {})])
    _start, end = window_bounds(60, NOW)
    [key] = limiter._storage.counters
    assert limiter._storage.get_expiry(key) == pytest.approx(end + 1 + (NOW - int(NOW)), abs=1e-6)


def test_read_goes_on_past_a_path_it_does_not_count(clock):
    """(break: the first unknown path stops the reading)."""
    limiter = Limiter()
    counted = counter(cap=None)
    limiter.reserve([], ALICE, [(counted, {})])
    assert limiter.read(["state.t.unknown", "state.t.n"], [counted], ALICE) == {"state.t.n": 1}


# -- the memory store through its `Storage` contract (what `limits`' own strategies call)


def test_limits_own_strategy_counts_on_the_memory_store(clock):
    """`MovingWindowRateLimiter.hit` goes through `acquire_entry` (break: the expiry or the cost dropped)."""
    store = EventLoopMemoryStorage()
    strategy = MovingWindowRateLimiter(store)
    item = _item(3, 60)
    assert store.acquire_entry("direct", 1, 60)  # the default amount is one
    assert strategy.hit(item, "k", cost=2)
    assert not strategy.hit(item, "k", cost=2)
    clock[0] += 30
    assert strategy.hit(item, "k")
    assert not strategy.hit(item, "k")  # the first two still count: they expire after 60 s, not 1


def test_giving_back_a_counter_the_store_no_longer_has_does_nothing(clock):
    """A rollback after the store was reset (break: a missing key's expiry read as None and compared)."""
    store = EventLoopMemoryStorage()
    store.give_back("never", 1)
    assert store.get("never") == 0
    limiter = Limiter()
    taken = limiter.reserve([], ALICE, [(counter(), {})])
    limiter.reset()
    limiter.rollback(taken)
    assert limiter.counter_state(counter(), ALICE)["remaining"] == 3


def test_reset_says_how_many_keys_it_cleared():
    store = EventLoopMemoryStorage()
    store.take_entries("a", 2, 60)
    store.incr("b", 60)
    store.incr("c", 60)
    assert store.reset() == 2
    assert store.reset() == 0


def test_a_rollback_in_redis_gives_back_one_hit_when_two_share_a_timestamp(clock, redis_url):
    """Two calls in the same instant push the same timestamp text; a rollback removes exactly one
    (break: the reservation records two entries, and `LREM` removes both)."""
    limiter = Limiter(redis_url)
    limit = Limit(counter="c", window=60, max=3)
    first = limiter.reserve([limit], ALICE)
    limiter.reserve([limit], ALICE)
    limiter.rollback(first)
    assert limiter.state(limit, ALICE).remaining == 2
    assert limiter._storage.take_entries("direct", 1, 60) is not None  # the default amount is one entry
