"""What a new user meets first: the start line, start refusals, the audit default, "list": "allowed".

In process: the server's pieces as `serve` assembles them (`build_guard`, `startup`), no subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from guard.policy import PolicyError, parse_policy
from guard.spec import Call, Caller
from odoo_mcp.config import ConfigError, Roots, Settings, default_audit_log
from odoo_mcp.families import all_specs
from odoo_mcp.server import build_guard
from odoo_mcp.startup import check_directories, refusal_line, start_line
from tests.harness import REPO, guarded_server
from tools.status.policy_status import PolicyStatusArgs, StatusContext, policy_status

CATALOGUE = len(all_specs())


def guard_for(document: dict, tmp_path: Path, **settings):
    settings = Settings(policy_path=tmp_path / "policy.json", audit_log=tmp_path / "audit.jsonl", **settings)
    guard, runtime = build_guard(settings, parse_policy(document))
    return settings, guard, runtime


LISTING = {
    "version": "1",
    "default": "deny",
    "hide": ["ee_deploy"],
    "tools": {"policy_status": {}, "ee_link": {"deny_if": [{"arg": "modules", "op": "len_gt", "value": 5}]},
              "odoo_unlink": {"action": "deny"}, "odoo_create": {"action": "require_approval"}},
}  # fmt: skip


def test_list_allowed_lists_only_callable_tools(tmp_path):
    _, guard, runtime = guard_for({**LISTING, "list": "allowed"}, tmp_path)
    assert [t.name for t in guard.listed()] == ["ee_link", "odoo_create", "policy_status"]
    assert not guard.lists("odoo_unlink") and not guard.lists("ee_deploy") and not guard.lists("odoo_write")
    call = Call(caller=Caller(), runtime=StatusContext(guard))  # its context: the guard
    status = policy_status(PolicyStatusArgs(), call)
    assert [group["tools"] for group in status["denied"]] == [["odoo_unlink"]]  # policy_status still tells
    assert status["not_listed"]["count"] == CATALOGUE - 5  # everything: what the policy does not list, counted
    one = policy_status(PolicyStatusArgs(tool="odoo_write"), call)
    assert one["allowed"] is False and 'add "odoo_write" under "tools"' in one["reason"]
    assert "ee_deploy" not in json.dumps(status)  # but never mentions a hidden tool
    assert policy_status(PolicyStatusArgs(tool="ee_deploy"), call)["reason"] == "unknown tool 'ee_deploy'"
    runtime.close()


def test_list_all_is_the_default_and_shows_denied_tools(tmp_path):
    _, guard, runtime = guard_for(LISTING, tmp_path)
    names = [t.name for t in guard.listed()]
    assert len(names) == CATALOGUE - 1
    assert "odoo_unlink" in names and "ee_deploy" not in names
    runtime.close()


def test_start_line_says_version_policy_transport_counts_and_audit(tmp_path):
    settings, guard, runtime = guard_for({**LISTING, "list": "allowed"}, tmp_path)
    line = start_line(settings, guard)
    assert "\n" not in line
    assert line.startswith("odoo-mcp 0.1.0: policy ")
    assert f"{tmp_path / 'policy.json'} (default deny, list allowed)" in line
    assert f"; stdio; {CATALOGUE} tools: 3 listed, 3 allowed, 1 hidden;" in line
    assert line.endswith(f"audit -> {tmp_path / 'audit.jsonl'}")
    http = start_line(settings, guard, http_url="http://127.0.0.1:8765/mcp")
    assert "; streamable HTTP at http://127.0.0.1:8765/mcp;" in http
    runtime.close()


def test_audit_goes_to_a_file_in_the_state_folder_by_default(tmp_path):
    settings = Settings.load(policy="p.json", env={"HOME": str(tmp_path)})
    assert settings.audit_stderr is False
    assert settings.audit_log == default_audit_log({"HOME": str(tmp_path)})
    asked = Settings.load(policy="p.json", env={"HOME": str(tmp_path), "ODOO_MCP_AUDIT_STDERR": "1"})
    assert asked.audit_stderr is True and asked.audit_log is not None
    only_stderr = Settings.load(policy="p.json", env={"ODOO_MCP_AUDIT_LOG": "-"})
    assert only_stderr.audit_log is None and only_stderr.audit_stderr is True


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"HOME": "/home/me"}, "/home/me/.local/state/odoo-mcp/audit.jsonl"),
        ("linux", {"HOME": "/home/me", "XDG_STATE_HOME": "/var/st"}, "/var/st/odoo-mcp/audit.jsonl"),
        ("linux", {"HOME": "/home/me", "XDG_STATE_HOME": "relative"}, "/home/me/.local/state/odoo-mcp/audit.jsonl"),
        ("darwin", {"HOME": "/Users/me"}, "/Users/me/Library/Logs/odoo-mcp/audit.jsonl"),
        ("win32", {"HOME": "/h", "LOCALAPPDATA": "/c/AppData/Local"}, "/c/AppData/Local/odoo-mcp/audit.jsonl"),
    ],
)
def test_default_audit_log_per_platform(platform, env, expected):
    assert default_audit_log(env, platform) == Path(expected)


def _settings(env: dict[str, str]) -> Settings:
    return Settings(policy_path=Path("p.json"), roots=Roots.from_env(env), env=env)


def test_configured_folders_are_checked_at_start(tmp_path):
    (tmp_path / "ee").mkdir()
    (tmp_path / "file").write_text("")
    good = {"ODOO_MCP_EE_DIR": str(tmp_path / "ee"), "ODOO_MCP_ADDONS_TARGETS": f"main={tmp_path / 'ee'}"}
    check_directories(_settings(good))
    cases = [
        ({"ODOO_MCP_EE_DIR": str(tmp_path / "nope")}, "ODOO_MCP_EE_DIR: "),
        ({"EE_DIRECT_DIR": str(tmp_path / "nope")}, "EE_DIRECT_DIR: "),
        ({"ODOO_MCP_ADDONS_TARGETS": f"main={tmp_path / 'ee'},extra={tmp_path / 'gone'}"},
         "ODOO_MCP_ADDONS_TARGETS (extra): "),
        ({"ODOO_MCP_FILES_DIR": str(tmp_path / "file")}, "ODOO_MCP_FILES_DIR: "),
        ({"ODOO_MCP_OCA_DIR": str(tmp_path / "nope")}, "ODOO_MCP_OCA_DIR: "),
        ({"ODOO_MCP_COMMUNITY_DIRS": f"{tmp_path / 'ee'},{tmp_path / 'nope'}"}, "ODOO_MCP_COMMUNITY_DIRS: "),
    ]  # fmt: skip
    for env, variable in cases:
        with pytest.raises(ConfigError) as refused:
            check_directories(_settings(env))
        assert str(refused.value).startswith(variable), refused.value
        assert "create it" in str(refused.value) or "point it at a folder" in str(refused.value)


def test_an_absent_checkout_is_fine_when_ee_clone_can_create_it(tmp_path):
    env = {"ODOO_MCP_EE_DIR": str(tmp_path / "enterprise"), "ODOO_MCP_EE_GIT_URL": "https://github.com/odoo/enterprise"}
    check_directories(_settings(env))
    env["ODOO_MCP_EE_DIR"] = str(tmp_path / "missing" / "enterprise")
    with pytest.raises(ConfigError):
        check_directories(_settings(env))


def test_refusals_are_one_line_that_says_what_to_change():
    policy = refusal_line(PolicyError("/p.json", ["version: Input should be '1'", "tools.x.limits[0].max: too big"]))
    assert "\n" not in policy
    assert policy.startswith("odoo-mcp: refusing to start: invalid policy /p.json: version: Input should be '1'; ")
    assert "odoo-mcp policy check /p.json" in policy
    config = refusal_line(ConfigError("ODOO_URL is set but ODOO_DB is not:\n set it"))
    assert config == "odoo-mcp: refusing to start: ODOO_URL is set but ODOO_DB is not: set it"


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["legacy", "auto"])  # handshake-era clients get the early first tools/list
async def test_a_real_server_says_one_start_line_and_lists_only_allowed_tools(tmp_path, mode):
    """Through the real process: stderr holds the start line and nothing else (audit in its file);
    an unlisted denied tool, called anyway, gets its reason; a hidden one stays unknown."""
    async with guarded_server({**LISTING, "list": "allowed"}, tmp_path=tmp_path, mode=mode,
                              env={"ODOO_MCP_AUDIT_STDERR": ""}) as server:  # fmt: skip
        assert await server.tool_names() == {"ee_link", "odoo_create", "policy_status"}
        denied = await server.call("odoo_write", {"model": "res.partner", "ids": [1], "values": {}})
        assert denied.text.startswith("[POLICY DENIED] 'odoo_write' is not allowed by this policy (default: deny)")
        hidden = await server.call("ee_deploy", {})
        assert hidden.text == "[POLICY DENIED] unknown tool 'ee_deploy'"
        assert [r["tool"] for r in server.audit_records()] == ["odoo_write", "ee_deploy"]
        lines = server.stderr_text().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("odoo-mcp 0.1.0: policy ") and "3 listed, 3 allowed, 1 hidden" in lines[0]


def test_a_refused_start_is_one_line_naming_the_variable(tmp_path):
    """Through the real command: what a client's log shows when the server will not start."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "deny"}))
    base = {k: v for k, v in os.environ.items() if not k.startswith("ODOO") and k != "CONNECTIONS_FILE"}
    base |= {"ODOO_MCP_POLICY": str(policy), "ODOO_MCP_AUDIT_LOG": str(tmp_path / "a.jsonl"), "PYTHONPATH": str(REPO)}
    missing = tmp_path / "enterprise"
    cases = [
        ({"ODOO_MCP_EE_DIR": str(missing)}, f"ODOO_MCP_EE_DIR: {missing} does not exist"),
        ({"ODOO_URL": "https://odoo.example.com"}, "ODOO_URL is set but ODOO_DB, ODOO_USERNAME and"),
    ]
    for variables, message in cases:
        done = subprocess.run(
            [sys.executable, "-m", "odoo_mcp", "serve"],
            input="", capture_output=True, text=True, env={**base, **variables}, cwd=REPO, timeout=60,
        )  # fmt: skip
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.count("\n") == 1, done.stderr
        assert done.stderr.startswith(f"odoo-mcp: refusing to start: {message}"), done.stderr


def test_list_allowed_reads_the_same_in_the_intercept_spelling(tmp_path):
    from guard.policy import load_policy

    path = tmp_path / "policy.yaml"
    path.write_text('version: "1"\ndefault: deny\nlist: allowed\ntools:\n  policy_status:\n    rules: []\n')
    settings = Settings(policy_path=path, audit_log=tmp_path / "audit.jsonl")
    guard, runtime = build_guard(settings, load_policy(path))
    assert [t.name for t in guard.listed()] == ["policy_status"]
    runtime.close()
