"""Replay: what would a candidate policy have decided on calls the audit log recorded?

Every outcome record (`tool_call`) carries what a decision needs: the tool, the grant, the
session, the time and the arguments as recorded (after redaction). `replay` re-decides each
one under the candidate policy, in recorded time order, with the candidate's limits counted on
a simulated clock (the record's time), and compares the result with what the recorded policy
decided. Pure: records in, a `ReplayReport` out. An offline tool of the CLI (`odoo-mcp policy
replay`, `policy_commands.py`), not a step of the call pipeline: it reads the guard's public
vocabulary (decisions, the audit's `Outcome`s, the limiter's `increment_of` and `window_bounds`).

Each call falls in one of four classes, before and after:
`allowed`, `denied` (a policy rule or default, a hidden or unknown tool), `limited` (a rate
limit or an Intercept counter cap), `ask` (needs a human's approval). A record of a call made
in shadow mode counts as what the policy would have done (`would_deny` → denied, ...).

What replay cannot know, and how it treats it:
- a call the recorded policy refused but the candidate allows is assumed to reach its tool, so
  it spends the candidate's quota; a recorded call spends it as the guard charged it (the
  outcome record's `charged`: every call that reached its tool, whatever it answered — an Odoo
  error, a crash, a cancellation — and none refused before it could have any effect; records
  written before `charged` existed are read by their outcome: `ok`, `failed`, `crashed` and
  `cancelled` reached the tool);
- arguments the audit redacted (`***`) are decided on as redacted;
- records that never reached a policy decision (invalid arguments, a store or audit outage,
  a path refusal after the policy allowed the call) keep their class only in phase one: they
  are counted as `skipped` when the candidate allows the tool at all;
- approvals are not replayed: `ask` stays `ask`.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from guard.decisions import StateCounter, Verdict, gate_arguments, gate_tool, plan_for
from guard.limiter import IncrementRefused, increment_of, window_bounds
from guard.policy import Limit, Policy
from guard.refusals import Outcome

ALLOWED, DENIED, LIMITED, ASK = "allowed", "denied", "limited", "ask"
NOT_DECIDED = frozenset({
    Outcome.INVALID, Outcome.GUARD_ERROR, Outcome.AUDIT_UNAVAILABLE, Outcome.RATE_LIMIT_UNAVAILABLE,
    Outcome.PATH_REFUSED,
})  # fmt: skip
REACHED_THE_TOOL = frozenset({Outcome.OK, Outcome.FAILED, Outcome.CRASHED, Outcome.CANCELLED})
"""Outcomes of calls that reached their tool, for records without `charged`."""
APPROVAL_OUTCOMES = frozenset({
    Outcome.APPROVAL_REQUESTED, Outcome.APPROVAL_PENDING, Outcome.APPROVAL_DECLINED, Outcome.APPROVAL_REFUSED,
})  # fmt: skip
WOULD = {"would_deny": DENIED, "would_limit": LIMITED, "would_ask": ASK}
Normalise = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class RecordedCall:
    """One recorded call, as replay needs it."""

    index: int
    time: float
    tool: str
    grant: str
    session: str
    arguments: Mapping[str, Any]
    before: str
    before_rule: str | None
    charged: bool
    """The call counted against quota (it reached its tool): it spends the candidate's quota too."""
    decided: bool


@dataclass(frozen=True)
class Change:
    call: RecordedCall
    after: str
    after_rule: str | None

    @property
    def transition(self) -> str:
        return f"{self.call.before} → {self.after}"


@dataclass
class ReplayReport:
    total: int = 0
    skipped: int = 0
    unchanged: int = 0
    changes: list[Change] = field(default_factory=list)

    def groups(self) -> dict[tuple[str, str, str], list[Change]]:
        """(transition, tool, rule that decides now — or decided before, for → allowed) → changes."""
        grouped: dict[tuple[str, str, str], list[Change]] = defaultdict(list)
        for change in self.changes:
            rule = change.after_rule if change.after != ALLOWED else change.call.before_rule
            grouped[(change.transition, change.call.tool, rule or "-")].append(change)
        return dict(sorted(grouped.items()))

    def render(self, examples: int = 3) -> str:
        lines = [
            f"{self.total} recorded calls replayed: {len(self.changes)} would change, "
            f"{self.unchanged} unchanged, {self.skipped} skipped (no policy decision recorded)"
        ]
        for (transition, tool, rule), changes in self.groups().items():
            lines.append(f"  {transition}  {tool}  (rule {rule}): {len(changes)}")
            for change in changes[:examples]:
                call = change.call
                stamp = datetime.fromtimestamp(call.time).astimezone().isoformat(timespec="seconds")
                lines.append(f"      #{call.index} {stamp} grant={call.grant} session={call.session} "
                             f"args={_short(call.arguments)}")
        return "\n".join(lines)


