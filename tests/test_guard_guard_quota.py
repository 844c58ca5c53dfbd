"""Only calls that ran spend quota: the guard's reserve → run → commit/rollback, in process.

Each way a call can end is tried against a policy that allows two calls; the failures must
leave both for the calls that run.
"""

from __future__ import annotations

import json

import anyio
import pytest

from guard.approval_gate import Channel
from guard.guard import Guard
from guard.policy import parse_text
from guard.spec import Caller, PathRefused, Risk, ToolFailure, ToolSpec
from tests.echo_server import ECHO, EchoArgs

pytestmark = pytest.mark.anyio


class FlakyArgs(EchoArgs):
    how: str = "ok"


async def flaky(args: FlakyArgs, call) -> dict:
    """Ends the way `how` says."""
    if args.how == "path":
        raise PathRefused("target_dir", "not a configured target")
    if args.how == "odoo":
        raise ToolFailure("Odoo said no")
    if args.how == "crash":
        raise RuntimeError("boom")
    if args.how == "cancel":
        raise anyio.get_cancelled_exc_class()()
    return {"count": args.count}


FLAKY = ToolSpec(name="flaky", family="test", risk=Risk.WRITE, args=FlakyArgs, handler=flaky, description="test")

JSON_POLICY = {
    "version": "1",
    "default": "deny",
    "tools": {
        "flaky": {"rate_limit": {"max": 2, "window": "hour"}},
        "guard_echo": {"action": "require_approval", "rate_limit": {"max": 2, "window": "hour"}},
    },
}
YAML_POLICY = """
version: "1"
tools:
  flaky:
    rules:
      - name: two units
        conditions: [{path: state.flaky.units, op: lte, value: 2}]
        state: {counter: units, window: day, increment_from: args.count}
"""


def guard_for(policy_text: str) -> Guard:
    guard = Guard(parse_text(policy_text))
    guard.wrap(FLAKY)
    guard.wrap(ECHO)
    return guard


@pytest.mark.parametrize("how", ["path", "odoo", "crash", "cancel"])
@pytest.mark.parametrize("spelling", ["json", "yaml"])
async def test_a_call_that_failed_in_the_handler_spends_nothing(how, spelling):
    guard = guard_for(json.dumps(JSON_POLICY) if spelling == "json" else YAML_POLICY)
    tool = guard.tools["flaky"]
    caller = Caller()
    for _ in range(3):
        if how == "cancel":
            with pytest.raises(anyio.get_cancelled_exc_class()):
                await tool({"how": how, "count": 1}, caller)
        else:
            failed = await tool({"how": how, "count": 1}, caller)
            assert failed.is_error and not failed.text.startswith("[RATE LIMITED]"), failed.text
    assert not (await tool({"count": 1}, caller)).is_error
    assert not (await tool({"count": 1}, caller)).is_error
    assert (await tool({"count": 1}, caller)).text.startswith("[RATE LIMITED]")


async def test_approval_declined_or_pending_spends_nothing():
    guard = guard_for(json.dumps(JSON_POLICY))
    tool = guard.tools["guard_echo"]
    caller = Caller()

    async def declines(_question: str) -> bool:
        return False

    async def approves(_question: str) -> bool:
        return True

    declined, approved = Channel(ask=declines), Channel(ask=approves)
    for _ in range(3):
        assert (await tool({}, caller, declined)).text.startswith("[APPROVAL DECLINED]")
        deferred = Channel(defer=lambda _question, _state: {"ask": "later"})
        assert (await tool({}, caller, deferred)).pending == {"ask": "later"}
    assert not (await tool({}, caller, approved)).is_error
    assert not (await tool({}, caller, approved)).is_error
    assert (await tool({}, caller, approved)).text.startswith("[RATE LIMITED] rate_limit.guard_echo: 2 per hour")
