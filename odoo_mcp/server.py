"""Server assembly: policy + guard + every catalogued tool, wrapped, on an `MCPServer`.

MCPServer would validate a tool's arguments against the function signature before
the function runs, drop unknown arguments silently and answer unknown tool names
itself — none of which would reach the guard (see shared/DESIGN.md). So each tool is
registered with a pass-through argument model: the raw arguments go to the guard,
which validates them with the tool's own pydantic model, and a small middleware sends
calls to unknown or hidden names through the guard too. The only thing this module
can register is a `GuardedTool`, which only `Guard.wrap` makes.
"""

from __future__ import annotations

import base64
import functools
import uuid
from collections.abc import Mapping
from typing import Any

import mcp_types as types
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.request_state import RequestStateBoundary

from guard.guard import Guard, GuardedTool, Result
from guard.spec import Caller
from odoo_mcp import __version__
from odoo_mcp.approvals.wire import approval_state_middleware, channel_for, install_approval_state
from odoo_mcp.assembly import INSTRUCTIONS, SERVER_NAME, build_guard, open_audit  # noqa: F401 - re-exported
from odoo_mcp.wire.fast_call import FastCalls, attach
from odoo_mcp.wire.grant_listing import GRANT_METHODS, ListedTools
from odoo_mcp.wire.listed_schema import listed_tool, tool_hints
from odoo_mcp.wire.sdk_adapter import SdkTool, raw_tool, registered_tools, subscription_bus


def annotations_for(tool: GuardedTool) -> types.ToolAnnotations:
    """MCP hints from the tool's risk class (only where they differ from MCP's defaults: see wire/listed_schema.py)."""
    return types.ToolAnnotations(**tool_hints(tool.spec))


def to_call_result(result: Result) -> types.CallToolResult:
    """A guard `Result` on the wire: tagged text on error; JSON text (+ embedded blobs) on success.

    No `structuredContent`: the tools declare no output schema, and repeating every record
    a second time in structured form would double what each call sends.
    """
    content: list[types.ContentBlock] = [types.TextContent(type="text", text=result.text)]
    for blob in result.blobs:
        content.append(
            types.EmbeddedResource(
                type="resource",
                resource=types.BlobResourceContents(
                    uri=f"odoo-guard://blob/{blob.name}",
                    mime_type=blob.mime_type,
                    blob=base64.b64encode(blob.data).decode("ascii"),
                ),
            )
        )
    return types.CallToolResult(content=content, is_error=result.is_error)


class Session:
    """Who a request comes from.

    stdio: the configured grant, and one session per process. Streamable HTTP: the grant
    the bearer-token middleware put in the request's state (`odoo_mcp.http.auth.BearerGrants`), and
    the session id `odoo_mcp.http.sessions.SessionGate` verified was issued by this server to that
    grant — never the client's `Mcp-Session-Id` header as sent. Without a verified session
    (the sessionless 2026-07-28 protocol) the session scope is the grant itself.
    """

    def __init__(self, grant: str) -> None:
        self.grant = grant
        self.stdio_session = f"stdio-{uuid.uuid4().hex[:12]}"

    def caller(self, request: Any) -> Caller:
        if request is None:
            return Caller(grant=self.grant, session=self.stdio_session)
        state = getattr(request, "scope", {}).get("state", {})
        grant = state.get("grant")
        if not grant:
            raise PermissionError("an HTTP request reached a tool without an authenticated grant")
        session = state.get("session") or f"http-{grant}"
        return Caller(grant=grant, session=session)


def _mcp_tool(tool: GuardedTool, identity: Session) -> SdkTool:
    """The MCPServer registration of one guarded tool (and nothing else can be registered)."""
    if not isinstance(tool, GuardedTool):
        raise TypeError(f"only guarded tools can be registered, got {type(tool).__name__}")

    async def call(arguments: dict[str, Any], ctx: Context) -> types.CallToolResult | types.InputRequiredResult:
        caller = identity.caller(ctx.request_context.request)

        result = await tool(arguments, caller, functools.partial(channel_for, ctx))  # looked at only if asked
        if result.pending is not None:
            return result.pending
        return to_call_result(result)

    call.__guarded__ = tool  # type: ignore[attr-defined]
    listed = listed_tool(tool.spec)  # no titles, nulls or $defs: see wire/listed_schema.py
    return raw_tool(
        call,
        name=listed["name"],
        description=listed["description"],
        parameters=listed["inputSchema"],
        annotations=annotations_for(tool),
    )


