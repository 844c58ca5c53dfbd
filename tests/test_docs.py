"""The documentation says what the code does: every variable it reads, the tool count, each risk class."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from odoo_mcp.families import all_specs

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
CODE_DIRS = ("odoo_mcp", "odoo_client", "guard", "tools", "foundation")
VARIABLE = re.compile(
    r"""["'](ODOO_[A-Z0-9_]+|(?:EE|OCA)_[A-Z]+_DIR|MCP_[A-Z0-9_]+|CONNECTIONS_FILE|ALLOWED_ODOO_URLS|GITHUB_TOKEN)["']"""
)
"""A string literal naming one of our settings: ours (ODOO_MCP_*), Odoo's (ODOO_*), upstream's."""


def variables_in_code() -> set[str]:
    found: set[str] = set()
    for folder in CODE_DIRS:
        for path in (REPO / folder).rglob("*.py"):
            found |= set(VARIABLE.findall(path.read_text(encoding="utf-8")))
    return found


def table_variables() -> set[str]:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", text, flags=re.MULTILINE))


def test_every_variable_the_code_reads_is_in_the_configuration_table():
    in_code = variables_in_code()
    assert {"ODOO_MCP_POLICY", "ODOO_URL", "EE_DIRECT_DIR", "CONNECTIONS_FILE"} <= in_code  # the scan sees them
    missing = in_code - table_variables()
    assert not missing, f"add these to the table of docs/configuration.md: {sorted(missing)}"


def test_the_configuration_table_has_no_variable_the_code_does_not_read():
    # read through the platform's conventions
    documented_elsewhere = {"XDG_STATE_HOME", "XDG_CACHE_HOME", "LOCALAPPDATA"}
    extra = table_variables() - variables_in_code() - documented_elsewhere
    assert not extra, f"docs/configuration.md lists variables nothing reads: {sorted(extra)}"


def test_the_tool_count_stated_in_the_docs_is_the_servers():
    count = len(all_specs())
    stated = []
    for path in (REPO / "README.md", DOCS / "tools.md", DOCS / "configuration.md"):
        stated += [(path.name, int(n)) for n in re.findall(r"\b(\d+) tools\b", path.read_text(encoding="utf-8"))]
    assert {name for name, _ in stated} >= {"README.md", "tools.md"}
    assert all(n == count for _, n in stated), stated


def test_tools_md_lists_every_tool_once_with_its_risk_class_and_family():
    text = (DOCS / "tools.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_]+)` \| (read|write|execute|destructive) \|", text, flags=re.MULTILINE)
    documented = dict(rows)
    assert len(rows) == len(documented), "a tool is listed twice"
    assert documented == {spec.name: spec.risk.value for spec in all_specs()}
    families = {name: int(n) for name, n in re.findall(r"^## ([a-z]+) \((\d+)\)$", text, flags=re.MULTILINE)}
    assert families == dict(Counter(spec.family for spec in all_specs()))


def test_links_between_the_docs_resolve():
    written_by_other_branches = {"policy.md", "security.md", "security-files.md", "approvals.md", "sensitive-data.md"}
    broken = []
    for path in [REPO / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
            resolved = (path.parent / target).resolve()
            if not resolved.exists() and resolved.name not in written_by_other_branches:
                broken.append(f"{path.name} -> {target}")
    assert not broken


def test_the_readme_policy_is_ten_lines_that_load_and_do_what_the_readme_says():
    import json

    from guard.decisions import gate_tool
    from guard.policy import parse_policy

    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## A policy in ten lines") :]
    block = section[section.index("```json") + len("```json") : section.index("```", section.index("```json") + 7)]
    assert len(block.strip().splitlines()) <= 10
    policy = parse_policy(json.loads(block))
    allowed = [spec.name for spec in all_specs() if gate_tool(policy, spec.name, known=True).allowed]
    assert policy.listing == "allowed" and allowed == ["ee_link", "odoo_search_read", "policy_status"]
