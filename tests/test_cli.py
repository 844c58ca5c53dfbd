"""The `odoo-mcp` commands a policy author uses, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.harness import REPO

POLICY = {
    "version": "1",
    "default": "deny",
    "tools": {
        "odoo_search_read": {"deny_if": [{"arg": "model", "op": "in", "value": ["res.users"]}]},
        "ee_link": {"limits": [{"counter": "ee_link_rate", "window": "minute", "max": 10, "scope": "grant"}]},
    },
}


def odoo_mcp(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "odoo_mcp", *args], capture_output=True, text=True, cwd=REPO, timeout=60
    )


def test_explain_says_what_would_happen_without_calling_anything(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(POLICY))
    denied = odoo_mcp("policy", "explain", str(path), "odoo_search_read", "--args", '{"model": "res.users"}')
    assert denied.returncode == 3
    assert "odoo_search_read: DENY (rule: tools.odoo_search_read.deny_if[0])" in denied.stdout
    allowed = odoo_mcp("policy", "explain", str(path), "odoo_search_read", "--args", '{"model": "res.partner"}')
    assert allowed.returncode == 0
    assert "ALLOW" in allowed.stdout
    limited = odoo_mcp("policy", "explain", str(path), "ee_link", "--args", '{"modules": ["sign"]}')
    assert "counts against ee_link_rate: 10 per minute (grant)" in limited.stdout
    default = odoo_mcp("policy", "explain", str(path), "odoo_unlink", "--args", "{}")
    assert "DENY (rule: default)" in default.stdout
    invalid = odoo_mcp("policy", "explain", str(path), "odoo_search_read", "--args", '{"model": 5}')
    assert invalid.returncode == 1
    assert invalid.stdout.startswith("INVALID ARGUMENTS: model:")


def test_check_summarises_a_valid_policy(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(POLICY))
    done = odoo_mcp("policy", "check", str(path))
    assert done.returncode == 0
    assert "OK (version 1, default deny)" in done.stdout
    assert "ee_link: allow, ee_link_rate: 10/minute (grant)" in done.stdout


def test_schema_is_a_json_schema_that_describes_the_policy():
    done = odoo_mcp("policy", "schema")
    schema = json.loads(done.stdout)
    assert set(schema["required"]) == {"version", "default"}
    assert {"version", "default", "hide", "all_tools", "tools"} <= set(schema["properties"])


def test_tools_catalogue_names_family_and_risk():
    done = odoo_mcp("tools", "--json")
    catalogue = {entry["name"]: entry for entry in json.loads(done.stdout)}
    assert catalogue["ee_link"] == {"name": "ee_link", "family": "enterprise", "risk": "write"}
    assert catalogue["odoo_unlink"]["risk"] == "destructive"
    assert catalogue["odoo_search_read"]["risk"] == "read"
    assert catalogue["policy_status"]["family"] == "meta"
    assert len(catalogue) >= 40
