"""The guard decorator: the one way a tool handler becomes callable.

`Guard.wrap(spec)` returns a `GuardedTool`. Calling it runs, in order: the policy's
tool gate, argument validation (the tool's pydantic model), the tool's canonicalisation step
if it has one (`ToolSpec.canonical`: values as the target will store them), the policy's conditions,
path confinement, approval, rate limits — and only then the handler. Whatever the
outcome, an audit record is written and the caller gets a `Result` whose error text
starts with a tag (`[POLICY DENIED]`, `[INVALID ARGUMENTS]`, ...). A refused call never
reaches the handler and leaves no side effect.

Each of those is one method of `GuardedTool`, called in that order by `_run` over one
`CallState` (what the call asked and what each step found); a step that refuses raises
`Refused`, answered and audited in one place. Shadow mode is one switch, `CallState.enforced`:
where the policy would deny, limit or ask, shadow mode writes down what it would have done
(the outcome record's `shadow`) and lets the call go on.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
from pydantic import ValidationError

from foundation import fastjson
from guard.approvals.gate import Approvals, ChannelSource
from guard.approvals.question import question_for
from guard.approvals.store import MemoryApprovalStore
from guard.audit import AuditLog, AuditUnavailable
from guard.decisions import Decision, Plan, Verdict, gate_arguments, gate_tool, plan_for
from guard.equivalence import combine, equivalent_counters, equivalent_limits
from guard.limiter import IncrementRefused, Limiter, Refusal, Reservation
from guard.paths import confine
from guard.policy import Policy, json_path
from guard.policy_set import PolicySet
from guard.refusals import Outcome, Tag, failure_of
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
    for name, model_field in spec.args.model_fields.items():
        for meta in model_field.metadata:
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
                raise Refused(
                    Outcome.INVALID, f"[{Tag.INVALID_ARGUMENTS}] {name}: JSON text nested too deeply"
                ) from None
            if isinstance(parsed, list | dict):
                decoded = {**decoded, name: parsed}
    return decoded


class Refused(Exception):
    """A call that ends before its handler's answer, raised from one of the pipeline's steps and
    answered and audited in one place (`GuardedTool.__call__`).

    `decision` and `counters` are what the outcome record shows when they are not the call's own so
    far (a counter's refusal names its rule; a full window shows its counters). An approval still
    waiting for its human ends the call the same way, with `pending` set and not as an error.
    """

    def __init__(
        self,
        outcome: str,
        text: str,
        *,
        decision: Decision | None = None,
        counters: list[dict[str, Any]] | None = None,
        pending: Any = None,
    ) -> None:
        super().__init__(text)
        self.outcome = outcome
        self.text = text
        self.decision = decision
        self.counters = counters
        self.pending = pending

    def result(self) -> Result:
        return Result(not self.pending, self.text, pending=self.pending)


RATE_LIMIT_UNAVAILABLE = (
    f"[{Tag.RATE_LIMIT_UNAVAILABLE}] the rate-limit store could not be used ({{}}); nothing was run"
)
AUDIT_UNAVAILABLE = f"[{Tag.AUDIT_UNAVAILABLE}] the call could not be recorded in the audit log, so it was not run"
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
        result = Result(True, f"[{Tag.POLICY_DENIED}] {decision.reason}")
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


@dataclass
class CallState:
    """One call as it goes through the pipeline: what it asked, and what each step found so far.

    The outcome record is written from it whatever step the call ends in (`GuardedTool._finish`).
    """

    raw: Any
    """The arguments as the client sent them (what the audit records)."""
    caller: Caller
    channel: ChannelSource
    call_id: str
    started: float
    shadow: bool = False
    """The policy is in shadow mode: its refusals are written down (`would`), the call goes on."""
    would: list[dict[str, str]] = field(default_factory=list)
    decision: Decision | None = None
    args: Any = None
    """The validated (and canonicalised) arguments."""
    dumped: dict[str, Any] | None = None
    """`args` as JSON values, made when a condition, an approval or a counter needs them."""
    plan: Plan | None = None
    equivalents: list[Equivalent] = field(default_factory=list)
    equivalent_of: list[str] | None = None
    """The dedicated tools this call does the work of, by name (the audit's `equivalent_of`)."""
    asks_human: bool = False
    paths: dict[str, Path] = field(default_factory=dict)
    limits: list[Any] = field(default_factory=list)
    spent: list[tuple[Any, Any]] = field(default_factory=list)
    """(counter, arguments it counts from): the policy's state counters this call spends."""
    reserved: Reservation = field(default_factory=Reservation)
    counters: list[dict[str, Any]] | None = None
    """What remains of every limit and counter the call touches (the audit's `counters`)."""
    charged: bool = False

    def enforced(self, would: str, decision: Decision) -> bool:
        """Whether the policy's refusal (or question) `decision` stands: shadow mode's one switch.

        Under shadow mode nothing the policy says stops a call: what it would have done (`would_deny`,
        `would_limit`, `would_ask`) is kept for the outcome record and the call goes on."""
        if not self.shadow:
            return True
        entry = {"would": would, "rule": decision.rule, "reason": decision.reason}
        if entry not in self.would:  # a tool-level refusal is seen again with the arguments
            self.would.append(entry)
        return False

    @property
    def state_counters(self) -> list[Any]:
        return [counter for counter, _ in self.spent]


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
        raw = arguments if arguments is not None else {}
        state = CallState(raw, caller, channel, uuid.uuid4().hex[:16], started)
        try:
            with self.guard.policies.pinned(caller.grant):  # one policy for the whole call, whatever a reload does
                return await self._run(state)
        except Refused as refused:
            counters = refused.counters if refused.counters is not None else state.counters
            return self._finish(state, refused.outcome, refused.result(), refused.decision or state.decision, counters)
        except Exception as exc:  # a failure of the guard itself: still tagged, still audited
            name = self.spec.name
            print(f"guard failed on {name}:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            text = (
                f"[{Tag.INTERNAL_ERROR}] the guard could not decide on {name} ({type(exc).__name__}); nothing was run"
            )
            return self._finish(state, Outcome.GUARD_ERROR, Result(True, text), state.decision, state.counters)

    async def _run(self, state: CallState) -> Result:
        """The pipeline, top to bottom. A step that refuses raises `Refused`; under shadow mode the
        policy's own refusals are written down instead (`CallState.enforced`) and the call goes on."""
        state.shadow = self.guard.policy.shadow
        self._gate_tool(state)
        self._validate(state)
        await self._canonicalise(state)
        self._gate_arguments(state)
        self._confine(state)
        self._select_limits(state)
        await self._approve(state)
        self._reserve(state)
        self._write_intent(state)
        return await self._execute(state)

    def _finish(
        self,
        state: CallState,
        outcome: str,
        result: Result,
        decision: Decision | None,
        counters: list[dict[str, Any]] | None = None,
    ) -> Result:
        """The outcome record, then the answer."""
        self.guard._audit(
            self.spec.name,
            state.caller,
            state.raw,
            decision,
            outcome,
            result,
            state.started,
            counters,
            call_id=state.call_id,
            equivalents=state.equivalent_of,
            shadow=state.would,
            charged=state.charged,
        )
        return result

    def _gate_tool(self, state: CallState) -> None:
        """1. The policy's tool gate: unknown, hidden, denied or allowed (default deny)."""
        state.decision = decision = gate_tool(self.guard.policy, self.spec.name, known=True)
        if not decision.allowed and state.enforced("would_deny", decision):
            raise Refused(Outcome.DENIED, f"[{Tag.POLICY_DENIED}] {decision.reason}")

    def _validate(self, state: CallState) -> None:
        """2. The tool's argument model over the raw arguments (JSON text decoded where allowed)."""
        raw = state.raw
        if not isinstance(raw, dict):
            raise Refused(Outcome.INVALID, f"[{Tag.INVALID_ARGUMENTS}] (arguments): must be an object")
        try:
            decoded = decode_json_strings(raw, self.json_fields) if self.json_fields else raw
            state.args = self.spec.args.model_validate(decoded)
        except ValidationError as exc:
            raise Refused(Outcome.INVALID, f"[{Tag.INVALID_ARGUMENTS}] {format_validation(exc)}") from None
        except RecursionError:
            raise Refused(Outcome.INVALID, f"[{Tag.INVALID_ARGUMENTS}] (arguments): nested too deeply") from None

    async def _canonicalise(self, state: CallState) -> None:
        """3. The tool's canonicalisation step (`ToolSpec.canonical`): the values as they will be stored,
        before any condition sees them; off the event loop (it may ask the target)."""
        canonical = self.spec.canonical
        if canonical is None:
            return
        call = Call(caller=state.caller, runtime=self.context)
        try:
            if inspect.iscoroutinefunction(canonical):
                state.args = await canonical(state.args, call)
            else:
                state.args = await anyio.to_thread.run_sync(canonical, state.args, call)
        except ToolFailure as failure:
            raise Refused(failure.outcome, failure.render()) from None

    def _gate_arguments(self, state: CallState) -> None:
        """4. The policy on the arguments: `require` / `deny_if` (with the state counters they read), then
        the rules of the dedicated tools this call does the work of (`ToolSpec.equivalents`)."""
        policy, name = self.guard.policy, self.spec.name
        state.plan = plan = plan_for(policy, name)
        decision = state.decision
        if plan.checks or plan.approval is not None or plan.counters:
            state.dumped = state.args.model_dump(mode="json")
            values = (
                counting(self.guard.limiter.read, plan.state_paths, plan.counters, state.caller)
                if plan.state_paths
                else None
            )
            decision = gate_arguments(policy, name, state.dumped, values)
        if self.spec.equivalents is not None:
            state.equivalents = list(self.spec.equivalents(state.args))
        if state.equivalents:
            state.equivalent_of = list(dict.fromkeys(equivalent.tool for equivalent in state.equivalents))
            decision = combine(policy, name, decision, state.equivalents)
        state.decision = decision
        if not decision.allowed and state.enforced("would_deny", decision):
            raise Refused(Outcome.DENIED, f"[{Tag.POLICY_DENIED}] {decision.reason}")
        state.asks_human = decision.verdict is Verdict.APPROVAL and state.enforced("would_ask", decision)

    def _confine(self, state: CallState) -> None:
        """5. Every `PathArg` argument resolved and confined to its root before the handler sees it."""
        try:
            for name, marker in self.paths.items():
                value = getattr(state.args, name)
                if value is None:
                    continue
                root = self.guard.roots.get(marker.root)
                if root is None:
                    raise NotConfigured(f"{name}: the '{marker.root}' root is not configured on this server")
                # OSError → PathRefused inside
                state.paths[name] = confine(name, value, root, must_exist=marker.must_exist)
        except ToolFailure as failure:
            raise Refused(failure.outcome, failure.render()) from None

    def _select_limits(self, state: CallState) -> None:
        """6. The limits and state counters the call spends: its own, and those of its equivalents."""
        policy, plan = self.guard.policy, state.plan
        assert plan is not None
        state.limits = plan.limits
        state.spent = [(counter, state.dumped) for counter in plan.counters]
        if state.equivalents:
            state.limits = [*state.limits, *equivalent_limits(policy, state.equivalents)]
            state.spent += equivalent_counters(policy, state.equivalents)

    async def _approve(self, state: CallState) -> None:
        """7. `require_approval`: the limits checked first (a human is not asked for a call they would
        refuse), then the human, whose question shows the validated call in full and the tool's preview."""
        if not state.asks_human:
            return
        refusal = counting(self.guard.limiter.check, state.limits, state.caller)
        if refusal is not None:
            raise Refused(Outcome.RATE_LIMITED, refusal.render())
        if state.dumped is None:  # approval asked for by an equivalent tool's rule, not this tool's plan
            state.dumped = state.args.model_dump(mode="json")
        call = Call(caller=state.caller, runtime=self.context, paths=state.paths)
        describe = functools.partial(question_for, self.spec, state.args, call)
        settled = await self.guard.approvals.settle(self.spec.name, state.dumped, state.caller, state.channel, describe)
        if not settled.approved:
            raise Refused(settled.outcome, settled.text, pending=settled.pending)

    def _reserve(self, state: CallState) -> None:
        """8. Quota: every limit and counter reserved, all or nothing (given back if the call does not run)."""
        try:
            reserved = self.guard.limiter.reserve(state.limits, state.caller, state.spent)
        except IncrementRefused as exc:
            refused = Decision(Verdict.DENY, exc.rule, str(exc))
            if state.enforced("would_deny", refused):
                raise Refused(Outcome.DENIED, f"[{Tag.POLICY_DENIED}] {exc}", decision=refused) from None
            reserved = Reservation()
        except Exception as exc:  # the store failed (Redis down, ...): a tagged refusal, never a crash
            raise Refused(Outcome.RATE_LIMIT_UNAVAILABLE, RATE_LIMIT_UNAVAILABLE.format(type(exc).__name__)) from None
        if isinstance(reserved, Refusal):
            counters = counting(self._counter_states, state)
            rule = reserved.limit.counter if reserved.limit is not None else reserved.counter.rule
            if state.enforced("would_limit", Decision(Verdict.DENY, rule, reserved.render())):
                raise Refused(Outcome.RATE_LIMITED, reserved.render(), counters=counters)
            reserved = Reservation()  # the window is full: nothing is taken, nothing to give back
        state.reserved = reserved

    def _write_intent(self, state: CallState) -> None:
        """9. Write-ahead audit: the intent record, whole, or the call does not run (its quota given back)."""
        try:
            # read by the hit itself, not a second pass (a shadow call whose limit would refuse took nothing)
            state.counters = state.reserved.states if state.reserved.taken else counting(self._counter_states, state)
            self.guard.write_intent(
                self.spec.name, state.caller, state.raw, state.decision, state.counters,
                call_id=state.call_id, equivalents=state.equivalent_of,
            )  # fmt: skip
        except BaseException:
            self._give_back(state.reserved)  # the call will not run
            raise

    async def _execute(self, state: CallState) -> Result:
        """10. The handler, its quota charged (Intercept's rule) or given back, and its answer."""
        assert state.decision is not None
        # a human said yes to this exact call (`_approve` refused otherwise); shadow mode asked no one
        call = Call(caller=state.caller, runtime=self.context, paths=state.paths, approved=state.asks_human)
        try:
            if self.is_async:
                value = await self.spec.handler(state.args, call)
            else:
                value = await anyio.to_thread.run_sync(self.spec.handler, state.args, call)
        except BaseException as exc:
            return self._failed(state, failure_of(exc))  # the bottom package's file refusals in the guard's words
        self.guard.limiter.commit(state.reserved)
        state.charged = True

        if isinstance(value, ToolOutput):
            result = Result(False, render_text(value.data), value.data, value.blobs)
        else:
            result = Result(False, render_text(value), value)
        return self._finish(state, Outcome.OK, result, state.decision, state.counters)

    def _failed(self, state: CallState, exc: BaseException) -> Result:
        """A handler that raised. Intercept's rule: a call that reached its tool is charged, whatever the
        tool answered — an Odoo fault, a crash, a cancellation (the handler may have done its work
        already). Only a refusal the tool made before it could have any effect gives the quota back."""
        if isinstance(exc, ToolFailure) and exc.before_effect:
            self._give_back(state.reserved)
            with contextlib.suppress(Exception):  # the store went away: the audit keeps the figures from before
                state.counters = self._counter_states(state)
        else:
            self.guard.limiter.commit(state.reserved)
            state.charged = True
        if isinstance(exc, ToolFailure):
            return self._finish(state, exc.outcome, Result(True, exc.render()), state.decision, state.counters)
        if not isinstance(exc, Exception):  # cancelled, or the process is stopping: the intent gets its outcome
            self._finish(state, Outcome.CANCELLED, Result(True, CANCELLED), state.decision, state.counters)
            raise exc
        print(f"tool {self.spec.name} crashed:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        text = f"[{Tag.INTERNAL_ERROR}] {self.spec.name} failed unexpectedly ({type(exc).__name__}); see the server log"
        return self._finish(state, Outcome.CRASHED, Result(True, text), state.decision, state.counters)

    def _counter_states(self, state: CallState) -> list[dict[str, Any]]:
        """What remains of every counter the call touches, for the audit record."""
        limiter = self.guard.limiter
        states = limiter.states(state.limits, state.caller) if state.limits else []
        return states + [limiter.counter_state(counter, state.caller) for counter in state.state_counters]

    def _give_back(self, reserved: Any) -> None:
        """Roll a reservation back; a store that fails now costs the caller quota, never the answer."""
        try:
            self.guard.limiter.rollback(reserved)
        except Exception as exc:
            print(f"rate-limit store: could not give back a reservation ({type(exc).__name__})", file=sys.stderr)
