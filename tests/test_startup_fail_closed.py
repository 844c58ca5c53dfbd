"""A broken or missing policy stops the server before it serves anything, and says why."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.harness import REPO

LIMIT = {"counter": "c", "window": "minute", "max": 5, "scope": "grant"}


def doc(**changes):
    base = {"version": "1", "default": "deny", "tools": {"ee_link": {"limits": [dict(LIMIT)]}}}
    base.update(changes)
    return base


def with_limit(**changes):
    return doc(tools={"ee_link": {"limits": [{**LIMIT, **changes}]}})


def with_rule(**rule):
    return doc(tools={"ee_link": rule})


INVALID = [
    ("missing version", {"default": "deny"}, "version: required key is missing"),
    ("version 2", doc(version="2"), "version: Input should be '1'"),
    ("version as number", doc(version=1), "version: Input should be '1'"),
    ("missing default", {"version": "1"}, "default: required key is missing"),
    ("default maybe", doc(default="maybe"), "default: Input should be 'allow' or 'deny'"),
    ("unknown top-level key", doc(tool={}), "tool: unknown key"),
    ("tools is a list", doc(tools=[]), "tools: must be an object mapping tool names to rules"),
    ("hide is a string", doc(hide="odoo_unlink"), "hide: Input should be a valid list"),
    ("unknown rule key", with_rule(allow=True), "tools.ee_link.allow: unknown key"),
    ("unknown action", with_rule(action="ask"), "tools.ee_link.action: Input should be 'allow', 'deny' or"),
    ("reason not a string", with_rule(reason=5), "tools.ee_link.reason: Input should be a valid string"),
    ("window unknown", with_limit(window="fortnight"), "tools.ee_link.limits[0].window: Input should be 'second'"),
    ("window zero", with_limit(window=0), "tools.ee_link.limits[0].window: Input should be greater than or equal to 1"),
    ("window true", with_limit(window=True), "tools.ee_link.limits[0].window: Input should be a valid integer"),
    ("max as string", with_limit(max="10"), "tools.ee_link.limits[0].max: Input should be a valid integer"),
    ("max zero", with_limit(max=0), "tools.ee_link.limits[0].max: Input should be greater than or equal to 1"),
    ("scope unknown", with_limit(scope="user"), "tools.ee_link.limits[0].scope: Input should be 'grant', 'session'"),
    (
        "counter missing",
        doc(tools={"ee_link": {"limits": [{"window": "minute", "max": 1}]}}),
        "tools.ee_link.limits[0].counter: required key is missing",
    ),
    ("counter with spaces", with_limit(counter="my counter"), "tools.ee_link.limits[0].counter: String should match"),
    ("limit extra key", with_limit(burst=3), "tools.ee_link.limits[0].burst: unknown key"),
    (
        "unknown op",
        with_rule(deny_if=[{"arg": "modules", "op": "like", "value": "x"}]),
        "tools.ee_link.deny_if[0].op: Input should be 'eq', 'ne'",
    ),
    (
        "bad regex",
        with_rule(deny_if=[{"arg": "branch", "op": "matches", "value": "(["}]),
        "tools.ee_link.deny_if[0]: bad regular expression",
    ),
    (
        "in without list",
        with_rule(require=[{"arg": "branch", "op": "in", "value": "19.0"}]),
        "tools.ee_link.require[0]: op 'in' needs a list of values",
    ),
    (
        "len op with negative",
        with_rule(deny_if=[{"arg": "modules", "op": "len_gt", "value": -1}]),
        "tools.ee_link.deny_if[0]: op 'len_gt' needs a non-negative integer",
    ),
    ("condition without arg", with_rule(require=[{"op": "exists"}]), "tools.ee_link.require[0].arg: required key"),
    ("empty require string", with_rule(require=[""]), "tools.ee_link.require[0]: String should have at least 1"),
    ("all_tools unknown key", doc(all_tools={"limit": []}), "all_tools.limit: unknown key"),
    (
        "shared counter defined twice",
        doc(tools={"ee_link": {"limits": [LIMIT]}, "ee_unlink": {"limits": [{**LIMIT, "max": 6}]}}),
        "tools.ee_unlink.limits[0].max: counter 'c' is defined with max 5 at tools.ee_link.limits[0]",
    ),
    ("document is a list", [], "(document): must be a JSON object"),
]


def start(policy_text: str | None, tmp_path, policy_path=None) -> subprocess.CompletedProcess:
    path = policy_path or tmp_path / "policy.json"
    if policy_text is not None:
        path.write_text(policy_text)
    env = {**os.environ, "ODOO_MCP_POLICY": str(path), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "odoo_mcp", "serve"],
        input="",
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )


@pytest.mark.parametrize(("mistake", "document", "message"), INVALID, ids=[case[0] for case in INVALID])
def test_invalid_policy_refuses_to_start_naming_the_json_path(tmp_path, mistake, document, message):
    done = start(json.dumps(document), tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""  # stdout is the MCP transport: nothing may be printed there
    assert "refusing to start: invalid policy" in done.stderr
    assert message in done.stderr, done.stderr


def test_invalid_policies_are_distinct_mistakes():
    assert len({message for _, _, message in INVALID}) >= 15
    assert len({mistake for mistake, _, _ in INVALID}) == len(INVALID)


def test_not_json(tmp_path):
    done = start('{"version": "1", "default": "deny",}', tmp_path)
    assert done.returncode == 2
    assert "(json): line 1 column" in done.stderr


def test_missing_policy_file(tmp_path):
    done = start(None, tmp_path, policy_path=tmp_path / "nowhere.json")
    assert done.returncode == 2
    assert "(file): not found" in done.stderr


def test_no_policy_configured(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ODOO_MCP_POLICY"}
    done = subprocess.run(
        [sys.executable, "-m", "odoo_mcp", "serve"], input="", capture_output=True, text=True, env=env, cwd=REPO
    )
    assert done.returncode == 2
    assert "no policy: pass --policy FILE or set ODOO_MCP_POLICY" in done.stderr


def test_cli_policy_check_lists_every_problem(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"version": "2", "default": "maybe", "tools": {"x": {"limits": [{"counter": "c"}]}}}))
    done = subprocess.run(
        [sys.executable, "-m", "odoo_mcp", "policy", "check", str(path)], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 1
    assert "INVALID (4 problems)" in done.stdout
    for path_text in ("version:", "default:", "tools.x.limits[0].window:", "tools.x.limits[0].max:"):
        assert path_text in done.stdout


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"ODOO_URL": "http://127.0.0.1:1", "ODOO_DB": "x", "ODOO_USERNAME": "u", "ODOO_PASSWORD": "p",
          "ODOO_PROTOCOL": "soap"}, "protocol 'soap' is not one of jsonrpc, xmlrpc, json2"),
        ({"ODOO_URL": "ftp://odoo.example.com", "ODOO_DB": "x", "ODOO_USERNAME": "u", "ODOO_PASSWORD": "p"},
         "ODOO_URL"),
        ({"CONNECTIONS_FILE": "/nonexistent/connections.json"}, "CONNECTIONS_FILE"),
    ],
    ids=["unknown protocol", "not an http url", "missing connections file"],
)  # fmt: skip
def test_bad_odoo_settings_stop_the_start(tmp_path, variables, message):
    (tmp_path / "policy.json").write_text(json.dumps({"version": "1", "default": "deny"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ODOO_") and k != "CONNECTIONS_FILE"}
    env |= {"ODOO_MCP_POLICY": str(tmp_path / "policy.json"), "PYTHONPATH": str(REPO), **variables}
    done = subprocess.run(
        [sys.executable, "-m", "odoo_mcp", "serve"], input="", capture_output=True, text=True, env=env, cwd=REPO
    )
    assert done.returncode == 2, done.stderr
    assert "refusing to start" in done.stderr
    assert message in done.stderr
