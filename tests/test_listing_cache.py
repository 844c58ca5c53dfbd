"""A stdio start answers its first tools/list from the list the last start with the same inputs
kept (`odoo_mcp.wire.listing_cache`, `odoo_mcp.launch`), and the guard still decides every call.

End to end through the real `mcp` client over stdio (the handshake-era protocol, what desktop
clients speak); the key's inputs and the entry's checks in process.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from odoo_mcp.wire import listing_cache
from tests.harness import guarded_server

pytestmark = pytest.mark.anyio

POLICY = {"version": "1", "default": "deny", "list": "allowed", "tools": {"policy_status": {}, "ee_modules": {}}}


def entries(state_dir: Path) -> list[Path]:
    return sorted((state_dir / "listing-cache").glob("*.json"))


async def test_the_second_start_lists_from_the_cache_and_the_guard_still_decides(tmp_path, state_dir):
    async with guarded_server(POLICY, tmp_path=tmp_path, mode="legacy") as server:
        assert await server.tool_names() == {"policy_status", "ee_modules"}
    [entry] = entries(state_dir)
    kept = json.loads(entry.read_text())
    assert [tool["name"] for tool in kept["tools"]["tools"]] == ["ee_modules", "policy_status"]

    # The entry is what the next start answers from: a tool planted in it shows in the first list...
    planted = {**kept["tools"]["tools"][0], "name": "planted_in_the_cache"}
    entry.write_text(json.dumps({**kept, "tools": {"tools": [*kept["tools"]["tools"], planted]}}))
    async with guarded_server(POLICY, tmp_path=tmp_path, mode="legacy") as server:
        first = await server.tool_names()
        assert "planted_in_the_cache" in first
        # ...but the guard built from the policy decides every call, and the list is set right
        refused = await server.call("planted_in_the_cache", {})
        assert refused.text == "[POLICY DENIED] unknown tool 'planted_in_the_cache'"
        status = await server.call("policy_status", {"tool": "ee_modules"})
        assert status.data["allowed"] is True
        assert await server.tool_names() == {"policy_status", "ee_modules"}
    assert "planted_in_the_cache" not in entries(state_dir)[0].read_text()  # rewritten with the real list


async def test_a_changed_policy_is_another_key(tmp_path, state_dir):
    async with guarded_server(POLICY, tmp_path=tmp_path, mode="legacy") as server:
        assert await server.tool_names() == {"policy_status", "ee_modules"}
    narrower = {**POLICY, "tools": {"policy_status": {}}}
    async with guarded_server(narrower, tmp_path=tmp_path, mode="legacy") as server:
        assert await server.tool_names() == {"policy_status"}
    assert len(entries(state_dir)) == 2


def test_the_key_follows_every_input(tmp_path, monkeypatch):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(POLICY))
    env = {"ODOO_MCP_POLICY": str(policy), "ODOO_URL": "https://odoo.example.com"}
    key = listing_cache.cache_key(["serve"], env)
    assert key is not None and key == listing_cache.cache_key(["serve"], dict(env))
    assert listing_cache.cache_key(["serve"], {**env, "ODOO_URL": "https://other.example.com"}) != key
    assert listing_cache.cache_key(["serve", "--audit-log", "x"], env) != key
    policy.write_text(json.dumps({**POLICY, "default": "allow"}))
    assert listing_cache.cache_key(["serve"], env) != key
    # never cached: HTTP, mounts (their tools are known once they run), no policy, other commands
    assert listing_cache.cache_key(["serve", "--http"], env) is None
    assert listing_cache.cache_key(["serve", "--mount", "x=y"], env) is None
    assert listing_cache.cache_key(["serve"], {**env, "ODOO_MCP_MOUNTS": "m.json"}) is None
    assert listing_cache.cache_key(["serve"], {"ODOO_URL": "x"}) is None
    assert listing_cache.cache_key(["policy", "check"], env) is None


def test_an_entry_is_this_users_alone_and_under_its_own_key(state_dir):
    env = {"ODOO_MCP_STATE_DIR": str(state_dir)}
    tools = {"tools": [{"name": "policy_status", "inputSchema": {"type": "object"}}]}
    listing_cache.store("k1", env, tools)
    assert listing_cache.load("k1", env) == {"key": "k1", "tools": tools}
    path = state_dir / "listing-cache" / "k1.json"
    assert path.stat().st_mode & 0o777 == 0o600
    os.chmod(path, 0o666)  # another user could have written it
    assert listing_cache.load("k1", env) is None
    os.chmod(path, 0o600)
    (state_dir / "listing-cache" / "k2.json").write_text(path.read_text())  # an entry copied under another key
    os.chmod(state_dir / "listing-cache" / "k2.json", 0o600)
    assert listing_cache.load("k2", env) is None
    path.unlink()
    (state_dir / "listing-cache" / "k1.json").symlink_to(state_dir / "listing-cache" / "k2.json")
    assert listing_cache.load("k1", env) is None  # never through a link
