"""The audit records what remains of every counter after the call took its share (in process).

The figures come from the hit itself (`Reservation.states`), not from a second read of the store;
they must still be exactly what a read of the store says right after the call.
"""

from __future__ import annotations

import json

import pytest

from guard.audit import AuditLog
from guard.guard import Guard
from guard.limiter import Limiter
from guard.policy import parse_policy, parse_text
from guard.spec import Caller
from tests.echo_server import ECHO

pytestmark = pytest.mark.anyio

WINDOW_POLICY = {"version": "1", "default": "deny", "tools": {"guard_echo": {
    "limits": [{"counter": "echoes", "window": "hour", "max": 3, "scope": "session"},
               {"counter": "everything", "window": "hour", "max": 10, "scope": "grant"}]}}}
COUNTER_POLICY = """
version: "1"
tools:
  guard_echo:
    rules:
      - name: units
        conditions: [{path: state.guard_echo.units, op: lte, value: 5}]
        state: {counter: units, window: day, increment_from: args.count}
"""


def outcome_records(path) -> list[dict]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return [record for record in records if record.get("phase") == "outcome"]


async def test_window_limits_audited_after_the_hit(tmp_path):
    audit = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    guard = Guard(parse_policy(WINDOW_POLICY), limiter=Limiter(), audit=audit)
    tool = guard.wrap(ECHO)
    caller = Caller()
    for expected in (2, 1, 0):
        assert not (await tool({}, caller)).is_error
        counters = {c["counter"]: c for c in outcome_records(tmp_path / "audit.jsonl")[-1]["counters"]}
        assert counters["echoes"]["remaining"] == expected
        assert counters["everything"]["remaining"] == expected + 7
        assert 0 < counters["echoes"]["reset_in"] <= 3600
        fresh = {s["counter"]: s for s in guard.limiter.states(guard.policy.limits_for("guard_echo"), caller)}
        assert counters["echoes"] == {**fresh["echoes"], "reset_in": counters["echoes"]["reset_in"]}
    audit.close()


async def test_intercept_counters_audited_after_the_increment(tmp_path):
    audit = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    guard = Guard(parse_text(COUNTER_POLICY), limiter=Limiter(), audit=audit)
    tool = guard.wrap(ECHO)
    for count, remaining in ((2, 3), (3, 0)):
        assert not (await tool({"count": count}, Caller())).is_error, count
        record = outcome_records(tmp_path / "audit.jsonl")[-1]
        counters = {c["counter"]: c["remaining"] for c in record["counters"]}
        assert counters["state.guard_echo.units"] == remaining
    audit.close()
