"""`tools/call` of a native tool on stdio, answered without the MCP SDK's per-message path.

Through the SDK one `tools/call` costs ~0.7-0.9 ms of CPU before and after the guard (the
request validated into models twice, a dispatch context, a cancel scope and a task per
request, a `ServerSession`, a `ServerRequestContext`, `MCPServer`'s `Context`, its tool
manager, the result dumped, validated and dumped again: docs/benchmarks-peers.md). For the
calls where all of that decides nothing, `odoo_mcp.wire.stdio` hands the line here instead:
the same guarded tool runs (the guard's whole pipeline: policy, validation, conditions, limits,
audit) and the same JSON-RPC answer is written, byte for byte.

What "the same" takes, from the SDK's code (mcp 2.3) and this server's middleware
(`odoo_mcp.server`):

- **Which calls** (`FastCalls.accepts`, `FastPath._call_of`; everything else goes to the SDK as
  before): a request of exactly `jsonrpc`, `id` (an integer or a string), `method: tools/call`
  and `params` of exactly `name` (a string) and `arguments` (an object, null or absent) — no
  `_meta` (a progress token, the 2026-07-28 envelope), no `requestState`/`inputResponses` (an
  approval's answer), nothing else the SDK would validate, no number of 19 digits or more (orjson
  and the SDK's parser read an integer beyond 64 bits differently); on a session whose `initialize` the
  SDK answered with a handshake-era revision (the SDK's init gate open, the legacy era, nothing
  version-specific in the answer); for a tool registered with the SDK when the server was built,
  not a mounted server's, whose call the pinned policy can never put to a human (no
  `require_approval` on it, nor anywhere in the policy for a tool with equivalents: the
  question needs the SDK's session for elicitation or `input_required`); a name the policy
  hides or does not know is refused here as the middleware refuses it. And only while no
  session has a `tools/list_changed` pending (`ListedTools.settled`): after a policy reload the
  next call goes through the SDK, which tells the client first. A native handler never sees the
  SDK's `Context` (`tools/` may not import the SDK: tests/test_layers.py), so logging, progress
  and elicitation happen only through approvals, which go to the SDK.
- **The answer**: `wire_result` is the dict `MCPServer` puts on the wire for
  `odoo_mcp.server.to_call_result` of the same `Result` (checked against the SDK's own
  serialisation for every handshake revision: tests/test_stdio_fast_call.py), written as one
  line by orjson, as `stdio._Sink` writes the SDK's. A name the middleware refuses itself is
  answered as the SDK answers a middleware's own result (the model dumped once, not re-shaped
  by the per-revision surface: other key order, `resultType`), by `odoo_mcp.server`'s function.
- **Concurrency**: each call runs in a task of its own, so a slow call never holds up the next
  line, as under the SDK's dispatcher.
- **Cancellation**: `notifications/cancelled` for a call in flight cancels it and nothing is
  written for it (the SDK's "interrupt" mode: a cancelled request is never answered); the guard
  writes its `cancelled` outcome record. A later request with the same id makes the earlier one
  uncancellable (the SDK's blind overwrite). The notification still goes on to the SDK.
- **The end of stdin**: calls in flight are cancelled and answered `Connection closed`
  (-32000) unless their client cancelled them, as the SDK answers its own.

Not reproduced, on purpose: the SDK's OpenTelemetry span per request (nothing reaches the
client; with tracing configured, fast calls have no span).
"""

from __future__ import annotations

import asyncio
import base64
import re
import sys
import traceback
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import orjson

from guard.decisions import plan_for
from guard.guard import Guard, Result
from guard.spec import Caller
from odoo_mcp.wire.handshake import HANDSHAKE_VERSIONS

_REQUEST_KEYS = frozenset({"jsonrpc", "id", "method", "params"})
_PARAM_KEYS = frozenset({"name", "arguments"})
CONNECTION_CLOSED = -32000
"""`mcp_types.CONNECTION_CLOSED`: what the SDK answers a request still running when stdin ends."""
_SHUTDOWN_WRITE_TIMEOUT = 5.0
_LONG_NUMBER = re.compile(r"\d{19}")
"""19 digits or more (in a string too, to keep it simple): a line that may hold an integer orjson and the
SDK's parser read differently goes to the SDK."""


def wire_result(result: Result) -> dict[str, Any]:
    """The `tools/call` result `MCPServer` writes for `odoo_mcp.server.to_call_result(result)`.

    The SDK dumps that model (`by_alias`, `exclude_none`) and re-dumps it through its per-revision
    surface: the same keys in this order for every handshake-era revision."""
    content: list[dict[str, Any]] = [{"text": result.text, "type": "text"}]
    for blob in result.blobs:
        resource = {
            "blob": base64.b64encode(blob.data).decode("ascii"),
            "mimeType": blob.mime_type,
            "uri": f"odoo-guard://blob/{blob.name}",
        }
        content.append({"resource": resource, "type": "resource"})
    return {"content": content, "isError": result.is_error}