def _unknown_tool_middleware(guard: Guard, identity: Session, listed: ListedTools):
    """Calls to names the server does not expose, or with arguments that are not an object, still get a
    tagged answer and an audit record (the SDK would answer them itself, untagged and unaudited).

    Every request runs with its grant's policy pinned (`guard.policy_set.PolicySet`): what
    `tools/list` shows, what is hidden and what a call is decided on are the caller's grant's."""
    async def middleware(ctx: Any, call_next: Any) -> Any:
        caller = identity.caller(ctx.request) if ctx.method in GRANT_METHODS else None
        if caller is None:
            return await call_next(ctx)
        with guard.policies.pinned(caller.grant):
            await listed.notify_if_changed(ctx.session, caller.grant)
            if ctx.method == "tools/call" and isinstance(ctx.params, Mapping):
                name = str(ctx.params.get("name", ""))
                arguments = ctx.params.get("arguments")
                if not guard.exposes(name):
                    return to_call_result(guard.refuse_unexposed(name, arguments, caller))
                if arguments is not None and not isinstance(arguments, Mapping):
                    return to_call_result(await guard.tools[name](arguments, caller))
            result = await call_next(ctx)
            if ctx.method == "tools/list":
                result = listed.filter(result, ctx.session, caller.grant)
            return result

    return middleware


def build_server(guard: Guard, *, grant: str = "local") -> MCPServer:
    """The MCPServer exposing the guard's tools; `tools/list` shows each grant only what its policy does not hide."""
    identity = Session(grant)
    tools = [_mcp_tool(tool, identity) for _, tool in sorted(guard.tools.items())]
    listed = ListedTools(guard)
    listed.bus = subscription_bus()  # the bus `subscriptions/listen` (2026-07-28 clients) is served from
    middleware = _unknown_tool_middleware(guard, identity, listed)
    server = MCPServer(
        SERVER_NAME,
        version=__version__,
        instructions=INSTRUCTIONS,
        tools=tools,
        middleware=[middleware],
        log_level="WARNING",
        subscriptions=listed.bus,
    )
    install_approval_state(server)
    assert_all_guarded(server)
    if known_middleware(server.middleware, middleware=middleware):  # stdio may answer native calls itself
        registered = frozenset(tool.name for tool in tools)
        caller = functools.partial(identity.caller, None)
        attach(server, FastCalls(guard, grant, caller, listed, registered, middleware_result))
    return server


def middleware_result(result: Result) -> dict[str, Any]:
    """What the SDK writes for a `CallToolResult` our middleware returns itself (its `_dump_result`:
    the model dumped once, without the per-revision re-shaping of a handler's result)."""
    return to_call_result(result).model_dump(by_alias=True, mode="json", exclude_none=True)


def known_middleware(chain: list[Any], *, middleware: Any) -> bool:
    """The request path is the SDK's OpenTelemetry span, our approval state, the SDK's request-state
    boundary and our middleware, nothing else: what `wire.fast_call` reproduces for a tools/call."""
    return (
        len(chain) == 4
        and type(chain[0]).__name__ == "OpenTelemetryMiddleware"
        and chain[1] is approval_state_middleware
        and isinstance(chain[2], RequestStateBoundary)
        and chain[3] is middleware
    )


def assert_all_guarded(server: MCPServer) -> None:
    """Refuse to serve if any registered tool is not a guard-wrapped function."""
    for tool in registered_tools(server):
        if not isinstance(getattr(tool.fn, "__guarded__", None), GuardedTool):
            raise RuntimeError(f"tool {tool.name!r} is registered without the guard; refusing to serve")
