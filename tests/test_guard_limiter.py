"""Reserve → run → commit or roll back, on both storages: only calls that ran spend quota."""

from __future__ import annotations

import time

import pytest

from guard.decisions import StateCounter, plan_for
from guard.limiter import IncrementRefused, Limiter, Refusal, Reservation, window_bounds
from guard.policy import Limit, parse_text
from guard.spec import Caller

ALICE = Caller(grant="alice", session="s1")
BOB = Caller(grant="bob", session="s2")


def counter(cap: int | None = 10, *, increment_from=None, window="day", scope="global") -> StateCounter:
    return StateCounter(
        path="state.pay.spent",
        window=window,
        cap=cap,
        increment=1,
        increment_from=increment_from,
        scope=scope,
        rule="tools.pay.rules[0]",
        message="Daily budget reached",
    )


@pytest.fixture(params=["memory", "redis"])
def limiter(request) -> Limiter:
    if request.param == "memory":
        return Limiter("memory://")
    return Limiter(request.getfixturevalue("redis_url"))


def test_moving_window_rollback_gives_back_exactly_the_call(limiter):
    limit = Limit(counter="links", window="minute", max=2, scope="grant")
    first = limiter.reserve([limit], ALICE)
    assert isinstance(first, Reservation)
    limiter.rollback(first)  # the handler failed
    kept = [limiter.reserve([limit], ALICE) for _ in range(2)]
    assert all(isinstance(r, Reservation) for r in kept)
    for reservation in kept:
        limiter.commit(reservation)
    refused = limiter.reserve([limit], ALICE)
    assert isinstance(refused, Refusal)
    assert refused.render().startswith("[RATE LIMITED] links: 2 per minute (grant), retry in ")
    assert isinstance(limiter.reserve([limit], BOB), Reservation)  # per grant


def test_all_or_nothing_gives_back_what_was_taken_before_the_refusal(limiter):
    roomy = Limit(counter="roomy", window="hour", max=5, scope="session")
    tight = Limit(counter="tight", window="hour", max=1, scope="session")
    assert isinstance(limiter.reserve([tight], ALICE), Reservation)
    assert isinstance(limiter.reserve([roomy, tight], ALICE), Refusal)
    assert limiter.state(roomy, ALICE).remaining == 5
    spent = counter(cap=3)
    assert isinstance(limiter.reserve([roomy], ALICE, [(spent, {}), (counter(cap=0), {})]), Refusal)
    assert limiter.state(roomy, ALICE).remaining == 5
    assert limiter.read(["state.pay.spent"], [spent], ALICE) == {"state.pay.spent": 0}


def test_counter_with_increment_from_is_a_budget(limiter):
    budget = counter(cap=100, increment_from=("amount",))
    first = limiter.reserve([], ALICE, [(budget, {"amount": 60})])
    assert isinstance(first, Reservation)
    refused = limiter.reserve([], ALICE, [(budget, {"amount": 41})])
    assert isinstance(refused, Refusal)
    assert refused.render().startswith("[RATE LIMITED] state.pay.spent: 100 per day (UTC, global), retry in ")
    assert refused.render().endswith(": Daily budget reached")
    second = limiter.reserve([], ALICE, [(budget, {"amount": 39.5})])  # rounded up: 40
    assert isinstance(second, Reservation)
    assert limiter.read(["state.pay.spent"], [budget], ALICE)["state.pay.spent"] == 100
    limiter.rollback(second)
    assert limiter.read(["state.pay.spent"], [budget], BOB)["state.pay.spent"] == 60  # global: everyone's
    assert limiter.counter_state(budget, ALICE)["remaining"] == 40


@pytest.mark.parametrize("amount", [-1, "5", None, True, float("nan"), float("inf")])
def test_increment_from_needs_a_non_negative_number(amount):
    limiter = Limiter()
    with pytest.raises(IncrementRefused, match=r"args.amount must be a non-negative number"):
        limiter.reserve([], ALICE, [(counter(increment_from=("amount",)), {"amount": amount})])


