"""The guard decorator: the one way a tool handler becomes callable.

`Guard.wrap(spec)` returns a `GuardedTool`. Calling it runs, in order: the policy's
tool gate, argument validation (the tool's pydantic model), the policy's conditions,
path confinement, approval, rate limits — and only then the handler. Whatever the
outcome, one audit record is written and the caller gets a `Result` whose error text
starts with a tag (`[POLICY DENIED]`, `[INVALID ARGUMENTS]`, ...). A refused call never
reaches the handler and leaves no side effect.
"""

from __future__ import annotations

import inspect
import json
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
from pydantic import ValidationError

from guard.audit import AuditLog, redact
from guard.decisions import Decision, Verdict, gate_arguments, gate_tool
from guard.limiter import Limiter
from guard.paths import confine
from guard.policy import Policy, json_path
from guard.spec import (
    ApprovalPending,
    ApprovalUnavailable,
    Approver,
    Blob,
    Call,
    Caller,
    NotConfigured,
    PathArg,
    PathRefused,
    ToolFailure,
    ToolOutput,
    ToolSpec,
)
from guard.wording import pattern_words

_WRAP_TOKEN = object()


@dataclass(frozen=True)
class Result:
    """What a guarded call gives back to the transport: text for the client, data, binaries."""

    is_error: bool
    text: str
    data: Any = None
    blobs: tuple[Blob, ...] = ()
    pending: Any = None
    """Set when the call waits for a human's answer (the transport's "input required" payload)."""


