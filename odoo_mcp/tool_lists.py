"""`tools/list` per grant, and `notifications/tools/list_changed` when a reload changes it.

Every tool is registered with the SDK once; what a client is *shown* depends on its grant's
policy (`hide`), so the list is filtered per request. Each session's last list is remembered
(with the policy generation it was computed under); when a policy reload changes what that
session would now be shown, the session is sent `notifications/tools/list_changed` at its next
request, before that request is answered — the server learns of a session only through its
requests, and a notification on a stream nobody reads would be lost anyway.
"""

from __future__ import annotations

import contextlib
import sys
import weakref
from dataclasses import dataclass
from typing import Any

GRANT_METHODS = frozenset({"tools/call", "tools/list", "ping", "resources/list", "prompts/list"})
"""Requests that carry a caller (and get its grant's policy pinned); the handshake does not."""


@dataclass
class _Seen:
    generation: int
    names: tuple[str, ...]


class ListedTools:
    """Filters `tools/list` by the pinned policy and tells sessions when their list changed."""

    def __init__(self, guard: Any) -> None:
        self.guard = guard
        self._seen: weakref.WeakKeyDictionary[Any, _Seen] = weakref.WeakKeyDictionary()

    def names(self) -> tuple[str, ...]:
        """What the pinned policy shows."""
        return tuple(tool.name for tool in self.guard.visible())

    def filter(self, result: Any, session: Any, grant: str) -> Any:
        """The wire result of `tools/list` (a dict) without what the pinned policy hides."""
        if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
            return result
        shown = [tool for tool in result["tools"] if self.guard.exposes(str(tool.get("name")))]
        self._remember(session, tuple(sorted(str(tool.get("name")) for tool in shown)))
        return {**result, "tools": shown}

    def _remember(self, session: Any, names: tuple[str, ...]) -> None:
        with contextlib.suppress(TypeError):  # a session that cannot be weakly referenced: no notifications
            self._seen[session] = _Seen(self.guard.policies.generation, names)

    async def notify_if_changed(self, session: Any, grant: str) -> None:
        try:
            seen = self._seen.get(session)
        except TypeError:
            return
        generation = self.guard.policies.generation
        if seen is None or seen.generation == generation:
            return
        names = tuple(sorted(self.names()))
        changed = names != seen.names
        self._seen[session] = _Seen(generation, names)
        if changed:
            try:
                await session.send_tool_list_changed()
            except Exception as exc:  # a client that went away: its next list will be right anyway
                print(f"odoo-mcp: tools/list_changed not sent ({type(exc).__name__})", file=sys.stderr)
