"""Both policy spellings enforced through the real client over stdio; a call that reached its tool
spends quota whatever it answered, one refused before any effect spends none."""

from __future__ import annotations

import time

import anyio
import pytest

from tests.addons_helpers import copy_stub, stub_env
from tests.harness import guarded_server

pytestmark = pytest.mark.anyio


async def clear_of_the_hour_boundary(margin: float = 15.0) -> None:
    """Intercept windows turn at :00 UTC; a test that counts must not straddle a turn."""
    left = 3600 - time.time() % 3600
    if left < margin:
        await anyio.sleep(left + 0.5)


async def test_hosted_rate_limit_block_and_on_deny(tmp_path):
    """PolicyLayer's ee_link page: `rate_limit: {max, window}` per session; on_deny is what the agent reads."""
    policy = {
        "version": "1",
        "default": "deny",
        "tools": {
            "ee_link": {"rate_limit": {"max": 3, "window": 60}},
            "odoo_unlink": {"action": "deny", "on_deny": "Deleting records is not permitted via AI agents"},
        },
    }
    stub = copy_stub(tmp_path)
    link = {"modules": ["sale_subscription"]}
    async with guarded_server(policy, tmp_path=tmp_path, env=stub_env(stub)) as server:
        assert (await server.call("ee_link", link)).tag is None
        refused = await server.call("ee_link", {**link, "target_dir": "/etc"})  # refused before it linked: free
        assert refused.tag == "PATH REFUSED"
        conflict = await server.call("ee_link", {"modules": ["no_such_module"]})  # the tool answered: charged
        assert conflict.is_error
        assert (await server.call("ee_link", link)).tag is None
        limited = await server.call("ee_link", link)
        assert limited.text.startswith("[RATE LIMITED] rate_limit.ee_link: 3 per 60 s (session), retry in ")
        denied = await server.call("odoo_unlink", {"model": "res.partner", "ids": [1]})
        assert denied.text == "[POLICY DENIED] Deleting records is not permitted via AI agents"
        outcomes = [(r["tool"], r["outcome"], r["charged"]) for r in server.audit_records()]
        assert outcomes[:5] == [("ee_link", "ok", True), ("ee_link", "path_refused", False),
                                ("ee_link", "failed", True), ("ee_link", "ok", True),
                                ("ee_link", "rate_limited", False)]  # fmt: skip
        assert outcomes[-1] == ("odoo_unlink", "denied", False)


INTERCEPT_POLICY = """\
version: "1"
description: "guard_echo spends a daily budget of units; deleting is off; 6 calls an hour in all"
tools:
  guard_echo:
    rules:
      - name: daily unit budget
        conditions:
          - path: state.guard_echo.units
            op: lte
            value: 10
        on_deny: "Budget of 10 units a day is spent"
        state:
          counter: units
          window: day
          increment_from: args.count
  odoo_unlink:
    rules:
      - name: never delete
        action: deny
        on_deny: "Deleting is not permitted via AI agents"
  "*":
    rules:
      - name: global rate limit
        rate_limit: 6/hour
"""


async def test_intercept_yaml_policy_is_enforced(tmp_path):
    await clear_of_the_hour_boundary()
    path = tmp_path / "policy.yaml"
    path.write_text(INTERCEPT_POLICY)
    async with guarded_server(path, tmp_path=tmp_path, echo=True) as server:
        assert "default: not given, so 'allow'" in server.stderr_text()

        async def echo(**arguments) -> str | None:
            result = await server.call("guard_echo", arguments)
            return result.text if result.is_error else None

        assert await echo(count=4) is None  # units 4, calls 1
        assert (await echo(count=4, fail=True)).startswith("[TOOL ERROR]")  # it reached the tool: units 8, calls 2
        assert (await echo(count=2, crash=True)).startswith("[INTERNAL ERROR]")  # so did this: units 10, calls 3
        over = await echo(count=1)
        assert over.startswith("[RATE LIMITED] state.guard_echo.units: 10 per day (UTC, global), retry in ")
        assert over.endswith(": Budget of 10 units a day is spent")
        assert await echo(count=0) is None  # units 10, calls 4 (the refused call took nothing)
        denied = await server.call("odoo_unlink", {"model": "res.partner", "ids": [1]})
        assert denied.text == "[POLICY DENIED] Deleting is not permitted via AI agents"
        assert not (await server.call("policy_status")).is_error  # unlisted, allowed; "*" counts it: 5
        assert await echo(count=0) is None  # 6
        limited = await echo(count=0)
        assert limited.startswith("[RATE LIMITED] state._global._rate_hour: 6 per hour (UTC, global)")
        assert limited.endswith(": Rate limit of 6 per hour reached. Try again later.")
        record = server.audit_records()[-1]
        counters = {c["counter"]: c for c in record["counters"]}
        assert counters["state.guard_echo.units"]["remaining"] == 0
        assert counters["state._global._rate_hour"]["remaining"] == 0


async def test_increment_from_refuses_a_value_it_cannot_count(tmp_path):
    path = tmp_path / "policy.yml"
    path.write_text(INTERCEPT_POLICY.replace("increment_from: args.count", "increment_from: args.amount"))
    async with guarded_server(path, tmp_path=tmp_path, echo=True) as server:
        negative = await server.call("guard_echo", {"amount": -5})
        assert negative.text == (
            "[POLICY DENIED] args.amount must be a non-negative number (it is counted by tools.guard_echo.rules[0])"
        )
        record = server.audit_records()[-1]
        assert (record["decision"], record["rule"]) == ("deny", "tools.guard_echo.rules[0]")
        assert record["outcome"] == "denied"
        assert (await server.call("guard_echo", {"amount": 2.5})).is_error is False
