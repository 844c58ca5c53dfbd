"""`call.approved` tells a handler that a human approved this exact call — and nothing else does.

A handler may do more with a human's yes than without (`odoo_cert_refresh` pins the certificate
the question showed). Under shadow mode the policy's `require_approval` asks no one, so the
handler must not be told that someone said yes.
"""

from __future__ import annotations

import json

import pytest

from guard.approvals.gate import Channel
from guard.guard import Guard
from guard.policy import parse_text
from guard.spec import Caller, Risk, ToolArgs, ToolSpec

pytestmark = pytest.mark.anyio


def approved(_args: ToolArgs, call) -> dict:
    """Answer whether the guard told this handler that a human approved the call."""
    return {"approved": call.approved}


SPEC = ToolSpec(name="pin_it", family="test", risk=Risk.WRITE, args=ToolArgs, handler=approved, description="")


async def yes(_question: str) -> bool:
    return True


def guard_for(tools: dict, mode: str | None = None) -> Guard:
    policy = {"version": "1", "default": "deny", "tools": tools, **({"mode": mode} if mode else {})}
    guard = Guard(parse_text(json.dumps(policy)))
    guard.wrap(SPEC)
    return guard


@pytest.mark.parametrize(
    ("tools", "mode", "expected"),
    [
        ({"pin_it": {"action": "require_approval"}}, None, True),  # a human said yes
        ({"pin_it": {"action": "require_approval"}}, "shadow", False),  # nobody was asked
        ({"pin_it": {}}, None, False),  # allowed, never asked
        ({"*": {"action": "require_approval"}, "pin_it": {}}, None, True),  # asked through the wildcard
    ],
)
async def test_a_handler_hears_approved_only_after_a_human_said_yes(tools, mode, expected):
    result = await guard_for(tools, mode).tools["pin_it"]({}, Caller("alice", "s"), Channel(ask=yes))
    assert not result.is_error, result.text
    assert json.loads(result.text) == {"approved": expected}
