"""`tools/list` per grant, and `notifications/tools/list_changed` when a reload changes it.

Every tool is registered with the SDK once; what a client is *shown* depends on its grant's
policy (`hide`), so the list is filtered per request. Each session's last list is remembered
(with the policy generation it was computed under); when a policy reload changes what that
session would now be shown, the session is sent `notifications/tools/list_changed` at its next
request, before that request is answered — the server learns of a session only through its
requests, and a notification on a stream nobody reads would be lost anyway. Clients of the
sessionless 2026-07-28 protocol hear it on their `subscriptions/listen` stream instead (the SDK's
bus; every listener is told, a spurious notice only makes a client list again).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import weakref
from dataclasses import dataclass
from typing import Any

from mcp.shared.subscriptions import ToolsListChanged

from guard.decisions import gate_tool
from odoo_mcp.wire.sdk_adapter import connection_of

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
        self.bus: Any = None
        """The SDK's subscription bus (2026-07-28 clients hear list changes through `subscriptions/listen`)."""
        self._published = (0, self._hiding())
        self._loop: asyncio.AbstractEventLoop | None = None
        guard.policies.on_swap(self._swapped)

    def _swapped(self) -> None:
        """A reload (in the reloader's thread): tell listening clients now, on the server's loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            asyncio.run_coroutine_threadsafe(self._publish_if_changed(), loop)

    def _hiding(self) -> tuple[tuple[Any, ...], ...]:
        """What decides every grant's list: each policy's hide set (and shadow, which shows all), and under
        `"list": "allowed"` the tools it lets be called."""
        policies = self.guard.policies.all()
        return tuple((policy.shadow, frozenset(policy.hide), self._allowed(policy)) for policy in policies)

    def _allowed(self, policy: Any) -> frozenset[str]:
        if getattr(policy, "listing", "all") == "all":
            return frozenset()
        return frozenset(name for name in self.guard.tools if gate_tool(policy, name, known=True).allowed)

    async def _publish_if_changed(self) -> None:
        generation = self.guard.policies.generation
        if self.bus is None or generation == self._published[0]:
            return
        hiding = self._hiding()
        changed = hiding != self._published[1]
        self._published = (generation, hiding)
        if changed:
            try:
                await self.bus.publish(ToolsListChanged())
            except Exception as exc:
                print(f"odoo-mcp: tools/list_changed not published ({type(exc).__name__})", file=sys.stderr)

    def names(self) -> tuple[str, ...]:
        """What the pinned policy shows."""
        return tuple(tool.name for tool in self.guard.listed())

    def filter(self, result: Any, session: Any, grant: str) -> Any:
        """The wire result of `tools/list` (a dict) without what the pinned policy hides."""
        if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
            return result
        shown = [tool for tool in result["tools"] if self.guard.lists(str(tool.get("name")))]
        self._remember(connection_of(session), tuple(sorted(str(tool.get("name")) for tool in shown)))
        return {**result, "tools": shown}

    def _remember(self, session: Any, names: tuple[str, ...]) -> None:
        with contextlib.suppress(TypeError):  # a session that cannot be weakly referenced: no notifications
            self._seen[session] = _Seen(self.guard.policies.generation, names)

    def settled(self) -> bool:
        """Whether `notify_if_changed` would do nothing now, for any session: no reload since each
        session's last list and since the last publication (a call answered without the SDK's session,
        `fast_call`, is taken only then; the next request through the SDK tells the client first)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        generation = self.guard.policies.generation
        if self.bus is not None and generation != self._published[0]:
            return False
        return all(seen.generation == generation for seen in list(self._seen.values()))

    async def notify_if_changed(self, session: Any, grant: str) -> None:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        await self._publish_if_changed()
        session = connection_of(session)
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
