"""Rate limits on the `limits` library: counters shared by name, all-or-nothing hits.

Strategy: the moving window. It is exact — never more than `max` calls in any span of
`window` seconds, with no double burst at a window boundary as a fixed window allows —
and it costs one timestamp per hit, which is small for policy-sized `max` values. The
sliding-window counter is cheaper but approximate; for a guard, exact wins.

Storage comes from a URI (`memory://` by default, `redis://…` to share counters between
server processes). For `memory://` the guard uses `limits`' own memory storage with one
change (`EventLoopMemoryStorage`): it expires entries when it touches them instead of from a
background timer thread. That thread is restarted every 10 ms while hits arrive, and on a
stdio server — whose transport already runs reader and writer threads — each restart costs
the event loop tens of microseconds (measured with `bench/bench_guard.py`).

The limiter is called from the event loop only, so the test-then-hit of several limits
runs without interleaving inside one process; across processes that
share a store, each single hit is atomic but a call with several limits may overshoot
another limit by the number of concurrent processes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.storage.memory import Entry
from limits.strategies import MovingWindowRateLimiter

from guard.policy import Limit
from guard.spec import Caller

NAMESPACE = "odoo-guard"


@dataclass(frozen=True)
class CounterState:
    """A counter as the caller sees it: what remains and when the window frees a slot."""

    counter: str
    max: int
    window: str
    scope: str
    remaining: int
    reset_in: float


@dataclass(frozen=True)
class Refusal:
    """The limit that refused a call."""

    limit: Limit
    retry_in: int

    def render(self) -> str:
        return (
            f"[RATE LIMITED] {self.limit.counter}: {self.limit.max} per {self.limit.window_label} "
            f"({self.limit.scope}), retry in {self.retry_in} s"
        )


class _Item(RateLimitItemPerSecond):
    """`max` per `seconds`, remembering the storage keys it built (the same few, on every call)."""

    __slots__ = ("_keys",)

    def __init__(self, amount: int, multiples: int) -> None:
        super().__init__(amount, multiples, namespace=NAMESPACE)
        self._keys: dict[tuple[str, ...], str] = {}

    def key_for(self, *identifiers: bytes | str | int | float) -> str:
        key = self._keys.get(identifiers)  # type: ignore[arg-type]
        if key is None:
            key = self._keys[identifiers] = super().key_for(*identifiers)  # type: ignore[index]
        return key


@lru_cache(maxsize=1024)
def _item(max_calls: int, seconds: int) -> RateLimitItem:
    return _Item(max_calls, seconds)


def _identifiers(limit: Limit, caller: Caller) -> tuple[str, ...]:
    """The key of a counter: its name and scope, plus who it counts for (a session within its grant)."""
    owner = {"grant": caller.grant, "session": f"{caller.grant}/{caller.session}", "global": "*"}[limit.scope]
    return (limit.counter, limit.scope, owner)


class EventLoopMemoryStorage(MemoryStorage):
    """`limits`' memory storage for the moving window, without its expiry timer thread.

    A key's events are newest first; the moving window only ever looks at the entry at index
    `limit - 1`, so an acquire trims the list to `limit` entries (memory stays bounded by
    `max` per counter), and every `SWEEP_EVERY` acquires the keys whose newest entry has
    expired are dropped (sessions that went away).
    """

    SWEEP_EVERY = 1024

    def __init__(self, uri: str | None = None, **options: str) -> None:
        super().__init__(uri, **options)
        self.timer.cancel()
        self._acquires = 0

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        with self.locks[key]:
            events = self.events.setdefault(key, [])
            if len(events) > limit - amount and events[limit - amount].atime >= now - expiry:
                return False
            events[:0] = [Entry(expiry)] * amount
            del events[limit:]
        self._acquires += 1
        if self._acquires % self.SWEEP_EVERY == 0:
            self._sweep(now)
        return True

    def _sweep(self, now: float) -> None:
        for key in list(self.events):
            events = self.events.get(key)
            if not events or events[0].expiry <= now:
                self.events.pop(key, None)
                self.locks.pop(key, None)


def open_storage(uri: str) -> Storage:
    """The storage for `uri`: ours for `memory://`, the library's for everything else."""
    if uri.split("://", 1)[0] == "memory":
        return EventLoopMemoryStorage(uri)
    return storage_from_string(uri)


class Limiter:
    """Counts calls against policy limits in a `limits` storage chosen by URI."""

    def __init__(self, storage_uri: str = "memory://") -> None:
        self.storage_uri = storage_uri
        self._storage = open_storage(storage_uri)
        self._strategy = MovingWindowRateLimiter(self._storage)

    def _unique(self, limits: list[Limit]) -> list[Limit]:
        """A counter named twice for one call (all_tools and the tool) is hit once."""
        seen: dict[str, Limit] = {}
        for limit in limits:
            seen.setdefault(limit.counter, limit)
        return list(seen.values())

    def check(self, limits: list[Limit], caller: Caller) -> Refusal | None:
        """The first limit that would refuse a call now, without counting it."""
        for limit in self._unique(limits):
            item = _item(limit.max, limit.seconds)
            if not self._strategy.test(item, *_identifiers(limit, caller)):
                return Refusal(limit, self._retry_in(limit, caller))
        return None

    def acquire(self, limits: list[Limit], caller: Caller) -> Refusal | None:
        """Count the call on every limit, or on none if any would refuse it."""
        unique = self._unique(limits)
        if len(unique) > 1:  # a single hit is all-or-nothing by itself (and atomic in the store)
            refusal = self.check(unique, caller)
            if refusal is not None:
                return refusal
        for limit in unique:
            item = _item(limit.max, limit.seconds)
            if not self._strategy.hit(item, *_identifiers(limit, caller)):
                return Refusal(limit, self._retry_in(limit, caller))
        return None

    def _retry_in(self, limit: Limit, caller: Caller) -> int:
        stats = self._strategy.get_window_stats(_item(limit.max, limit.seconds), *_identifiers(limit, caller))
        return max(1, math.ceil(stats.reset_time - time.time()))

    def state(self, limit: Limit, caller: Caller) -> CounterState:
        """What remains of `limit` for `caller` (for `policy_status` and the audit log)."""
        stats = self._strategy.get_window_stats(_item(limit.max, limit.seconds), *_identifiers(limit, caller))
        return CounterState(
            counter=limit.counter,
            max=limit.max,
            window=limit.window_label,
            scope=limit.scope,
            remaining=stats.remaining,
            reset_in=round(max(0.0, stats.reset_time - time.time()), 3) if stats.remaining < limit.max else 0.0,
        )

    def states(self, limits: list[Limit], caller: Caller) -> list[dict[str, object]]:
        """Each distinct counter of a call with what remains, as the audit record lists them."""
        return [vars(self.state(limit, caller)) for limit in self._unique(limits)]

    def reset(self) -> None:
        self._storage.reset()