def _never_asked() -> Any:
    """The approval channel of a fast call: a call that could ask a human is never taken (`accepts`)."""
    raise RuntimeError("a call answered without the SDK asked for an approval channel")


class FastCalls:
    """What one server's fast `tools/call` decides and runs (no session state: see `FastPath`)."""

    def __init__(
        self,
        guard: Guard,
        grant: str,
        caller: Callable[[], Caller],
        listed: Any,
        registered: frozenset[str],
        refusal: Callable[[Result], dict[str, Any]],
    ) -> None:
        self.guard = guard
        self.grant = grant
        self._caller = caller
        self._listed = listed
        self._registered = registered
        self._refusal = refusal
        """The middleware's own answer to an unexposed name, as the SDK dumps it (`odoo_mcp.server`)."""

    def accepts(self, name: str) -> bool:
        """Whether a call of `name` can be answered here now (the caller's policy pinned)."""
        if not self._listed.settled():  # a list_changed to send first: the middleware does it
            return False
        tool = self.guard.tools.get(name)
        if tool is None:
            return True  # refused as unknown, as the middleware refuses it
        if tool.spec.family.startswith("mount:") or name not in self._registered:
            return False
        if not self.guard.exposes(name):
            return True  # refused as hidden
        policy = self.guard.policy
        if plan_for(policy, name).approval is not None:
            return False
        # a tool with equivalents may be asked about by another tool's rule
        return tool.spec.equivalents is None or all(rule.action != "require_approval" for rule in policy.tools.values())

    async def answer(self, name: str, arguments: dict[str, Any] | None) -> dict[str, Any]:
        """The call's wire result, as `odoo_mcp.server`'s middleware and tool function produce it."""
        caller = self._caller()
        guard = self.guard
        if not guard.exposes(name):
            return self._refusal(guard.refuse_unexposed(name, arguments, caller))
        try:
            result = await guard.tools[name](dict(arguments or {}), caller, _never_asked)
            if result.pending is not None:
                raise RuntimeError("a fast call was deferred for an approval")
        except Exception:  # as MCPServer answers a tool function that raised (the guard itself never does)
            print(f"odoo-mcp: tool {name} raised past the guard:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            return {"content": [{"text": f"Error executing tool {name}", "type": "text"}], "isError": True}
        return wire_result(result)


_ATTACHED: weakref.WeakKeyDictionary[Any, FastCalls] = weakref.WeakKeyDictionary()


def attach(server: Any, calls: FastCalls) -> None:
    """Remember the fast calls of `server` (built by `odoo_mcp.server.build_server`)."""
    _ATTACHED[server] = calls


def attached(server: Any) -> FastCalls | None:
    return _ATTACHED.get(server)


def coerce_id(request_id: Any) -> Any:
    """The SDK's correlation key of a request id (`mcp.shared.dispatcher.coerce_request_id`): "7" is 7."""
    if isinstance(request_id, str):
        try:
            return int(request_id)
        except ValueError:
            return request_id
    return request_id


@dataclass
class _Flight:
    request_id: Any
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    cancel_requested: bool = False
    closing: bool = False


class FastPath:
    """One stdio session's fast `tools/call`: the session's state as the wire shows it, the calls in flight.

    `stdio` calls `take` with every line before the SDK parses it, `passing` with every message
    the SDK is then given, `sent` with every message the SDK writes, and `close` at the end of stdin.
    """

    def __init__(self, calls: FastCalls, write: Callable[[bytes], Awaitable[None]]) -> None:
        self.calls = calls
        self._write = write
        self._tasks: set[asyncio.Task[None]] = set()
        """Plain asyncio tasks: anyio's `TaskGroup.start_soon` costs ~45 µs a call against ~3 µs (measured
        in process); each call's cancellation is an anyio `CancelScope` inside it, so what the guard
        shields from cancellation (a worker thread's write to Odoo) stays shielded."""
        self._initializing: set[Any] = set()
        self.version: str | None = None
        """The handshake revision the SDK answered `initialize` with; None: the SDK answers every call."""
        self._flights: dict[Any, _Flight] = {}
        self.answered = 0
        self.passed = 0

    def take(self, line: str) -> bool:
        """Answer the line here if it is a call this path can answer exactly as the SDK would."""
        if self.version is None or "tools/call" not in line:
            return False
        call = self._call_of(line)
        if call is None:
            return False
        request_id, name, arguments = call
        with self.calls.guard.policies.pinned(self.calls.grant):  # the task started here keeps this policy
            try:
                if not self.calls.accepts(name):
                    return False
            except Exception:  # when unsure, the SDK's path
                print(f"odoo-mcp: tools/call {name}: left to the SDK:", file=sys.stderr)
                traceback.print_exc(file=sys.stderr)
                return False
            flight = _Flight(request_id)
            self._flights[coerce_id(request_id)] = flight  # a duplicate id: the newer one is the cancellable one
            task = asyncio.get_running_loop().create_task(self._serve(flight, name, arguments))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.answered += 1
        return True

    @staticmethod
    def _call_of(line: str) -> tuple[Any, str, dict[str, Any] | None] | None:
        if _LONG_NUMBER.search(line):  # orjson reads an integer beyond 64 bits as a float, pydantic as an int
            return None
        try:
            message = orjson.loads(line)  # strict: what it refuses (NaN, lone surrogates) the SDK parses
        except ValueError:
            return None
        if not isinstance(message, dict) or message.keys() != _REQUEST_KEYS:
            return None
        if message["jsonrpc"] != "2.0" or message["method"] != "tools/call":
            return None
        request_id, params = message["id"], message["params"]
        if isinstance(request_id, bool) or not isinstance(request_id, int | str):
            return None
        if not isinstance(params, dict) or not params.keys() <= _PARAM_KEYS:
            return None
        name, arguments = params.get("name"), params.get("arguments")
        if not isinstance(name, str) or not (arguments is None or isinstance(arguments, dict)):
            return None
        return request_id, name, arguments

    def passing(self, message: Any) -> None:
        """A message the SDK is about to be given: its `initialize`, a reused id, a cancellation."""
        self.passed += 1
        method = getattr(message, "method", None)
        request_id = getattr(message, "id", None)
        if request_id is not None and method is not None:  # a request
            key = coerce_id(request_id)
            self._flights.pop(key, None)  # the SDK's in-flight entry for this id replaces ours
            if method == "initialize":
                self._initializing.add(key)
        elif method == "notifications/cancelled":
            params = getattr(message, "params", None)
            cancelled = params.get("requestId") if isinstance(params, Mapping) else None
            if isinstance(cancelled, bool) or not isinstance(cancelled, int | str):
                return
            flight = self._flights.get(coerce_id(cancelled))
            if flight is not None:
                flight.cancel_requested = True
                flight.scope.cancel()

    def sent(self, message: dict[str, Any]) -> None:
        """A message the SDK wrote: the answer to an `initialize` opens (or closes) this path."""
        if not self._initializing or "method" in message:
            return
        key = coerce_id(message.get("id"))
        if key not in self._initializing:
            return
        self._initializing.discard(key)
        result = message.get("result")
        version = result.get("protocolVersion") if isinstance(result, dict) else None
        self.version = version if version in HANDSHAKE_VERSIONS else None

    def close(self) -> None:
        """stdin ended: the calls in flight are cancelled, and answered `Connection closed` (`_serve`)."""
        for flight in list(self._flights.values()):
            flight.closing = True
            flight.scope.cancel()
        self._flights.clear()

    async def finished(self) -> None:
        """Wait (shielded) for the calls in flight to end: their outcome records, their last answers. As the
        SDK waits for its own: a blocking handler shielded from cancellation (a write to Odoo) runs to its end."""
        self.close()
        with anyio.CancelScope(shield=True):
            while self._tasks:
                await asyncio.wait(list(self._tasks))

    async def _serve(self, flight: _Flight, name: str, arguments: dict[str, Any] | None) -> None:
        """One call, as the SDK's `JSONRPCDispatcher._handle_request` runs one request."""
        request_id = flight.request_id
        result: dict[str, Any] | None = None
        try:
            with flight.scope:
                result = await self.calls.answer(name, arguments)
        except Exception as exc:  # what the dispatcher answers a handler that raised (code 0, its text)
            print(f"odoo-mcp: tools/call {name} failed:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            error = {"code": 0, "message": str(exc)}
            if not flight.cancel_requested:
                await self._write(orjson.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}) + b"\n")
            return
        finally:
            key = coerce_id(request_id)
            if self._flights.get(key) is flight:
                del self._flights[key]
        if flight.cancel_requested:
            return  # the client cancelled it: never answered
        if result is None:  # cancelled because stdin ended
            if flight.closing:
                error = {"code": CONNECTION_CLOSED, "message": "Connection closed"}
                with anyio.move_on_after(_SHUTDOWN_WRITE_TIMEOUT, shield=True):
                    await self._write(orjson.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}) + b"\n")
            return
        await self._write(orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}) + b"\n")
