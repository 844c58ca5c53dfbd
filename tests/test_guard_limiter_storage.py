"""The guard's in-process counter store: exact moving window, bounded memory, no timer thread."""

from __future__ import annotations

import threading
import time

from guard.limiter import EventLoopMemoryStorage, Limiter
from guard.policy import Limit
from guard.spec import Caller


def test_the_memory_store_never_starts_a_thread(monkeypatch):
    """`limits`' own MemoryStorage starts an expiry timer thread in its constructor and on every hit;
    the guard's store must start none, whatever it is asked to do."""
    started: list[str] = []
    original = threading.Thread.start

    def recording(thread: threading.Thread) -> None:
        started.append(type(thread).__name__)
        original(thread)

    monkeypatch.setattr(threading.Thread, "start", recording)
    limiter = Limiter("memory://")
    limit = Limit(counter="c", window=60, max=3, scope="session")
    caller = Caller()
    for _ in range(4):
        limiter.acquire([limit], caller)
    reserved = limiter.reserve([Limit(counter="d", window=60, max=3, scope="session")], caller)
    limiter.rollback(reserved)
    limiter.state(limit, caller)
    storage = limiter._storage
    storage.incr("n", 60)
    storage.get("n")
    storage.get_moving_window("c", 3, 60)
    assert started == []


def test_memory_per_counter_is_bounded_by_max_as_windows_pass(monkeypatch):
    """Every hit lands in a new window (the clock moves 2 s per hit on a 1 s window), so each is allowed;
    the store keeps only the `max` newest entries, where `limits`' MemoryStorage keeps them all until
    its timer thread expires them."""
    clock = [1_000_000.0]

    def now() -> float:
        clock[0] += 2
        return clock[0]

    monkeypatch.setattr(time, "time", now)
    storage = EventLoopMemoryStorage("memory://")
    assert all(storage.acquire_entry("k", 5, 1) for _ in range(1000))
    assert len(storage.events["k"]) == 5


def test_expired_counters_are_swept():
    storage = EventLoopMemoryStorage("memory://")
    storage.SWEEP_EVERY = 10
    for session in range(9):
        assert storage.acquire_entry(f"gone-{session}", 3, 1)
    for entries in storage.events.values():
        for entry in entries:
            entry.expiry = time.time() - 1  # as if the window had passed
    assert storage.acquire_entry("fresh", 3, 60)  # the 10th acquire sweeps
    assert set(storage.events) == {"fresh"}


def test_moving_window_semantics_through_the_limiter():
    limiter = Limiter("memory://")
    limit = Limit(counter="c", window=1, max=3, scope="session")
    caller = Caller(grant="g", session="s")
    assert [limiter.acquire([limit], caller) is None for _ in range(4)] == [True, True, True, False]
    other = Caller(grant="g", session="t")
    assert limiter.acquire([limit], other) is None  # another session has its own counter
    state = limiter.state(limit, caller)
    assert (state.remaining, state.max) == (0, 3)
    time.sleep(1.05)
    assert limiter.acquire([limit], caller) is None
