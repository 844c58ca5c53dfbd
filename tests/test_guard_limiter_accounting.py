"""guard/limiter.py's accounting as the caller and the audit see it: who shares a counter, what
remains, when a slot frees, what an increment adds, and the words of a refusal.

In process on `Limiter("memory://")` (and Redis where the store's own code is under test), with
the clock pinned where a figure depends on it. Rows found by `make mutants`.
"""

from __future__ import annotations

import math

import pytest

from guard.decisions import StateCounter
from guard.limiter import (
    EventLoopMemoryStorage,
    IncrementRefused,
    Limiter,
    Refusal,
    Reservation,
    UnsupportedStorage,
    counter_key,
    increment_of,
    open_storage,
)
from guard.policy import Limit
from guard.spec import Caller

NOW = 1_795_737_203.5  # 10:33:23.5 UTC
ALICE_1, ALICE_2, BOB = Caller("alice", "s1"), Caller("alice", "s2"), Caller("bob", "s1")


@pytest.fixture
def clock(monkeypatch):
    now = [NOW]
    monkeypatch.setattr("guard.limiter.time.time", lambda: now[0])
    return now


def state(cap=3, *, window="minute", scope="global", increment=1, increment_from=None, message=None) -> StateCounter:
    return StateCounter("state.t.n", window, cap, increment, increment_from, scope, "tools.t.rules[0]", message)


# Who shares a counter (break: `_owner` maps a scope to the wrong key).
SHARING = [
    ("grant: the sessions of one grant share", "grant", ALICE_1, ALICE_2, False),
    ("grant: two grants do not", "grant", ALICE_1, BOB, True),
    ("session: two sessions do not", "session", ALICE_1, ALICE_2, True),
    ("session: same session name, other grant", "session", ALICE_1, BOB, True),
    ("global: everyone shares", "global", ALICE_1, BOB, False),
]


@pytest.mark.parametrize(("case", "scope", "first", "second", "separate"), SHARING, ids=[r[0] for r in SHARING])
def test_who_shares_a_window_limit(case, scope, first, second, separate):
    limiter = Limiter()
    limit = Limit(counter="c", window="hour", max=1, scope=scope)
    assert isinstance(limiter.reserve([limit], first), Reservation)
    assert isinstance(limiter.reserve([limit], second), Reservation if separate else Refusal)


@pytest.mark.parametrize(("case", "scope", "first", "second", "separate"), SHARING, ids=[r[0] for r in SHARING])
def test_who_shares_an_intercept_counter(case, scope, first, second, separate, clock):
    limiter = Limiter()
    capped = state(cap=1, scope=scope)
    assert isinstance(limiter.reserve([], first, [(capped, {})]), Reservation)
    assert isinstance(limiter.reserve([], second, [(capped, {})]), Reservation if separate else Refusal)


def test_the_audit_figures_right_after_a_hit(clock):
    limiter = Limiter()
    limit = Limit(counter="c", window=60, max=3, scope="grant")
    taken = limiter.reserve([limit], ALICE_1, [(state(cap=5, message="m"), {})])
    assert taken.states == [
        {"counter": "c", "max": 3, "window": "60 s", "scope": "grant", "remaining": 2, "reset_in": 60.0},
        {
            "counter": "state.t.n",
            "max": 5,
            "window": "minute (UTC)",
            "scope": "global",
            "remaining": 4,
            "reset_in": 36.5,
        },
    ]
    clock[0] += 10
    assert limiter.states([limit], ALICE_1) == [
        {"counter": "c", "max": 3, "window": "60 s", "scope": "grant", "remaining": 2, "reset_in": 50.0}
    ]
    assert limiter.counter_state(state(cap=5), ALICE_1) == {
        "counter": "state.t.n",
        "max": 5,
        "window": "minute (UTC)",
        "scope": "global",
        "remaining": 4,
        "reset_in": 26.5,
    }
    assert limiter.counter_state(state(cap=None), ALICE_1)["remaining"] is None
    untouched = limiter.state(Limit(counter="d", window="minute", max=2), ALICE_1)
    assert (untouched.remaining, untouched.reset_in) == (2, 0.0)


def test_remaining_never_goes_below_zero(clock):
    limiter = Limiter()
    uncapped = state(cap=None)
    limiter.reserve([], ALICE_1, [(uncapped, {})])
    limiter.reserve([], ALICE_1, [(uncapped, {})])
    assert limiter.counter_state(state(cap=1), ALICE_1)["remaining"] == 0


def test_read_gives_each_counted_path_its_value(clock):
    limiter = Limiter()
    counted = state(cap=None, increment=4)
    limiter.reserve([], ALICE_1, [(counted, {})])
    assert limiter.read(["state.t.n", "state.t.other"], [counted], ALICE_1) == {"state.t.n": 4}
    assert limiter.read(["state.t.n"], [counted], BOB) == {"state.t.n": 4}  # global scope
    assert limiter.read(["state.t.n"], [state(scope="grant")], BOB) == {"state.t.n": 0}


def test_a_refusal_says_when_to_retry(clock):
    limiter = Limiter()
    limit = Limit(counter="c", window="minute", max=1)
    limiter.reserve([limit], ALICE_1)
    clock[0] += 20
    refused = limiter.reserve([limit], ALICE_1)
    assert refused.retry_in == 40 and refused.limit == limit
    assert refused.render() == "[RATE LIMITED] c: 1 per minute (global), retry in 40 s"
    capped = state(cap=1, message="Slow down")
    limiter.reserve([], ALICE_1, [(capped, {})])
    counted = limiter.reserve([], ALICE_1, [(capped, {})])
    assert counted.retry_in == math.ceil(60 - (NOW + 20) % 60) == 17
    assert counted.render() == "[RATE LIMITED] state.t.n: 1 per minute (UTC, global), retry in 17 s: Slow down"
    assert (
        Refusal(None, 5, state(cap=1)).render() == "[RATE LIMITED] state.t.n: 1 per minute (UTC, global), retry in 5 s"
    )
    assert limiter.check([limit], ALICE_1).retry_in == 40


