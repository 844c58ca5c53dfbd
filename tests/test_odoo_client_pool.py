"""One slow Odoo does not stall calls to another: RPC runs in worker threads, off the event loop."""

from __future__ import annotations

import json

import anyio
import pytest

from tests.harness import guarded_server
from tests.odoo_double import ADMIN, OdooDouble

pytestmark = pytest.mark.anyio


async def test_a_fast_odoo_answers_while_a_slow_one_is_still_working(tmp_path):
    with OdooDouble() as slow, OdooDouble() as fast:
        connections = [
            {"alias": name, "url": double.url, "db": double.db, "username": ADMIN["login"],
             "password": ADMIN["password"], "protocol": "jsonrpc"}
            for name, double in (("slow", slow), ("fast", fast))
        ]  # fmt: skip
        (tmp_path / "connections.json").write_text(json.dumps({"connections": connections}))
        env = {"CONNECTIONS_FILE": str(tmp_path / "connections.json"), "ODOO_TIMEOUT": "30"}
        policy = {"version": "1", "default": "deny", "tools": {"odoo_search_count": {}}}
        async with guarded_server(policy, tmp_path=tmp_path, env=env) as server:
            for alias in ("slow", "fast"):  # log in first, so only the counted calls are compared
                assert not (
                    await server.call("odoo_search_count", {"connection": alias, "model": "res.partner"})
                ).is_error
            slow.behaviour.delay = 3.0
            finished: list[str] = []

            async def count(alias: str) -> None:
                result = await server.call("odoo_search_count", {"connection": alias, "model": "res.partner"})
                assert not result.is_error, result.text
                finished.append(alias)

            async with anyio.create_task_group() as group:
                group.start_soon(count, "slow")
                await anyio.sleep(0.2)  # the slow call is in flight
                group.start_soon(count, "fast")
            assert finished == ["fast", "slow"]
