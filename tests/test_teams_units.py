"""The pure parts of serving a team, in process and table-driven: the grants file, per-grant
policies pinned per call, shadow mode, live reload and `policy init`
(replay: tests/test_guard_replay.py)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from guard.guard import Guard
from guard.policy import PolicyError, parse_text
from guard.policy_set import PolicySet
from guard.spec import Caller
from odoo_mcp.cli import checked_loader
from odoo_mcp.commands.policy_init import ToolInfo, build_policy, catalogue_tools, classify, render_json, render_yaml
from odoo_mcp.config import ConfigError
from odoo_mcp.grants import parse_grants, token_digest
from odoo_mcp.reload import PolicyReloader, reload_interval
from tests.echo_server import ECHO

pytestmark = pytest.mark.anyio
HEX = "ab" * 32


# --- the grants file -------------------------------------------------------------------------

GRANT_CASES = [
    ({"alice": f"sha256:{HEX}"}, {HEX: "alice"}, {}),
    ({"alice": f"sha256:{HEX.upper()}"}, {HEX: "alice"}, {}),
    ({"bob": "clear-token"}, {token_digest("clear-token"): "bob"}, {}),
    ({"ci": {"token": f"sha256:{HEX}", "policy": "ci.yaml"}}, {HEX: "ci"}, {"ci": Path("/etc/odoo-mcp/ci.yaml")}),
    ({"ci": {"token": f"sha256:{HEX}", "policy": "/abs/ci.json"}}, {HEX: "ci"}, {"ci": Path("/abs/ci.json")}),
    ({"ci": {"token": f"sha256:{HEX}"}}, {HEX: "ci"}, {}),
]


@pytest.mark.parametrize(("entries", "digests", "policies"), GRANT_CASES)
def test_grants_file_forms(entries, digests, policies):
    parsed = parse_grants({"grants": entries}, "tokens.json", Path("/etc/odoo-mcp"))
    assert parsed.digests == digests
    assert parsed.policies == policies


BAD_GRANTS = [
    ({"a": "sha256:1234"}, "grants.a: sha256 value must be 64 hex digits"),
    ({"a": {"token": f"sha256:{HEX}", "polcy": "x.json"}}, "grants.a: unknown key 'polcy'"),
    ({"a": {"policy": "x.json"}}, "grants.a: must be a non-empty string token"),
    ({"a": {"token": f"sha256:{HEX}", "policy": ""}}, "grants.a.policy: must be a file name"),
    ({"a": f"sha256:{HEX}", "b": {"token": f"sha256:{HEX}"}}, "grants.b: same token as grants.a"),
    ({}, 'expected {"grants"'),
]


@pytest.mark.parametrize(("entries", "message"), BAD_GRANTS)
def test_bad_grants_files_are_refused_with_the_path(entries, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_grants({"grants": entries}, "tokens.json", Path("."))


def test_approver_files_keep_the_plain_form_only():
    with pytest.raises(ConfigError, match=r"approvers\.carol: must be a non-empty string"):
        parse_grants({"approvers": {"carol": {"token": "x", "policy": "p.json"}}}, "a.json", Path("."), "approvers")


# --- per-grant policies and shadow mode through the real guard ------------------------------

OPEN = {"version": "1", "default": "allow", "tools": {"guard_echo": {"rate_limit": {"max": 2, "window": "hour"}}}}
CLOSED = {"version": "1", "default": "deny", "hide": ["guard_echo"]}


def guard_with(default: dict, by_grant: dict[str, dict] | None = None) -> Guard:
    policies = PolicySet(
        parse_text(json.dumps(default)), {g: parse_text(json.dumps(p)) for g, p in (by_grant or {}).items()}
    )
    guard = Guard(policies)
    guard.wrap(ECHO)
    return guard


async def test_each_grant_is_decided_by_its_own_policy():
    guard = guard_with(OPEN, {"bob": CLOSED})
    alice, bob = Caller("alice", "s1"), Caller("bob", "s2")
    assert not (await guard.tools["guard_echo"]({"text": "hi"}, alice)).is_error
    refused = await guard.tools["guard_echo"]({"text": "hi"}, bob)
    assert refused.text == "[POLICY DENIED] unknown tool 'guard_echo'"
    with guard.policies.pinned("bob"):
        assert not guard.exposes("guard_echo")
    with guard.policies.pinned("alice"):
        assert guard.exposes("guard_echo")


async def test_a_swap_applies_to_the_next_call_not_to_a_running_one():
    guard = guard_with(OPEN)
    with guard.policies.pinned("alice") as pinned:
        guard.policies.swap(None, parse_text(json.dumps(CLOSED)))
        assert guard.policy is pinned  # the running call keeps the policy it started with
    refused = await guard.tools["guard_echo"]({"text": "x"}, Caller("alice", "s"))
    assert refused.is_error  # the next call gets the new one


SHADOW = {
    "version": "1",
    "default": "deny",
    "mode": "shadow",
    "tools": {
        "guard_echo": {
            "deny_if": [{"path": "args.text", "op": "eq", "value": "drop"}],
            "rate_limit": {"max": 1, "window": "hour"},
        }
    },
}


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        ([{"text": "a"}], [[]]),
        ([{"text": "drop"}], [["would_deny"]]),
        ([{"text": "a"}, {"text": "b"}], [[], ["would_limit"]]),
    ],
)
async def test_shadow_mode_runs_every_call_and_records_what_it_would_refuse(calls, expected, tmp_path):
    from guard.audit import AuditLog

    guard = Guard(parse_text(json.dumps(SHADOW)), audit=AuditLog(tmp_path / "a.jsonl", stderr=False))
    guard.wrap(ECHO)
    for arguments in calls:
        assert not (await guard.tools["guard_echo"](arguments, Caller("g", "s"))).is_error
    records = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    outcomes = [r for r in records if r["event"] == "tool_call"]
    assert [r["outcome"] for r in outcomes] == ["ok"] * len(calls)
    assert [[w["would"] for w in r.get("shadow", [])] for r in outcomes] == expected


async def test_shadow_in_the_intercept_spelling_and_asks_too(tmp_path):
    from guard.audit import AuditLog

    policy = parse_text('version: "1"\nmode: shadow\ndefault: deny\ntools: {}\n', "p.yaml", spelling="yaml")
    assert policy.shadow
    approval = parse_text(json.dumps({**SHADOW, "tools": {"guard_echo": {"action": "require_approval"}}}))
    guard = Guard(approval, audit=AuditLog(tmp_path / "a.jsonl", stderr=False))
    guard.wrap(ECHO)
    assert not (await guard.tools["guard_echo"]({"text": "x"}, Caller("g", "s"))).is_error
    record = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()][-1]
    assert record["shadow"] == [{"would": "would_ask", "rule": "tools.guard_echo.action", "reason": ""}]


# --- live reload --------------------------------------------------------------------------------


def test_reload_swaps_a_valid_file_refuses_a_broken_one_and_ignores_a_touch(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(OPEN))
    load = checked_loader(["guard_echo"])
    policies = PolicySet(load(path))
    reloader = PolicyReloader(policies, {None: path}, load)
    first = policies.default

    os.utime(path, ns=(1, 1))  # touched, same content
    assert reloader.check() == []
    assert policies.default is first

    path.write_text(json.dumps({**OPEN, "hide": ["guard_echo"]}))
    os.utime(path, ns=(2, 2))
    assert reloader.check() == [(None, "waiting")]  # read once it stood still over two polls
    assert policies.default is first
    assert reloader.check() == [(None, "reloaded")]
    assert policies.default.hides("guard_echo")
    good = policies.default

    path.write_text(json.dumps({**OPEN, "hide": ["guard_echo"], "tools": {"odoo_serch": {}}}))  # a typo
    os.utime(path, ns=(3, 3))
    assert reloader.check() == [(None, "waiting")]
    assert reloader.check() == [(None, "refused")]
    assert policies.default is good

    path.write_text("{not json")
    os.utime(path, ns=(4, 4))
    assert reloader.check() == [(None, "waiting")]
    assert reloader.check() == [(None, "refused")]
    assert policies.default is good


@pytest.mark.parametrize(
    ("raw", "seconds"), [(None, 2.0), ("0", 0.0), ("off", 0.0), ("0.5", 0.5), ("bad", None), ("-1", None)]
)
def test_reload_interval(raw, seconds):
    env = {} if raw is None else {"ODOO_MCP_POLICY_RELOAD": raw}
    if seconds is None:
        with pytest.raises(ConfigError, match="ODOO_MCP_POLICY_RELOAD"):
            reload_interval(env)
    else:
        assert reload_interval(env) == seconds


# --- policy init ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "kind"),
    [
        (ToolInfo("odoo_search_read", "read", "odoo"), "read"),
        (ToolInfo("odoo_write", "write", "odoo"), "write"),
        (ToolInfo("odoo_unlink", "destructive", "odoo"), "approval"),
        (ToolInfo("odoo_module_install", "execute", "odoo"), "approval"),
        (ToolInfo("odoo_execute", "execute", "odoo"), "approval"),
        (ToolInfo("ee_link", "write", "enterprise"), "filesystem"),
        (ToolInfo("ee_search", "read", "enterprise"), "read"),
        (ToolInfo("odoo_report", "write", "odoo", touches_files=True), "filesystem"),
        (ToolInfo("cf__purge", "unknown", "mount"), "approval"),
        (ToolInfo("policy_status", "read", "meta"), "meta"),
    ],
)
def test_init_classes(tool, kind):
    assert classify(tool) == kind


def test_init_writes_policies_that_load_in_both_spellings_and_pass_the_name_check(tmp_path):
    tools = catalogue_tools()
    load = checked_loader()
    (tmp_path / "p.json").write_text(render_json(tools, ["ee_link"]))
    (tmp_path / "p.yaml").write_text(render_yaml(tools, ["ee_link"]))
    as_json, as_yaml = load(tmp_path / "p.json"), load(tmp_path / "p.yaml")
    assert as_json.default == as_yaml.default == "deny"
    assert as_json.tools["odoo_unlink"].action == "require_approval"
    assert as_json.tools["oca_link"].action == "deny"
    assert as_json.tools["ee_link"].action == "allow"  # named with --allow
    assert [c.model_dump(exclude_none=True)["op"] for c in as_json.tools["odoo_write"].deny_if] == ["in", "len_gt"]
    assert "# odoo_unlink: destructive" in (tmp_path / "p.yaml").read_text()
    from guard import decide

    assert not decide(as_json, "odoo_write", {"model": "res.users", "ids": [1], "values": {}}).allowed
    assert decide(as_json, "odoo_write", {"model": "res.partner", "ids": [1], "values": {}}).allowed
    assert not decide(as_yaml, "odoo_write", {"model": "res.users", "ids": [1], "values": {}}).allowed
    assert not decide(as_yaml, "odoo_write", {"model": "res.partner", "ids": list(range(101)), "values": {}}).allowed
    assert decide(as_yaml, "odoo_write", {"model": "res.partner", "ids": [1], "values": {}}).allowed
    assert build_policy(tools)["tools"]["ee_link"]["action"] == "deny"  # not named: denied


def test_a_broken_policy_is_a_policy_error_for_the_loader(tmp_path):
    (tmp_path / "p.json").write_text('{"version": "2"}')
    with pytest.raises(PolicyError):
        checked_loader()(tmp_path / "p.json")


def test_sighup_makes_the_reloader_look_at_once(tmp_path):
    import signal
    import time

    path = tmp_path / "policy.json"
    path.write_text(json.dumps(OPEN))
    load = checked_loader(["guard_echo"])
    policies = PolicySet(load(path))
    reloader = PolicyReloader(policies, {None: path}, load)
    previous = signal.getsignal(signal.SIGHUP)
    reloader.start(0)  # no polling: only SIGHUP
    try:
        path.write_text(json.dumps({**OPEN, "hide": ["guard_echo"]}))
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = time.monotonic() + 5
        while not policies.default.hides("guard_echo") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert policies.default.hides("guard_echo")
    finally:
        reloader.stop()
        signal.signal(signal.SIGHUP, previous)


async def test_counters_survive_a_reload_when_their_definition_is_unchanged():
    guard = guard_with(OPEN)
    caller = Caller("g", "s")
    echo = guard.tools["guard_echo"]
    assert not (await echo({"text": "1"}, caller)).is_error
    guard.policies.swap(None, parse_text(json.dumps({**OPEN, "description": "same limit, new text"})))
    assert not (await echo({"text": "2"}, caller)).is_error
    assert (await echo({"text": "3"}, caller)).text.startswith("[RATE LIMITED]")  # 2 an hour, across the reload
    bigger = {**OPEN, "tools": {"guard_echo": {"rate_limit": {"max": 3, "window": "hour"}}}}
    guard.policies.swap(None, parse_text(json.dumps(bigger)))
    assert not (await echo({"text": "4"}, caller)).is_error  # a new definition is a new counter


async def test_shadow_lists_and_runs_a_hidden_tool_and_records_the_hide(tmp_path):
    from guard.audit import AuditLog

    policy = parse_text(json.dumps({"version": "1", "default": "allow", "mode": "shadow", "hide": ["guard_echo"]}))
    guard = Guard(policy, audit=AuditLog(tmp_path / "a.jsonl", stderr=False))
    guard.wrap(ECHO)
    assert guard.exposes("guard_echo")
    assert not (await guard.tools["guard_echo"]({"text": "x"}, Caller("g", "s"))).is_error
    record = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()][-1]
    assert [(w["would"], w["rule"]) for w in record["shadow"]] == [("would_deny", "hide")]
