"""The `odoo-mcp` commands a policy author uses, as a user runs them."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from dataclasses import dataclass

from odoo_mcp.cli import main
from odoo_mcp.families import all_specs
from tests.harness import REPO

POLICY = {
    "version": "1",
    "default": "deny",
    "tools": {
        "odoo_search_read": {"deny_if": [{"arg": "model", "op": "in", "value": ["res.users"]}]},
        "ee_link": {"limits": [{"counter": "ee_link_rate", "window": "minute", "max": 10, "scope": "grant"}]},
    },
}


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def odoo_mcp(*args: str) -> Done:
    """`odoo-mcp ARGS` as a user runs it, in process (what `python -m odoo_mcp` calls): exit code and output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse: --version, usage errors
            code = exit_.code if isinstance(exit_.code, int) else 1
    return Done(code, out.getvalue(), err.getvalue())


def test_python_m_odoo_mcp_is_the_command():
    done = subprocess.run([sys.executable, "-m", "odoo_mcp", "--version"], capture_output=True, text=True, cwd=REPO)
    assert done.stdout.strip() == "odoo-mcp 0.1.0"


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


def test_tools_catalogue_names_family_risk_and_whole_description():
    done = odoo_mcp("tools", "--json")
    catalogue = {entry["name"]: entry for entry in json.loads(done.stdout)}
    link = catalogue["ee_link"]
    assert (link["name"], link["family"], link["risk"]) == ("ee_link", "enterprise", "write")
    specs = {spec.name: spec for spec in all_specs()}
    for name, entry in catalogue.items():
        assert entry["description"] == " ".join(specs[name].description.split())
    assert catalogue["odoo_unlink"]["risk"] == "destructive"
    assert catalogue["odoo_search_read"]["risk"] == "read"
    assert catalogue["policy_status"]["family"] == "meta"
    assert len(catalogue) >= 40


def test_tools_text_prints_every_description_whole():
    done = odoo_mcp("tools")
    words = done.stdout.split()
    assert done.stdout.startswith(f"{len(all_specs())} tools")
    for spec in all_specs():
        assert f"{spec.name}  [{spec.family}, {spec.risk.value}]" in done.stdout
        description = spec.description.split()
        start = words.index(description[0], words.index(spec.name))
        assert words[start : start + len(description)] == description, spec.name


def test_version():
    done = odoo_mcp("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == "odoo-mcp 0.1.0"


def test_explain_without_args_gives_the_tool_level_decision(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({**POLICY, "tools": {**POLICY["tools"], "ee_link": {
        "deny_if": [{"arg": "modules", "op": "len_gt", "value": 5}],
        "limits": [{"counter": "ee_link_rate", "window": "minute", "max": 10, "scope": "grant"}]}}}))  # fmt: skip
    tool_level = odoo_mcp("policy", "explain", str(path), "ee_link")
    assert tool_level.returncode == 0, tool_level.stdout
    assert tool_level.stdout.splitlines()[:2] == [
        "ee_link: ALLOW (rule: tools.ee_link)",
        "  refused when more than 5 modules are given (tools.ee_link.deny_if[0])",
    ]
    assert "missing" not in tool_level.stdout
    default = odoo_mcp("policy", "explain", str(path), "odoo_unlink")
    assert default.returncode == 3
    assert 'to allow it, add "odoo_unlink" under "tools"' in default.stdout
    array = odoo_mcp("policy", "explain", str(path), "ee_link", "--args", '["sign"]')
    assert array.returncode == 1
    assert "Args" not in array.stdout
    assert array.stdout.startswith("--args must be a JSON object of named arguments")
    pattern = odoo_mcp("policy", "explain", str(path), "ee_link", "--args", '{"modules": ["../x"]}')
    assert "modules[0]: must be a module's technical name" in pattern.stdout


def test_policy_init_lists_writes_and_never_overwrites(tmp_path):
    listing = odoo_mcp("policy", "init", "--example")
    names = [line.split()[0] for line in listing.stdout.splitlines()[1:]]
    assert {"readonly", "addons-maintainer"} <= set(names)
    printed = odoo_mcp("policy", "init", "--example", "readonly")
    assert json.loads(printed.stdout)["list"] == "allowed"
    target = tmp_path / "policy.json"
    written = odoo_mcp("policy", "init", "--example", "addons-maintainer", str(target))
    assert written.returncode == 0
    assert odoo_mcp("policy", "check", str(target)).returncode == 0
    before = target.read_text()
    again = odoo_mcp("policy", "init", "--example", "readonly", str(target))
    assert again.returncode == 1 and "exists; not overwritten" in again.stderr
    assert target.read_text() == before
    unknown = odoo_mcp("policy", "init", "--example", "nope")
    assert unknown.returncode == 1 and "readonly" in unknown.stderr


def test_tools_says_every_upstream_family_is_present():
    done = odoo_mcp("tools")
    assert "upstream Odoo Claude MCP families present: 10 of 10" in done.stdout
    for family in ("ee-mcp: 12/12", "oca-mcp: 14/14", "translations: 5/5", "fiscal positions: 5/5",
                   "stock: 6/6", "web session: 7/7", "public access (portal, shop, reports): 15/15", "identity: 6/6"):
        assert family in done.stdout


def test_upstream_summary_counts_what_is_missing():
    from odoo_mcp.cli import upstream_summary

    served = [spec.name for spec in all_specs() if spec.name not in ("identify", "oca_migrate")]
    summary = upstream_summary(served)
    assert "families present: 8 of 10" in summary
    assert "oca-mcp: 13/14" in summary and "identity: 5/6" in summary
