"""The policies a guard serves: a default one, and one per grant that has its own.

A team's server serves several grants (bearer tokens); each may carry its own policy, the
others use the server's default. Policies are swapped whole (live reload): `swap` replaces
one reference, so a call sees either the old policy or the new one, never a mix.

A call *pins* its grant's policy when it starts (`pinned`): every later step of the same call
(the argument conditions, the limits, `policy_status` inside the handler) reads the pinned
policy through `current()`, even if a reload lands halfway through. The pin is a context
variable, so concurrent calls on one event loop each see their own.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator, Mapping

from guard.policy import Policy

_PINNED: contextvars.ContextVar[tuple[str, Policy] | None] = contextvars.ContextVar("odoo_guard_policy", default=None)


class PolicySet:
    """`default` for every grant not in `by_grant`; `generation` counts swaps (for list_changed)."""

    def __init__(self, default: Policy, by_grant: Mapping[str, Policy] | None = None) -> None:
        self._default = default
        self._by_grant: dict[str, Policy] = dict(by_grant or {})
        self._lock = threading.Lock()
        self.generation = 0
        self._listeners: list[Callable[[], None]] = []

    def on_swap(self, listener: Callable[[], None]) -> None:
        """Call `listener()` after every swap (from the thread that swapped)."""
        self._listeners.append(listener)

    @property
    def default(self) -> Policy:
        return self._default

    def grants(self) -> list[str]:
        """Grants that carry their own policy."""
        return sorted(self._by_grant)

    def for_grant(self, grant: str | None) -> Policy:
        """The policy in force for `grant` right now (its own, else the default)."""
        if grant is None:
            return self._default
        return self._by_grant.get(grant, self._default)

    def all(self) -> list[Policy]:
        return [self._default, *self._by_grant.values()]

    def swap(self, grant: str | None, policy: Policy) -> Policy:
        """Put `policy` in force for `grant` (None: the default) from the next call on; returns the old one."""
        with self._lock:
            if grant is None:
                old, self._default = self._default, policy
            else:
                old = self._by_grant.get(grant, self._default)
                self._by_grant[grant] = policy
            self.generation += 1
        for listener in self._listeners:
            listener()
        return old

    def current(self) -> Policy:
        """The policy pinned by the running call, else the default (start-up, tests, stdio)."""
        pinned = _PINNED.get()
        return pinned[1] if pinned is not None else self._default

    @contextlib.contextmanager
    def pinned(self, grant: str | None) -> Iterator[Policy]:
        """Pin `grant`'s policy for the code inside (kept if the same grant is already pinned)."""
        already = _PINNED.get()
        if already is not None and already[0] == (grant or ""):
            yield already[1]
            return
        policy = self.for_grant(grant)
        token = _PINNED.set((grant or "", policy))
        try:
            yield policy
        finally:
            _PINNED.reset(token)