def _short(value: Any, limit: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _time(record: Mapping[str, Any]) -> float:
    raw = record.get("time")
    if isinstance(raw, int | float):
        return float(raw)
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp()


def recorded_class(record: Mapping[str, Any]) -> tuple[str, str | None]:
    """What the recorded policy decided: (class, rule)."""
    for would in record.get("shadow") or ():
        return WOULD.get(would.get("would"), DENIED), would.get("rule")
    outcome = record.get("outcome")
    rule = record.get("rule")
    if outcome == Outcome.DENIED:
        return DENIED, rule
    if outcome == Outcome.RATE_LIMITED:
        counters = [c for c in record.get("counters") or () if c.get("remaining") == 0]
        return LIMITED, counters[0]["counter"] if counters else rule
    if outcome in APPROVAL_OUTCOMES or record.get("decision") == Verdict.APPROVAL.value:
        return ASK, rule
    return ALLOWED, rule


def charged(record: Mapping[str, Any]) -> bool:
    """Whether a recorded call counted against quota: its `charged`, else read from its outcome."""
    value = record.get("charged")
    if isinstance(value, bool):
        return value
    return record.get("outcome") in REACHED_THE_TOOL


def calls_from(records: Iterable[Mapping[str, Any]]) -> list[RecordedCall]:
    """The outcome records, in recorded time order (stable for equal times)."""
    calls = []
    for index, record in enumerate(records, start=1):
        if record.get("event") != "tool_call" or not record.get("tool"):
            continue
        before, rule = recorded_class(record)
        arguments = record.get("arguments")
        calls.append(
            RecordedCall(
                index=index,
                time=_time(record),
                tool=str(record["tool"]),
                grant=str(record.get("grant") or ""),
                session=str(record.get("session") or ""),
                arguments=arguments if isinstance(arguments, dict) else {},
                before=before,
                before_rule=rule,
                charged=charged(record),
                decided=record.get("outcome") not in NOT_DECIDED,
            )
        )
    return sorted(calls, key=lambda call: call.time)


def _owner(scope: str, call: RecordedCall) -> str:
    return {"grant": call.grant, "session": f"{call.grant}/{call.session}", "global": "*"}[scope]


class SimulatedCounters:
    """The limiter's two kinds of counter, exact, on the records' clock.

    Moving window (policy `limits`): at most `max` hits in any `window` seconds. Intercept
    counters (`state`): a sum per calendar-aligned UTC window, capped."""

    def __init__(self) -> None:
        self._hits: dict[tuple[Any, ...], list[float]] = defaultdict(list)
        self._sums: dict[tuple[Any, ...], int] = defaultdict(int)

    def _window_key(self, limit: Limit, call: RecordedCall) -> tuple[Any, ...]:
        return (limit.counter, limit.scope, _owner(limit.scope, call), limit.max, limit.seconds)

    def _in_window(self, key: tuple[Any, ...], seconds: int, now: float) -> int:
        hits = self._hits[key]
        return len(hits) - bisect.bisect_right(hits, now - seconds)

    def _sum_key(self, counter: StateCounter, call: RecordedCall) -> tuple[Any, ...]:
        start, _ = window_bounds(counter.seconds, call.time)
        return (counter.path, counter.scope, _owner(counter.scope, call), start)

    def value(self, counter: StateCounter, call: RecordedCall) -> int:
        return self._sums.get(self._sum_key(counter, call), 0)

    def refusal(
        self, limits: Iterable[Limit], counters: Iterable[tuple[StateCounter, int]], call: RecordedCall
    ) -> str | None:
        """The counter that would refuse `call` now, or None."""
        seen = set()
        for limit in limits:
            if limit.counter in seen:
                continue
            seen.add(limit.counter)
            if self._in_window(self._window_key(limit, call), limit.seconds, call.time) >= limit.max:
                return limit.counter
        for counter, amount in counters:
            if counter.cap is not None and self.value(counter, call) + amount > counter.cap:
                return counter.rule
        return None

    def spend(self, limits: Iterable[Limit], counters: Iterable[tuple[StateCounter, int]], call: RecordedCall) -> None:
        seen = set()
        for limit in limits:
            if limit.counter not in seen:
                seen.add(limit.counter)
                self._hits[self._window_key(limit, call)].append(call.time)
        for counter, amount in counters:
            self._sums[self._sum_key(counter, call)] += amount


def replay(
    policy: Policy,
    records: Iterable[Mapping[str, Any]],
    *,
    known: Callable[[str], bool] = lambda _name: True,
    normalise: Normalise | None = None,
) -> ReplayReport:
    """Re-decide every recorded call under `policy`; `known` says which tool names the server has,
    `normalise` turns recorded arguments into what the tool's validation would give (defaults)."""
    report = ReplayReport()
    counters = SimulatedCounters()
    for call in calls_from(records):
        report.total += 1
        after, rule = _decide(policy, call, counters, known, normalise)
        if after is None:
            report.skipped += 1
        elif after == call.before:
            report.unchanged += 1
        else:
            report.changes.append(Change(call, after, rule))
    return report


def _decide(
    policy: Policy,
    call: RecordedCall,
    counters: SimulatedCounters,
    known: Callable[[str], bool],
    normalise: Normalise | None,
) -> tuple[str | None, str | None]:
    first = gate_tool(policy, call.tool, known=known(call.tool))
    if not first.allowed:
        return DENIED, first.rule
    if not call.decided:
        return None, None
    arguments = normalise(call.tool, call.arguments) if normalise else call.arguments
    plan = plan_for(policy, call.tool)
    values = {counter.path: counters.value(counter, call) for counter in plan.counters}
    decision = gate_arguments(policy, call.tool, arguments, values)
    if not decision.allowed:
        return DENIED, decision.rule
    spent = []
    for counter in plan.counters:
        try:
            amount = increment_of(counter, arguments)  # as the limiter counts it
        except IncrementRefused:  # the guard denies a call whose counted argument is unusable
            return DENIED, counter.rule
        spent.append((counter, amount))
    limits = list(plan.limits)
    if decision.verdict is Verdict.APPROVAL:
        refused = counters.refusal(limits, spent, call)
        if refused is not None:
            return LIMITED, refused
        if call.before == ASK and call.charged:
            counters.spend(limits, spent, call)
        return ASK, decision.rule
    refused = counters.refusal(limits, spent, call)
    if refused is not None:
        return LIMITED, refused
    if call.charged or call.before != ALLOWED:
        counters.spend(limits, spent, call)
    return ALLOWED, decision.rule
