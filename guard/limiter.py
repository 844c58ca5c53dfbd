"""Rate limits on the `limits` library: counters shared by name, all-or-nothing hits.

Strategy: the moving window. It is exact — never more than `max` calls in any span of
`window` seconds, with no double burst at a window boundary as a fixed window allows —
and it costs one timestamp per hit, which is small for policy-sized `max` values. The
sliding-window counter is cheaper but approximate; for a guard, exact wins.

Storage comes from a URI (`memory://` by default, `redis://…` to share counters between
server processes). For `memory://` the guard uses its own store (`EventLoopMemoryStorage`),
built on `limits`' documented extension point for custom storages (`Storage` +
`MovingWindowSupport`), not on `MemoryStorage`'s internals: it expires entries when it
touches them instead of from a background timer thread. `MemoryStorage` restarts that thread
every 10 ms while hits arrive, and on a stdio server — whose transport already runs reader
and writer threads — each restart costs the event loop tens of microseconds (measured with
`bench/bench_guard.py`).

The limiter is called from the event loop only, so the test-then-hit of several limits
runs without interleaving inside one process; across processes that
share a store, each single hit is atomic but a call with several limits may overshoot
another limit by the number of concurrent processes.

Reserve → run → commit or roll back. `reserve` takes every counter of a call (all or
nothing) and returns a `Reservation`; `rollback` gives exactly that call's share back when the
call is refused before its handler could have any effect (the guard decides when: a call that
reached its tool is committed, whatever it answered). `limits` has no "un-hit", so the
storages here add the two operations it lacks, on what `limits` already stores:

- moving window: a hit pushes `amount` timestamps; releasing removes those entries — by
  identity in memory, by value (`LREM` of the exact timestamp we pushed) in Redis, where we
  call `limits`' own acquire script with a timestamp we choose;
- Intercept counters (`state`): a plain counter per calendar-aligned UTC window (the window's
  start is part of the key, so minute/hour/day windows reset at :00 UTC as Intercept's do),
  increased with `limits`' `incr` and given back with a decrement that never resurrects a key
  whose window has passed.

Other `limits` storages (memcached, MongoDB) cannot give a reservation back: refused.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import ConfigurationError
from limits.storage import MovingWindowSupport, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from guard.decisions import StateCounter
from guard.policy import Limit
from guard.refusals import Tag
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
    """The limit (or Intercept counter) that refused a call."""

    limit: Limit | None
    retry_in: int
    counter: StateCounter | None = None

    def render(self) -> str:
        if self.counter is not None:
            counter = self.counter
            text = (
                f"[{Tag.RATE_LIMITED}] {counter.path}: {counter.cap} per {counter.window} (UTC, {counter.scope}), "
                f"retry in {self.retry_in} s"
            )
            return f"{text}: {counter.message}" if counter.message else text
        assert self.limit is not None
        return (
            f"[{Tag.RATE_LIMITED}] {self.limit.counter}: {self.limit.max} per {self.limit.window_label} "
            f"({self.limit.scope}), retry in {self.retry_in} s"
        )


@dataclass
class Reservation:
    """What one call holds between reserve and commit/rollback: enough to give exactly it back."""

    taken: list[tuple[str, str, Any, int]] = field(default_factory=list)
    """(kind, storage key, token, amount): kind "window" (token: what identifies our entries) or
    "counter" (token: the window's end, after which there is nothing to give back)."""
    states: list[dict[str, object]] = field(default_factory=list)
    """What remains of each limit and counter right after this call took its share, read from
    the window the hit just touched (for the audit record: no second pass over the store)."""

    def __bool__(self) -> bool:
        return bool(self.taken)


class IncrementRefused(ValueError):
    """`increment_from` named a value that is not a non-negative number; `rule` is the rule that counts it."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


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


def _owner(scope: str, caller: Caller) -> str:
    """Who a counter counts for: the grant, a session within its grant, or everyone."""
    return {"grant": caller.grant, "session": f"{caller.grant}/{caller.session}", "global": "*"}[scope]


def _identifiers(limit: Limit, caller: Caller) -> tuple[str, ...]:
    """The key of a counter: its name and scope, plus who it counts for (a session within its grant)."""
    return (limit.counter, limit.scope, _owner(limit.scope, caller))


def window_bounds(seconds: int, now: float) -> tuple[int, int]:
    """The calendar-aligned UTC window holding `now`: Unix time has no leap seconds, so minutes,
    hours and days start at multiples of 60, 3600 and 86400."""
    start = int(now // seconds) * seconds
    return start, start + seconds


def counter_key(counter: StateCounter, caller: Caller, window_start: int) -> str:
    return f"{NAMESPACE}/state/{counter.path}/{counter.scope}/{_owner(counter.scope, caller)}/{window_start}"


def increment_of(counter: StateCounter, arguments: Mapping[str, Any]) -> int:
    """What a call adds to `counter`: `increment`, or the (non-negative, rounded up) argument value."""
    if counter.increment_from is None:
        return counter.increment
    value: Any = arguments
    for part in counter.increment_from:
        if not isinstance(value, dict) or part not in value:
            raise IncrementRefused(
                counter.rule, f"args.{'.'.join(counter.increment_from)} is missing (it is counted by {counter.rule})"
            )
        value = value[part]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise IncrementRefused(
            counter.rule,
            f"args.{'.'.join(counter.increment_from)} must be a non-negative number (it is counted by {counter.rule})",
        )
    return math.ceil(value)


class _Entry:
    """One moving-window hit: when it was taken and when it stops counting."""

    __slots__ = ("atime", "expiry")

    def __init__(self, now: float, expiry: float) -> None:
        self.atime = now
        self.expiry = now + expiry


class EventLoopMemoryStorage(Storage, MovingWindowSupport):
    """An in-process store for the moving window and plain counters, built on `limits`' public
    extension point (`Storage` + `MovingWindowSupport`): no timer thread, expiry when touched.

    A key's events are newest first; the moving window only ever looks at the entry at index
    `limit - 1`, so an acquire trims the list to `limit` entries (memory stays bounded by
    `max` per counter), and every `SWEEP_EVERY` writes the keys whose newest entry or counter
    has expired are dropped (sessions that went away). One lock guards the whole store: it is
    uncontended on the event loop, and cheaper than a lock per key.
    """

    STORAGE_SCHEME = None  # built by `open_storage`, not registered for `limits`' own URI lookup
    SWEEP_EVERY = 1024

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.counters: dict[str, int] = {}
        self.expirations: dict[str, float] = {}
        self.events: dict[str, list[_Entry]] = {}
        self._lock = threading.Lock()
        self._writes = 0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return ValueError

    def _wrote(self, now: float) -> None:
        self._writes += 1
        if self._writes % self.SWEEP_EVERY == 0:
            self._sweep(now)

    def _sweep(self, now: float) -> None:
        with self._lock:
            for key, events in list(self.events.items()):
                if not events or events[0].expiry <= now:
                    del self.events[key]
            for key, expires in list(self.expirations.items()):
                if expires <= now:
                    del self.expirations[key]
                    self.counters.pop(key, None)

    # -- moving window (`MovingWindowSupport`)

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        return self.take_entries(key, limit, expiry, amount) is not None

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """(start of the window, entries in it), as `limits`' strategies read it."""
        now = time.time()
        events = self.events.get(key)
        if not events:
            return now, 0
        oldest = bisect.bisect_left(events, -(now - expiry), key=lambda entry: -entry.atime)
        return (events[oldest - 1].atime, oldest) if oldest else (now, 0)

    def take_entries(self, key: str, limit: int, expiry: int, amount: int = 1) -> Any:
        """Acquire `amount` entries and return what identifies them (None if refused)."""
        if amount > limit:
            return None
        now = time.time()
        with self._lock:
            events = self.events.setdefault(key, [])
            if len(events) > limit - amount and events[limit - amount].atime >= now - expiry:
                return None
            token = _Entry(now, expiry)
            events[:0] = [token] * amount
            del events[limit:]
        self._wrote(now)
        return token

    def release_entries(self, key: str, token: Any, amount: int) -> None:
        """Remove the `amount` entries `take_entries` added (they may have been trimmed or expired)."""
        with self._lock:
            events = self.events.get(key)
            if events:
                events[:] = [entry for entry in events if entry is not token]

    # -- counters (`Storage`)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """A counter that starts again once `expiry` seconds have passed since its first increment."""
        now = time.time()
        with self._lock:
            if self.expirations.get(key, 0) <= now:
                self.counters.pop(key, None)
                self.expirations[key] = now + expiry
            value = self.counters[key] = self.counters.get(key, 0) + amount
        self._wrote(now)
        return value

    def give_back(self, key: str, amount: int) -> None:
        """Decrement a counter that still exists (never below 0, never re-creating an expired one)."""
        with self._lock:
            if self.expirations.get(key, 0) > time.time() and key in self.counters:
                self.counters[key] = max(0, self.counters[key] - amount)

    def get(self, key: str) -> int:
        if self.expirations.get(key, 0) <= time.time():
            return 0
        return self.counters.get(key, 0)

    def get_expiry(self, key: str) -> float:
        return self.expirations.get(key, time.time())

    def check(self) -> bool:
        return True

    def clear(self, key: str) -> None:
        with self._lock:
            self.counters.pop(key, None)
            self.expirations.pop(key, None)
            self.events.pop(key, None)

    def reset(self) -> int | None:
        with self._lock:
            count = max(len(self.counters), len(self.events))
            self.counters.clear()
            self.expirations.clear()
            self.events.clear()
        return count


_RELEASE_COUNTER = """
if redis.call('exists', KEYS[1]) == 1 then
    local value = redis.call('decrby', KEYS[1], ARGV[1])
    if value < 0 then redis.call('set', KEYS[1], 0, 'KEEPTTL') end
end
return 0
"""


_ACQUIRE_ENTRIES = """
local limit = tonumber(ARGV[2])
local expiry = tonumber(ARGV[3])
local amount = tonumber(ARGV[4])
if amount > limit then return false end
local entry = redis.call('lindex', KEYS[1], limit - amount)
if entry and tonumber(entry) >= tonumber(ARGV[1]) - expiry then return false end
for i = 1, amount do redis.call('lpush', KEYS[1], ARGV[1]) end
redis.call('ltrim', KEYS[1], 0, limit - 1)
redis.call('expire', KEYS[1], expiry)
return true
"""
"""`limits`' moving-window acquire, except that the entry is pushed as the text the caller sent:
Lua would re-format a number (`%.17g`), and `LREM` could then never find the entry to give back."""


class ReleasableRedisStorage(RedisStorage):
    """`limits`' Redis storage, plus giving back a moving-window hit or a counter increment."""

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_release_counter = self.get_connection().register_script(_RELEASE_COUNTER)
        self.lua_acquire_entries = self.get_connection().register_script(_ACQUIRE_ENTRIES)

    def take_entries(self, key: str, limit: int, expiry: int, amount: int = 1) -> Any:
        """The moving-window acquire of `limits` (the same logic) with a timestamp text we keep for `LREM`."""
        if amount > limit:
            return None
        timestamp = repr(time.time())
        acquired = self.lua_acquire_entries([self.prefixed_key(key)], [timestamp, limit, expiry, amount])
        return timestamp if acquired else None

    def release_entries(self, key: str, token: Any, amount: int) -> None:
        self.get_connection().lrem(self.prefixed_key(key), amount, token)

    def give_back(self, key: str, amount: int) -> None:
        self.lua_release_counter([self.prefixed_key(key)], [amount])


REDIS_SCHEMES = ("redis", "rediss", "redis+unix")


class UnsupportedStorage(ValueError):
    """A `limits` storage that cannot give a reservation back (the server refuses to start on it)."""


def open_storage(uri: str) -> Storage:
    """The storage for `uri`: memory or Redis, each able to give a reservation back."""
    scheme = uri.split("://", 1)[0]
    if scheme == "memory":
        return EventLoopMemoryStorage(uri)
    if scheme in REDIS_SCHEMES:
        try:
            return ReleasableRedisStorage(uri)
        except ConfigurationError as exc:  # the `redis` package (the `[redis]` extra) is not installed
            raise UnsupportedStorage(
                f"ODOO_MCP_LIMITS_STORAGE: {scheme}:// needs the redis client: pip install 'odoo-guard-mcp[redis]' "
                f"({exc})"
            ) from None
    raise UnsupportedStorage(
        f"rate-limit storage {scheme}:// cannot give back the quota of a call that failed; use memory:// or redis://"
    )


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
        """Count a call that runs at once on every limit, or on none: `reserve`, then `commit`
        (the guard's own path, so a caller of this one counts exactly as a guarded call does)."""
        taken = self.reserve(limits, caller)
        if isinstance(taken, Refusal):
            return taken
        self.commit(taken)
        return None

    def reserve(
        self,
        limits: Sequence[Limit],
        caller: Caller,
        spent: Sequence[tuple[StateCounter, Mapping[str, Any] | None]] = (),
    ) -> Reservation | Refusal:
        """Take every limit and counter of a call, or none: on a refusal, what was taken is given back.

        `spent` pairs each Intercept counter with the arguments its `increment_from` reads (a call
        through `odoo_execute` spends a dedicated tool's counters with that tool's arguments).
        Raises `IncrementRefused` (before taking anything) when an `increment_from` value is unusable."""
        counters = [counter for counter, _ in spent]
        amounts = [increment_of(counter, arguments or {}) for counter, arguments in spent] if spent else ()
        reservation = Reservation()
        storage: Any = self._storage
        for limit in limits if len(limits) < 2 else self._unique(list(limits)):
            item = _item(limit.max, limit.seconds)
            key = item.key_for(*_identifiers(limit, caller))
            token = storage.take_entries(key, item.amount, item.get_expiry(), 1)
            if token is None:
                self.rollback(reservation)
                return Refusal(limit, self._retry_in(limit, caller))
            reservation.taken.append(("window", key, token, 1))
            reservation.states.append(self._window_state(limit, key, item))
        now = time.time() if counters else 0.0
        for counter, amount in zip(counters, amounts, strict=True):
            start, end = window_bounds(counter.seconds, now)
            key = counter_key(counter, caller, start)
            value = storage.incr(key, end - int(now) + 1, amount)
            if counter.cap is not None and value > counter.cap:
                storage.give_back(key, amount)
                self.rollback(reservation)
                return Refusal(None, max(1, math.ceil(end - now)), counter)
            reservation.taken.append(("counter", key, end, amount))
            reservation.states.append(self._counter_dict(counter, value, end, now))
        return reservation

    def _window_state(self, limit: Limit, key: str, item: RateLimitItem) -> dict[str, object]:
        """`state(limit)` from the key and item the hit already built (one read of the moving window)."""
        expiry = item.get_expiry()
        window_start, used = self._storage.get_moving_window(key, item.amount, expiry)  # type: ignore[attr-defined]
        remaining = item.amount - used
        return {
            "counter": limit.counter,
            "max": limit.max,
            "window": limit.window_label,
            "scope": limit.scope,
            "remaining": remaining,
            "reset_in": round(max(0.0, window_start + expiry - time.time()), 3) if remaining < limit.max else 0.0,
        }

    def rollback(self, reservation: Reservation) -> None:
        """Give back everything `reservation` took (the call was refused before it could have any effect)."""
        storage: Any = self._storage
        now = time.time()
        for kind, key, token, amount in reversed(reservation.taken):
            if kind == "window":
                storage.release_entries(key, token, amount)
            elif token > now:
                storage.give_back(key, amount)
        reservation.taken.clear()

    def commit(self, reservation: Reservation) -> None:
        """The call reached its tool: what it took stays taken, whatever the tool answered."""
        reservation.taken.clear()

    def read(self, paths: Sequence[str], counters: Sequence[StateCounter], caller: Caller) -> dict[str, int]:
        """The current value of each counter at `paths` (for conditions on `state.…`); 0 if not counted yet."""
        by_path = {counter.path: counter for counter in counters}
        values: dict[str, int] = {}
        now = time.time()
        for path in paths:
            counter = by_path.get(path)
            if counter is None:
                continue
            start, _ = window_bounds(counter.seconds, now)
            values[path] = self._storage.get(counter_key(counter, caller, start))
        return values

    def counter_state(self, counter: StateCounter, caller: Caller) -> dict[str, object]:
        """An Intercept counter as the audit record and `policy_status` show it."""
        now = time.time()
        start, end = window_bounds(counter.seconds, now)
        return self._counter_dict(counter, self._storage.get(counter_key(counter, caller, start)), end, now)

    @staticmethod
    def _counter_dict(counter: StateCounter, used: int, end: float, now: float) -> dict[str, object]:
        return {
            "counter": counter.path,
            "max": counter.cap,
            "window": f"{counter.window} (UTC)",
            "scope": counter.scope,
            "remaining": None if counter.cap is None else max(0, counter.cap - used),
            "reset_in": round(end - now, 3),
        }

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