def test_check_counts_nothing_and_acquire_counts_once():
    limiter = Limiter()
    limit = Limit(counter="c", window="hour", max=2)
    assert limiter.check([limit], ALICE_1) is None
    assert limiter.check([limit], ALICE_1) is None
    assert limiter.acquire([limit], ALICE_1) is None
    assert limiter.acquire([limit], ALICE_1) is None
    refused = limiter.acquire([limit], ALICE_1)
    assert isinstance(refused, Refusal) and refused.limit == limit
    assert isinstance(limiter.check([limit], ALICE_1), Refusal)
    limiter.reset()
    assert limiter.check([limit], ALICE_1) is None


def test_a_reservation_is_true_while_it_holds_something():
    limiter = Limiter()
    assert not Reservation()
    taken = limiter.reserve([Limit(counter="c", window="hour", max=2)], ALICE_1)
    assert taken
    limiter.commit(taken)
    assert not taken and limiter.state(Limit(counter="c", window="hour", max=2), ALICE_1).remaining == 1


INCREMENTS = [
    ("fixed increment", state(increment=3), {}, 3),
    ("a whole number", state(increment_from=("amount",)), {"amount": 7}, 7),
    ("a fraction rounds up", state(increment_from=("amount",)), {"amount": 2.1}, 3),
    ("zero", state(increment_from=("amount",)), {"amount": 0}, 0),
    ("nested", state(increment_from=("values", "qty")), {"values": {"qty": 4}}, 4),
]


@pytest.mark.parametrize(("case", "counter", "arguments", "amount"), INCREMENTS, ids=[r[0] for r in INCREMENTS])
def test_what_a_call_adds(case, counter, arguments, amount):
    assert increment_of(counter, arguments) == amount


REFUSED_INCREMENTS = [
    ("missing", {}, "args.values.qty is missing (it is counted by tools.t.rules[0])"),
    ("not an object on the way", {"values": 3}, "args.values.qty is missing (it is counted by tools.t.rules[0])"),
    (
        "negative",
        {"values": {"qty": -1}},
        "args.values.qty must be a non-negative number (it is counted by tools.t.rules[0])",
    ),
    (
        "true",
        {"values": {"qty": True}},
        "args.values.qty must be a non-negative number (it is counted by tools.t.rules[0])",
    ),
    (
        "text",
        {"values": {"qty": "3"}},
        "args.values.qty must be a non-negative number (it is counted by tools.t.rules[0])",
    ),
    (
        "infinite",
        {"values": {"qty": math.inf}},
        "args.values.qty must be a non-negative number (it is counted by tools.t.rules[0])",
    ),
]


@pytest.mark.parametrize(("case", "arguments", "message"), REFUSED_INCREMENTS, ids=[r[0] for r in REFUSED_INCREMENTS])
def test_an_unusable_increment_is_refused_in_words(case, arguments, message):
    with pytest.raises(IncrementRefused) as refused:
        increment_of(state(increment_from=("values", "qty")), arguments)
    assert str(refused.value) == message and refused.value.rule == "tools.t.rules[0]"


def test_counter_keys_name_the_window_scope_and_owner():
    assert counter_key(state(scope="session"), ALICE_1, 60) == "odoo-guard/state/state.t.n/session/alice/s1/60"
    assert counter_key(state(scope="grant"), ALICE_1, 60) == "odoo-guard/state/state.t.n/grant/alice/60"
    assert counter_key(state(), ALICE_1, 120) == "odoo-guard/state/state.t.n/global/*/120"


def test_open_storage_by_scheme():
    assert isinstance(open_storage("memory://"), EventLoopMemoryStorage)
    with pytest.raises(UnsupportedStorage) as refused:
        open_storage("mongodb://localhost")
    assert str(refused.value) == (
        "rate-limit storage mongodb:// cannot give back the quota of a call that failed; use memory:// or redis://"
    )


def test_the_memory_store_gives_back_only_what_a_call_took(clock):
    store = EventLoopMemoryStorage()
    assert store.take_entries("k", 2, 60, 3) is None  # more than the limit at once: refused, nothing taken
    mine = store.take_entries("k", 3, 60, 2)
    theirs = store.take_entries("k", 3, 60, 1)
    assert store.take_entries("k", 3, 60, 1) is None  # full
    store.release_entries("k", mine, 2)
    assert [entry is theirs for entry in store.events["k"]] == [True]
    assert store.take_entries("k", 3, 60, 2) is not None
    assert store.incr("c", 60, 5) == 5
    store.give_back("c", 7)
    assert store.get("c") == 0  # never below zero
    assert store.incr("c", 60, 2) == 2
    clock[0] += 61
    store.give_back("c", 1)  # expired: not resurrected
    assert store.incr("c", 60, 1) == 1  # a new window starts from nothing


def test_the_memory_store_sweeps_keys_whose_window_passed():
    store = EventLoopMemoryStorage()
    store.SWEEP_EVERY = 4
    store.take_entries("old", 5, 0, 1)  # expires at once
    store.incr("old_counter", 0, 1)
    store.take_entries("new", 5, 60, 1)
    assert "old" in store.events and "old_counter" in store.counters
    store.incr("new_counter", 60, 1)  # the fourth touch sweeps
    assert "old" not in store.events and "old_counter" not in store.counters
    assert "new" in store.events and store.counters["new_counter"] == 1
