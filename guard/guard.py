"""The guard decorator: the one way a tool handler becomes callable.

`Guard.wrap(spec)` returns a `GuardedTool`. Calling it runs, in order: the policy's
tool gate, argument validation (the tool's pydantic model), the tool's canonicalisation step
if it has one (`ToolSpec.canonical`: values as the target will store them), the policy's conditions,
path confinement, approval, rate limits — and only then the handler. Whatever the
outcome, an audit record is written and the caller gets a `Result` whose error text
starts with a tag (`[POLICY DENIED]`, `[INVALID ARGUMENTS]`, ...). A refused call never
reaches the handler and leaves no side effect.

Write-ahead audit: a call that passed every check gets an `intent` record (event
`tool_intent`) written whole before its handler runs; if that record cannot be written the
call is refused with `[AUDIT UNAVAILABLE]` and nothing runs. The `outcome` record (event
`tool_call`, the same `call` id) follows — also for a call cancelled while its handler ran
(`cancelled`). Refusals have only the outcome record. Whatever breaks inside the guard itself
(a storage error, a value too deep to decode) still ends in a tagged answer and an outcome record.

Quota (Intercept's rule): a call's counters are reserved before its handler runs and stay spent
once the handler started, whatever it answered — an Odoo fault, a crash, a cancellation. They are
given back only for a call refused before the handler could have had any effect: by the guard
(denied, invalid, a path refused, approval not given, the audit or the counter store
unavailable) or by the handler itself with a `before_effect` refusal (`PathRefused`,
`NotConfigured`). The outcome record says `charged`.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import os
import sys
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
from pydantic import ValidationError

from foundation import fastjson
from guard.approvals.gate import Approvals, ChannelSource, Settled
from guard.approvals.question import question_for
from guard.approvals.store import MemoryApprovalStore
from guard.audit import AuditLog, AuditUnavailable
from guard.decisions import Decision, Verdict, gate_arguments, gate_tool, plan_for
from guard.equivalence import combine, equivalent_counters, equivalent_limits
from guard.limiter import IncrementRefused, Limiter, Refusal, Reservation
from guard.paths import confine
from guard.policy import Policy, json_path
from guard.policy_set import PolicySet
from guard.refusals import Outcome, failure_of
from guard.spec import (
    Blob,
    Call,
    Caller,
    Equivalent,
    NotConfigured,
    PathArg,
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
            except RecursionError:
                raise Refused(Outcome.INVALID, f"[INVALID ARGUMENTS] {name}: JSON text nested too deeply") from None
            if isinstance(parsed, list | dict):
                decoded = {**decoded, name: parsed}
    return decoded


class Refused(Exception):
    """A refusal raised from one of the guard's small steps, answered and audited in one place."""

    def __init__(self, outcome: str, text: str) -> None:
        super().__init__(text)
        self.outcome = outcome
        self.text = text


RATE_LIMIT_UNAVAILABLE = "[RATE LIMIT UNAVAILABLE] the rate-limit store could not be used ({}); nothing was run"
AUDIT_UNAVAILABLE = "[AUDIT UNAVAILABLE] the call could not be recorded in the audit log, so it was not run"
CANCELLED = "cancelled after the tool started (it may have done its work): its quota stays spent"


def counting(operation: Any, *args: Any) -> Any:
    """Run a limiter operation; a storage failure (Redis down, ...) is a tagged refusal, never a crash."""
    try:
        return operation(*args)
    except Exception as exc:
        raise Refused(Outcome.RATE_LIMIT_UNAVAILABLE, RATE_LIMIT_UNAVAILABLE.format(type(exc).__name__)) from None


def render_text(data: Any) -> str:
    """A handler's value as the text content agents read: strings as is, the rest as compact JSON
    (100 Odoo records are sent once, without indentation: the payload is what a call costs)."""
    if isinstance(data, str):
        return data
    return fastjson.dumps(data)