def format_validation(error: ValidationError) -> str:
    """`field: problem; other: problem` — names and problems only, never the rejected values."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        kind = item["type"]
        if kind == "extra_forbidden":
            message = "unexpected argument"
        elif kind == "missing":
            message = "required argument is missing"
        elif kind == "string_pattern_mismatch":  # words with the allowed form, never a raw regex
            message = pattern_words(str((item.get("ctx") or {}).get("pattern", "")))
        elif kind in ("model_type", "model_attributes_type", "dict_type"):  # never an internal class name
            message = "must be an object of named arguments"
        else:
            message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{json_path(tuple(item['loc']), whole='(arguments)')}: {message}")
    return "; ".join(dict.fromkeys(problems))


def path_fields(spec: ToolSpec) -> dict[str, PathArg]:
    """The arguments of `spec` marked `PathArg`, found once at wrap time."""
    found: dict[str, PathArg] = {}
    for name, field in spec.args.model_fields.items():
        for meta in field.metadata:
            if isinstance(meta, PathArg):
                found[name] = meta
    return found


def _schema_types(schema: dict[str, Any], definitions: dict[str, Any]) -> set[str]:
    """The JSON types one property accepts, through `$ref` and `anyOf`."""
    if "$ref" in schema:
        return _schema_types(definitions.get(schema["$ref"].rsplit("/", 1)[-1], {}), definitions)
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set(schema.get("type") or ())
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= _schema_types(option, definitions)
    return found or {"any"}


def json_string_fields(spec: ToolSpec) -> frozenset[str]:
    """Arguments that take a list or an object and never a string.

    Some clients (Claude Desktop among them) send such arguments as JSON text — `"[1, 2]"` —
    and MCPServer decodes them before validating; the guard, which owns validation, does the
    same for exactly these fields, so nothing that may legitimately be a string is touched.
    """
    schema = spec.args.model_json_schema()
    definitions = schema.get("$defs", {})
    fields = set()
    for name, prop in schema.get("properties", {}).items():
        types = _schema_types(prop, definitions)
        if types & {"array", "object"} and not types & {"string", "any"}:
            fields.add(name)
    return frozenset(fields)


def decode_json_strings(raw: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    decoded = raw
    for name in fields & raw.keys():
        value = raw[name]
        if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
            try:
                parsed = json.loads(value)
            except ValueError:
                continue  # left as is: validation reports the field
            if isinstance(parsed, list | dict):
                decoded = {**decoded, name: parsed}
    return decoded


def render_text(data: Any) -> str:
    """A handler's value as the text content agents read: strings as is, the rest as compact JSON
    (100 Odoo records are sent once, without indentation: the payload is what a call costs)."""
    if isinstance(data, str):
        return data
    return json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))


class Guard:
    """Policy + limiter + audit + roots: everything a call is checked against."""

    def __init__(
        self,
        policy: Policy,
        *,
        limiter: Limiter | None = None,
        audit: AuditLog | None = None,
        roots: dict[str, Path] | None = None,
        runtime: Any = None,
    ) -> None:
        self.policy = policy
        self.limiter = limiter or Limiter()
        self.audit = audit or AuditLog(None, stderr=False)
        self.roots = dict(roots or {})
        self.runtime = runtime
        self.tools: dict[str, GuardedTool] = {}

    def wrap(self, spec: ToolSpec) -> GuardedTool:
        """The guard decorator: returns the only callable form of `spec.handler`."""
        if spec.name in self.tools:
            raise ValueError(f"tool {spec.name!r} is wrapped twice")
        guarded = GuardedTool(self, spec, _WRAP_TOKEN)
        self.tools[spec.name] = guarded
        return guarded

    def exposes(self, name: str) -> bool:
        """A wrapped tool the policy does not hide: listed, and callable through its GuardedTool."""
        return name in self.tools and not self.policy.hides(name)

    def visible(self) -> list[GuardedTool]:
        """Wrapped tools the policy does not hide (what `policy_status` reports on)."""
        return [tool for name, tool in sorted(self.tools.items()) if self.exposes(name)]

    def lists(self, name: str) -> bool:
        """Whether `tools/list` shows `name`: exposed, and under `"list": "allowed"` also callable."""
        if not self.exposes(name):
            return False
        return self.policy.listing == "all" or gate_tool(self.policy, name, known=True).allowed

    def listed(self) -> list[GuardedTool]:
        """Wrapped tools that `tools/list` shows."""
        return [tool for name, tool in sorted(self.tools.items()) if self.lists(name)]

    def refuse_unexposed(self, name: str, arguments: dict[str, Any] | None, caller: Caller) -> Result:
        """A call to an unknown, hidden or unlisted name: refused and audited like any call."""
        decision = gate_tool(self.policy, name, known=name in self.tools)
        result = Result(True, f"[POLICY DENIED] {decision.reason}")
        self._audit(name, caller, arguments, decision, "denied", result, time.perf_counter())
        return result

    def _audit(
        self,
        tool: str,
        caller: Caller,
        arguments: Any,
        decision: Decision | None,
        outcome: str,
        result: Result,
        started: float,
        counters: list[dict[str, Any]] | None = None,
    ) -> None:
        self.audit.record(
            "tool_call",
            tool=tool,
            grant=caller.grant,
            session=caller.session,
            decision=decision.verdict.value if decision else None,
            rule=decision.rule if decision else None,
            reason=decision.reason if decision and decision.reason else None,
            outcome=outcome,
            error=result.text.splitlines()[0] if result.is_error else None,
            counters=counters or [],
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            arguments=arguments,
        )


class GuardedTool:
    """A tool handler behind the guard; only `Guard.wrap` can make one."""

    def __init__(self, guard: Guard, spec: ToolSpec, token: object) -> None:
        if token is not _WRAP_TOKEN:
            raise TypeError("GuardedTool is created by Guard.wrap only")
        self.guard = guard
        self.spec = spec
        self.paths = path_fields(spec)
        self.json_fields = json_string_fields(spec)
        self.is_async = inspect.iscoroutinefunction(spec.handler)

    @property
    def name(self) -> str:
        return self.spec.name

    async def __call__(
        self, arguments: dict[str, Any] | None, caller: Caller, approver: Approver | None = None
    ) -> Result:
        started = time.perf_counter()
        guard, spec = self.guard, self.spec
        raw = arguments if arguments is not None else {}

        def finish(outcome: str, result: Result, decision: Decision | None, counters=None) -> Result:
            guard._audit(spec.name, caller, raw, decision, outcome, result, started, counters)
            return result

        decision = gate_tool(guard.policy, spec.name, known=True)
        if not decision.allowed:
            return finish("denied", Result(True, f"[POLICY DENIED] {decision.reason}"), decision)

        if not isinstance(raw, dict):
            return finish("invalid", Result(True, "[INVALID ARGUMENTS] (arguments): must be an object"), decision)
        try:
            args = spec.args.model_validate(decode_json_strings(raw, self.json_fields) if self.json_fields else raw)
        except ValidationError as exc:
            return finish("invalid", Result(True, f"[INVALID ARGUMENTS] {format_validation(exc)}"), decision)

        rule = guard.policy.tools.get(spec.name)
        if rule is not None and (rule.require or rule.deny_if or rule.action == "require_approval"):
            decision = gate_arguments(guard.policy, spec.name, args.model_dump(mode="json"))
        if not decision.allowed:
            return finish("denied", Result(True, f"[POLICY DENIED] {decision.reason}"), decision)

        try:
            paths = self._confine(args)
        except ToolFailure as failure:
            outcome = "path_refused" if isinstance(failure, PathRefused) else "failed"
            return finish(outcome, Result(True, failure.render()), decision)

        limits = guard.policy.limits_for(spec.name)
        if decision.verdict is Verdict.APPROVAL:
            refusal = guard.limiter.check(limits, caller)
            if refusal is not None:
                return finish("rate_limited", Result(True, refusal.render()), decision)
            try:
                approved, why = await self._ask(approver, caller, raw)
            except ApprovalPending as pending:
                return finish(
                    "approval_requested", Result(False, "approval requested", pending=pending.payload), decision
                )
            if not approved:
                return finish("approval_declined", Result(True, f"[APPROVAL DECLINED] {why}"), decision)

        refusal = guard.limiter.acquire(limits, caller)
        counters = guard.limiter.states(limits, caller)
        if refusal is not None:
            return finish("rate_limited", Result(True, refusal.render()), decision, counters)

        call = Call(caller=caller, runtime=guard.runtime, paths=paths)
        try:
            if self.is_async:
                value = await spec.handler(args, call)
            else:
                value = await anyio.to_thread.run_sync(spec.handler, args, call)
        except ToolFailure as failure:
            return finish("failed", Result(True, failure.render()), decision, counters)
        except Exception as exc:
            print(f"tool {spec.name} crashed:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            text = f"[INTERNAL ERROR] {spec.name} failed unexpectedly ({type(exc).__name__}); see the server log"
            return finish("crashed", Result(True, text), decision, counters)

        if isinstance(value, ToolOutput):
            result = Result(False, render_text(value.data), value.data, value.blobs)
        else:
            result = Result(False, render_text(value), value)
        return finish("ok", result, decision, counters)

    def _confine(self, args: Any) -> dict[str, Path]:
        """Resolve and confine every `PathArg` argument before the handler sees it."""
        resolved: dict[str, Path] = {}
        for name, marker in self.paths.items():
            value = getattr(args, name)
            if value is None:
                continue
            root = self.guard.roots.get(marker.root)
            if root is None:
                raise NotConfigured(f"{name}: the '{marker.root}' root is not configured on this server")
            resolved[name] = confine(name, value, root, must_exist=marker.must_exist)
        return resolved

    async def _ask(self, approver: Approver | None, caller: Caller, raw: dict[str, Any]) -> tuple[bool, str]:
        if approver is None:
            return False, f"'{self.spec.name}' needs a human's approval and this client cannot ask for it"
        question = f"Allow the agent ({caller.grant}) to call {self.spec.name} with {render_text(redact(raw))}?"
        try:
            approved = await approver(question)
        except ApprovalUnavailable:
            return False, f"'{self.spec.name}' needs a human's approval and this client cannot ask for it"
        except ApprovalPending:
            raise
        except Exception as exc:
            return False, f"the approval request failed ({type(exc).__name__})"
        return (True, "") if approved else (False, f"the user declined '{self.spec.name}'")
