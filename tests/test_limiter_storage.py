"""The guard's in-process counter store: exact moving window, bounded memory, no timer thread."""

from __future__ import annotations

import threading
import time

from guard.limiter import EventLoopMemoryStorage, Limiter
from guard.policy import Limit
from guard.spec import Caller


def test_no_expiry_thread_is_left_running():
    before = threading.active_count()
    storage = EventLoopMemoryStorage("memory://")
    for _ in range(50):
        storage.acquire_entry("k", 100, 60)
    time.sleep(0.05)
    assert threading.active_count() <= before


def test_memory_per_counter_is_bounded_by_max():
    storage = EventLoopMemoryStorage("memory://")
    for _ in range(1000):
        storage.acquire_entry("k", 5, 1)
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