class Guard:
    """Policy + limiter + audit + roots: everything a call is checked against."""

    def __init__(
        self,
        policy: Policy | PolicySet,
        *,
        limiter: Limiter | None = None,
        audit: AuditLog | None = None,
        roots: dict[str, Path] | None = None,
        runtime: Any = None,
        approvals: Approvals | None = None,
    ) -> None:
        self.policies = policy if isinstance(policy, PolicySet) else PolicySet(policy)
        self.limiter = limiter or Limiter()
        self.audit = audit or AuditLog(None, stderr=False)
        self.approvals = approvals or Approvals(os.urandom(32), MemoryApprovalStore(), self.audit)
        self.roots = dict(roots or {})
        self.runtime = runtime
        self.tools: dict[str, GuardedTool] = {}

    @property
    def policy(self) -> Policy:
        """The policy of the running call (pinned for its grant), else the server's default."""
        return self.policies.current()

    def wrap(self, spec: ToolSpec, context: Any = None) -> GuardedTool:
        """The guard decorator: returns the only callable form of `spec.handler`.

        `context` is what the handler receives as `call.runtime` (its family's context, built
        once at start-up); without one, the guard's `runtime`.
        """
        if spec.name in self.tools:
            raise ValueError(f"tool {spec.name!r} is wrapped twice")
        guarded = GuardedTool(self, spec, _WRAP_TOKEN, self.runtime if context is None else context)
        self.tools[spec.name] = guarded
        return guarded

    def exposes(self, name: str) -> bool:
        """A wrapped tool the policy does not hide: listed, and callable through its GuardedTool."""
        policy = self.policy
        return name in self.tools and (policy.shadow or not policy.hides(name))

    def visible(self) -> list[GuardedTool]:
        """Wrapped tools the policy does not hide (what `policy_status` reports on)."""
        return [tool for name, tool in sorted(self.tools.items()) if self.exposes(name)]

    def lists(self, name: str) -> bool:
        """Whether `tools/list` shows `name`: exposed, and under `"list": "allowed"` also callable."""
        if not self.exposes(name):
            return False
        policy = self.policy
        return policy.shadow or policy.listing == "all" or gate_tool(policy, name, known=True).allowed

    def listed(self) -> list[GuardedTool]:
        """Wrapped tools that `tools/list` shows."""
        return [tool for name, tool in sorted(self.tools.items()) if self.lists(name)]

    def refuse_unexposed(self, name: str, arguments: dict[str, Any] | None, caller: Caller) -> Result:
        """A call to an unknown, hidden or unlisted name: refused and audited like any call."""
        decision = gate_tool(self.policy, name, known=name in self.tools)
        result = Result(True, f"[POLICY DENIED] {decision.reason}")
        self._audit(name, caller, arguments, decision, Outcome.DENIED, result, time.perf_counter())
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
        *,
        call_id: str | None = None,
        equivalents: list[str] | None = None,
        shadow: list[dict[str, str]] | None = None,
        charged: bool = False,
    ) -> None:
        """The outcome record of a call (best effort: the call is over, a failure goes to stderr).

        `charged`: the call counts against quota — it reached its tool and was not refused before any
        effect — whether or not this policy had a counter for it (replay reads it)."""
        self.audit.record(
            "tool_call",
            call=call_id,
            phase="outcome",
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
            charged=charged,
            **({"equivalent_of": equivalents} if equivalents else {}),
            **({"shadow": shadow} if shadow else {}),
        )

    def write_intent(
        self,
        tool: str,
        caller: Caller,
        arguments: Any,
        decision: Decision,
        counters: list[dict[str, Any]],
        *,
        call_id: str,
        equivalents: list[str] | None = None,
    ) -> None:
        """The intent record, written whole before the handler runs, or `Refused` with `[AUDIT UNAVAILABLE]`."""
        try:
            self.audit.record(
                "tool_intent",
                required=True,
                call=call_id,
                phase="intent",
                tool=tool,
                grant=caller.grant,
                session=caller.session,
                decision=decision.verdict.value,
                rule=decision.rule,
                counters=counters,
                arguments=arguments,
                **({"equivalent_of": equivalents} if equivalents else {}),
            )
        except AuditUnavailable:
            raise Refused(Outcome.AUDIT_UNAVAILABLE, AUDIT_UNAVAILABLE) from None