def test_increment_from_missing_is_refused_and_takes_nothing():
    limiter = Limiter()
    limit = Limit(counter="c", window="minute", max=1, scope="grant")
    with pytest.raises(IncrementRefused, match=r"args.amount is missing"):
        limiter.reserve([limit], ALICE, [(counter(increment_from=("amount",)), {})])
    assert limiter.state(limit, ALICE).remaining == 1


def test_uncapped_counter_counts_and_never_refuses():
    limiter = Limiter()
    free = counter(cap=None)
    for _ in range(5):
        assert isinstance(limiter.reserve([], ALICE, [(free, {})]), Reservation)
    assert limiter.read(["state.pay.spent"], [free], ALICE)["state.pay.spent"] == 5


@pytest.mark.parametrize(
    ("window", "now", "start", "end"),
    [
        ("minute", 1_795_737_203.5, 1_795_737_180, 1_795_737_240),  # 10:33:23.5 → 10:33:00 .. 10:34:00
        ("hour", 1_795_737_203.5, 1_795_734_000, 1_795_737_600),
        ("day", 1_795_737_203.5, 1_795_651_200, 1_795_737_600),  # midnight UTC
    ],
)
def test_intercept_windows_are_calendar_aligned_in_utc(window, now, start, end):
    seconds = {"minute": 60, "hour": 3600, "day": 86400}[window]
    assert window_bounds(seconds, now) == (start, end)
    assert time.gmtime(start)[3:6] == {"minute": (*time.gmtime(now)[3:5], 0), "hour": (time.gmtime(now)[3], 0, 0),
                                       "day": (0, 0, 0)}[window]  # fmt: skip


def test_a_counter_resets_when_its_window_turns(monkeypatch):
    limiter = Limiter()
    capped = counter(cap=1, window="minute")
    clock = [1_795_737_239.0]
    monkeypatch.setattr("guard.limiter.time.time", lambda: clock[0])
    assert isinstance(limiter.reserve([], ALICE, [(capped, {})]), Reservation)
    assert isinstance(limiter.reserve([], ALICE, [(capped, {})]), Refusal)
    clock[0] = 1_795_737_240.0  # :00 of the next minute
    assert isinstance(limiter.reserve([], ALICE, [(capped, {})]), Reservation)


def test_rollback_after_the_window_turned_gives_nothing_to_the_new_window(monkeypatch):
    limiter = Limiter()
    capped = counter(cap=1, window="minute")
    clock = [1_795_737_239.0]
    monkeypatch.setattr("guard.limiter.time.time", lambda: clock[0])
    old = limiter.reserve([], ALICE, [(capped, {})])
    clock[0] = 1_795_737_241.0
    taken = limiter.reserve([], ALICE, [(capped, {})])
    limiter.rollback(old)  # the old window is gone: nothing in the new one is given back
    assert isinstance(taken, Reservation)
    assert isinstance(limiter.reserve([], ALICE, [(capped, {})]), Refusal)


def test_plan_counters_from_a_yaml_policy_spend_through_the_limiter():
    policy = parse_text(
        "version: '1'\ntools:\n  pay:\n    rules:\n      - name: twice a day\n        rate_limit: 2/day\n"
    )
    plan = plan_for(policy, "pay")
    limiter = Limiter()
    results = [limiter.reserve(plan.limits, ALICE, [(c, {}) for c in plan.counters]) for _ in range(3)]
    assert [type(r).__name__ for r in results] == ["Reservation", "Reservation", "Refusal"]
    assert results[2].render().endswith(": Rate limit of 2 per day reached. Try again later.")


def test_storages_that_cannot_give_back_are_refused():
    with pytest.raises(ValueError, match=r"memcached:// cannot give back the quota"):
        Limiter("memcached://127.0.0.1:11211")