class GuardedTool:
    """A tool handler behind the guard; only `Guard.wrap` can make one."""

    def __init__(self, guard: Guard, spec: ToolSpec, token: object, context: Any = None) -> None:
        if token is not _WRAP_TOKEN:
            raise TypeError("GuardedTool is created by Guard.wrap only")
        self.guard = guard
        self.spec = spec
        self.context = context
        self.paths = path_fields(spec)
        self.is_async = inspect.iscoroutinefunction(spec.handler)

    @property
    def name(self) -> str:
        return self.spec.name

    @functools.cached_property
    def json_fields(self) -> frozenset[str]:
        """Found on the first call, not at start-up: building 44 JSON schemas twice delayed tools/list."""
        return json_string_fields(self.spec)

    async def __call__(self, arguments: dict[str, Any] | None, caller: Caller, channel: ChannelSource = None) -> Result:
        started = time.perf_counter()
        guard, spec = self.guard, self.spec
        raw = arguments if arguments is not None else {}
        call_id = uuid.uuid4().hex[:16]
        state: dict[str, Any] = {
            "decision": None, "counters": None, "equivalents": None, "shadow": [], "charged": False,
        }  # fmt: skip

        def finish(outcome: str, result: Result, decision: Decision | None, counters=None) -> Result:
            guard._audit(
                spec.name,
                caller,
                raw,
                decision,
                outcome,
                result,
                started,
                counters,
                call_id=call_id,
                equivalents=state["equivalents"],
                shadow=state["shadow"],
                charged=state["charged"],
            )
            return result

        try:
            with guard.policies.pinned(caller.grant):  # one policy for the whole call, whatever a reload does
                return await self._run(raw, caller, channel, call_id, state, finish)
        except Refused as refused:
            return finish(refused.outcome, Result(True, refused.text), state["decision"], state["counters"])
        except Exception as exc:  # a failure of the guard itself: still tagged, still audited
            print(f"guard failed on {spec.name}:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            text = f"[INTERNAL ERROR] the guard could not decide on {spec.name} ({type(exc).__name__}); nothing was run"
            return finish(Outcome.GUARD_ERROR, Result(True, text), state["decision"], state["counters"])

    async def _run(
        self, raw: Any, caller: Caller, channel: ChannelSource, call_id: str, state: dict[str, Any], finish: Any
    ) -> Result:
        guard, spec = self.guard, self.spec
        shadow = guard.policy.shadow

        def would(kind: str, why: Decision) -> None:
            """Shadow mode: what would have been refused, kept for the outcome record; the call goes on."""
            entry = {"would": kind, "rule": why.rule, "reason": why.reason}
            if entry not in state["shadow"]:  # a tool-level refusal is seen again with the arguments
                state["shadow"].append(entry)

        decision = gate_tool(guard.policy, spec.name, known=True)
        state["decision"] = decision
        if not decision.allowed:
            if not shadow:
                return finish(Outcome.DENIED, Result(True, f"[POLICY DENIED] {decision.reason}"), decision)
            would("would_deny", decision)

        if not isinstance(raw, dict):
            return finish(Outcome.INVALID, Result(True, "[INVALID ARGUMENTS] (arguments): must be an object"), decision)
        args = self._validate(raw)
        if spec.canonical is not None:  # the values as they will be stored, before any condition sees them
            try:
                args = await self._canonical(args, caller)
            except ToolFailure as failure:
                return finish(failure.outcome, Result(True, failure.render()), decision)

        plan = plan_for(guard.policy, spec.name)
        dumped = None
        if plan.checks or plan.approval is not None or plan.counters:
            dumped = args.model_dump(mode="json")
            values = counting(guard.limiter.read, plan.state_paths, plan.counters, caller) if plan.state_paths else None
            decision = gate_arguments(guard.policy, spec.name, dumped, values)
        equivalents = self._equivalents(args)
        if equivalents:
            state["equivalents"] = list(dict.fromkeys(equivalent.tool for equivalent in equivalents))
            decision = combine(guard.policy, spec.name, decision, equivalents)
        state["decision"] = decision
        if not decision.allowed:
            if not shadow:
                return finish(Outcome.DENIED, Result(True, f"[POLICY DENIED] {decision.reason}"), decision)
            would("would_deny", decision)
        elif shadow and decision.verdict is Verdict.APPROVAL:
            would("would_ask", decision)

        try:
            paths = self._confine(args)
        except ToolFailure as failure:
            return finish(failure.outcome, Result(True, failure.render()), decision)

        limits = plan.limits
        spent = [(counter, dumped) for counter in plan.counters]
        if equivalents:
            limits = [*limits, *equivalent_limits(guard.policy, equivalents)]
            spent += equivalent_counters(guard.policy, equivalents)
        if decision.verdict is Verdict.APPROVAL and not shadow:
            refusal = counting(guard.limiter.check, limits, caller)
            if refusal is not None:
                return finish(Outcome.RATE_LIMITED, Result(True, refusal.render()), decision)
            if dumped is None:  # approval asked for by an equivalent tool's rule, not this tool's plan
                dumped = args.model_dump(mode="json")
            settled = await self._approve(args, dumped, caller, paths, channel)
            if not settled.approved:
                result = Result(not settled.pending, settled.text, pending=settled.pending)
                return finish(settled.outcome, result, decision)

        try:
            reserved = guard.limiter.reserve(limits, caller, spent)
        except IncrementRefused as exc:
            refused = Decision(Verdict.DENY, exc.rule, str(exc))
            if not shadow:
                return finish(Outcome.DENIED, Result(True, f"[POLICY DENIED] {exc}"), refused)
            would("would_deny", refused)
            reserved = Reservation()
        except Exception as exc:  # the store failed (Redis down, ...): a tagged refusal, never a crash
            raise Refused(Outcome.RATE_LIMIT_UNAVAILABLE, RATE_LIMIT_UNAVAILABLE.format(type(exc).__name__)) from None
        states = [counter for counter, _ in spent]
        if isinstance(reserved, Refusal):
            counters = counting(self._counter_states, limits, states, caller)
            if not shadow:
                return finish(Outcome.RATE_LIMITED, Result(True, reserved.render()), decision, counters)
            rule = reserved.limit.counter if reserved.limit is not None else reserved.counter.rule
            would("would_limit", Decision(Verdict.DENY, rule, reserved.render()))
            reserved = Reservation()  # the window is full: nothing is taken, nothing to give back
        try:
            # read by the hit itself, not a second pass (a shadow call whose limit would refuse took nothing)
            counters = state["counters"] = (
                reserved.states if reserved.taken else counting(self._counter_states, limits, states, caller)
            )
            guard.write_intent(
                spec.name, caller, raw, decision, counters, call_id=call_id, equivalents=state["equivalents"]
            )
        except BaseException:
            self._give_back(reserved)  # the call will not run
            raise
        call = Call(caller=caller, runtime=self.context, paths=paths,
                    approved=decision.verdict is Verdict.APPROVAL)
        try:
            if self.is_async:
                value = await spec.handler(args, call)
            else:
                value = await anyio.to_thread.run_sync(spec.handler, args, call)
        except BaseException as raised:
            exc = failure_of(raised)  # the bottom package's file refusals in the guard's words
            # Intercept's rule: a call that reached its tool is charged, whatever the tool answered —
            # an Odoo fault, a crash, a cancellation (the handler may have done its work already).
            # Only a refusal the tool made before it could have any effect gives the quota back.
            if isinstance(exc, ToolFailure) and exc.before_effect:
                self._give_back(reserved)
                with contextlib.suppress(Exception):  # the store went away: the audit keeps the figures from before
                    counters = self._counter_states(limits, states, caller)
            else:
                guard.limiter.commit(reserved)
                state["charged"] = True
            if isinstance(exc, ToolFailure):
                return finish(exc.outcome, Result(True, exc.render()), decision, counters)
            if not isinstance(exc, Exception):  # cancelled, or the process is stopping: the intent gets its outcome
                finish(Outcome.CANCELLED, Result(True, CANCELLED), decision, counters)
                raise
            print(f"tool {spec.name} crashed:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            text = f"[INTERNAL ERROR] {spec.name} failed unexpectedly ({type(exc).__name__}); see the server log"
            return finish(Outcome.CRASHED, Result(True, text), decision, counters)
        guard.limiter.commit(reserved)
        state["charged"] = True

        if isinstance(value, ToolOutput):
            result = Result(False, render_text(value.data), value.data, value.blobs)
        else:
            result = Result(False, render_text(value), value)
        return finish(Outcome.OK, result, decision, counters)

    def _counter_states(self, limits: Any, counters: Any, caller: Caller) -> list[dict[str, Any]]:
        """What remains of every counter the call touches, for the audit record."""
        limiter = self.guard.limiter
        states = limiter.states(limits, caller) if limits else []
        return states + [limiter.counter_state(counter, caller) for counter in counters]

    def _give_back(self, reserved: Any) -> None:
        """Roll a reservation back; a store that fails now costs the caller quota, never the answer."""
        try:
            self.guard.limiter.rollback(reserved)
        except Exception as exc:
            print(f"rate-limit store: could not give back a reservation ({type(exc).__name__})", file=sys.stderr)

    def _validate(self, raw: dict[str, Any]) -> Any:
        """The tool's argument model over the raw arguments (JSON text decoded where allowed)."""
        try:
            decoded = decode_json_strings(raw, self.json_fields) if self.json_fields else raw
            return self.spec.args.model_validate(decoded)
        except ValidationError as exc:
            raise Refused(Outcome.INVALID, f"[INVALID ARGUMENTS] {format_validation(exc)}") from None
        except RecursionError:
            raise Refused(Outcome.INVALID, "[INVALID ARGUMENTS] (arguments): nested too deeply") from None

    async def _canonical(self, args: Any, caller: Caller) -> Any:
        """The tool's canonicalisation step (`ToolSpec.canonical`), off the event loop (it may ask the target)."""
        call = Call(caller=caller, runtime=self.context)
        canonical = self.spec.canonical
        assert canonical is not None
        if inspect.iscoroutinefunction(canonical):
            return await canonical(args, call)
        return await anyio.to_thread.run_sync(canonical, args, call)

    def _equivalents(self, args: Any) -> list[Equivalent]:
        """The dedicated tools this call does the work of (`ToolSpec.equivalents`), if the tool has any."""
        if self.spec.equivalents is None:
            return []
        return list(self.spec.equivalents(args))

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
            resolved[name] = confine(name, value, root, must_exist=marker.must_exist)  # OSError → PathRefused inside
        return resolved

    async def _approve(
        self, args: Any, dumped: dict[str, Any], caller: Caller, paths: dict[str, Path], channel: ChannelSource
    ) -> Settled:
        """The approval step; its question shows the validated call in full and the tool's preview."""
        call = Call(caller=caller, runtime=self.context, paths=paths)
        describe = functools.partial(question_for, self.spec, args, call)
        return await self.guard.approvals.settle(self.spec.name, dumped, caller, channel, describe)
