"""`odoo-mcp demo`: the guarded server driven by the real MCP client, on a small generated addons tree.

It needs nothing but the installed package: no Odoo, no network, no checkout. The server runs
as a subprocess over stdio, exactly as Claude Desktop would start it, with a sample policy;
the demo prints what an agent would see — the server's start line, the tool list, allowed
calls with their results, denied ones with the reason, calls refused for their arguments and
for a path traversal, a real `ee_link` of an Enterprise module with its dependencies, the
rate limit on `ee_link`, the unlink — and then the audit records the guard wrote.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from odoo_mcp.commands.demo_tree import write_demo_tree

PACKAGE_PARENT = Path(__file__).resolve().parents[2]
"""The folder holding the `odoo_mcp` package (a checkout or site-packages): the server subprocess imports from it."""
WIDTH = 110

DEMO_POLICY: dict[str, Any] = {
    "version": "1",
    "default": "deny",
    "list": "allowed",
    "hide": ["ee_deploy", "ee_clone", "oca_clone_repo"],
    "all_tools": {"limits": [{"counter": "all_calls", "window": "minute", "max": 120, "scope": "session"}]},
    "tools": {
        "policy_status": {},
        "ee_modules": {},
        "ee_search": {},
        "ee_depends": {},
        "ee_link": {
            "deny_if": [{"arg": "modules", "op": "len_gt", "value": 5}],
            "limits": [{"counter": "ee_link_rate", "window": "minute", "max": 3, "scope": "grant"}],
        },
        "ee_unlink": {},
        "odoo_unlink": {"action": "deny", "reason": "agents may not delete Odoo records on this server"},
    },
}
SKIPPED_KEYS = frozenset(
    {"tree", "target_path", "session", "version", "countries", "score", "license", "counter_storage", "sensitive_data"}
)
"""Result keys left out of the demo's one-line summaries (long, or the same on every call)."""


def _say(title: str) -> None:
    print(f"\n== {title}")


def _names(items: list[Any], keep: int = 4) -> str:
    """`a, b, c, d (+3 more)`: list items by their name, or compact JSON."""
    labels = []
    for item in items:
        if isinstance(item, dict):
            label = next((str(item[k]) for k in ("module", "tool", "name", "counter") if k in item), None)
            if label is None and isinstance(item.get("tools"), list):  # a group: its members' names
                label = ", ".join(map(str, item["tools"]))
            labels.append(label or json.dumps(item, separators=(",", ":")))
        else:
            labels.append(str(item))
    more = f" (+{len(labels) - keep} more)" if len(labels) > keep else ""
    return ", ".join(labels[:keep]) + more


def brief(data: Any) -> str:
    """A result as one readable line: `key: value` pairs, lists by their items' names, empty ones left out."""
    if not isinstance(data, dict):
        return _names(data) if isinstance(data, list) else str(data)
    parts = []
    for key, value in data.items():
        if key in SKIPPED_KEYS or value in ([], {}, None, ""):
            continue
        if isinstance(value, list):
            parts.append(f"{key}: {_names(value)}")
        elif isinstance(value, dict):
            parts.append(f"{key}: {value['count']}" if "count" in value else f"{key}: {len(value)} entries")
        else:
            parts.append(f"{key}: {value}")
    return " | ".join(parts)


def _show(result: types.CallToolResult) -> str:
    text = next((b.text for b in result.content if isinstance(b, types.TextContent)), "")
    if result.is_error:
        shown = text
    else:
        try:
            shown = "ok: " + brief(json.loads(text))
        except json.JSONDecodeError:
            shown = "ok: " + text
    for index, line in enumerate(textwrap.wrap(shown, WIDTH - 8, break_on_hyphens=False, max_lines=3)):
        print(f"   {'->' if index == 0 else '  '} {line}")
    return text


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> types.CallToolResult:
    print(f"   {tool}({json.dumps(arguments)})")
    result = await client.call_tool(tool, arguments)
    _show(result)
    return result


def _links(target: Path) -> list[str]:
    return sorted(p.name for p in target.iterdir() if p.is_symlink())


def _server_env(folders: dict[str, Path], policy: Path, audit: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ODOO_MCP_POLICY": str(policy),
        "ODOO_MCP_AUDIT_LOG": str(audit),
        "ODOO_MCP_AUDIT_STDERR": "0",
        "ODOO_MCP_STATE_DIR": str(audit.parent),  # approval key and the like: in the demo's folder, removed after
        "ODOO_MCP_EE_DIR": str(folders["enterprise"]),
        "ODOO_MCP_OCA_DIR": str(folders["oca"]),
        "ODOO_MCP_COMMUNITY_DIRS": str(folders["community"]),
        "ODOO_MCP_ADDONS_TARGETS": f"main={folders['target']}",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_PARENT), os.environ.get("PYTHONPATH", "")])),
    }


async def _drive(workdir: Path, verbose: bool) -> int:
    folders = write_demo_tree(workdir / "addons")
    target = folders["target"]
    policy = workdir / "policy.json"
    policy.write_text(json.dumps(DEMO_POLICY, indent=1))
    audit = workdir / "audit.jsonl"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "odoo_mcp", "serve"],
        env=_server_env(folders, policy, audit),
        cwd=str(workdir),
    )
    print("odoo-guard-mcp demo: the real server over stdio, driven by the real MCP client")
    print(f"   a small Enterprise / community / OCA tree written to {workdir / 'addons'} (removed afterwards)")
    print('   policy: default deny, "list": "allowed"; ee_link at most 5 modules and 3 calls per minute;')
    print(f"           odoo_unlink denied with a reason; hidden: {', '.join(DEMO_POLICY['hide'])}")
    stderr_file = workdir / "server.stderr"
    with stderr_file.open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            _say("1. the server's start line (its only stderr line; audit records go to the audit file)")
            start = stderr_file.read_text().strip()
            print(textwrap.fill(start, WIDTH, initial_indent="   ", subsequent_indent="     ", break_on_hyphens=False))

            _say('2. tools/list: "list": "allowed" shows only what this agent may call; hidden tools never')
            names = sorted(t.name for t in (await client.list_tools()).tools)
            print(f"   {len(names)} tools listed: {', '.join(names)}")
            print(f"   hidden and absent: {[h for h in DEMO_POLICY['hide'] if h not in names]}")

            _say("3. allowed calls, with what they return")
            await _call(client, "ee_search", {"query": "accounting"})
            await _call(client, "ee_depends", {"module": "account_reports"})
            await _call(client, "policy_status", {})

            _say("4. denied by the policy: with its reason, or with the key that would allow the tool")
            await _call(client, "odoo_unlink", {"model": "res.partner", "ids": [1]})
            await _call(client, "odoo_write", {"model": "res.partner", "ids": [1], "values": {"name": "x"}})
            await _call(client, "ee_clone", {})

            _say("5. refused for their arguments, before any handler runs")
            await _call(client, "ee_link", {"modules": ["../../../etc"]})
            await _call(client, "ee_link", {"modules": ["web_enterprise"], "unexpected": True})
            await _call(client, "ee_link", {"modules": ["a", "b", "c", "d", "e", "f"]})

            _say("6. a path traversal through target_dir, and a link out of the checkout")
            await _call(client, "ee_link", {"modules": ["web_enterprise"], "target_dir": "../../../tmp"})
            await _call(client, "ee_link", {"modules": ["evil_link"]})
            print(f"   links in target: {_links(target)}")

            _say("7. ee_link an Enterprise module with its Enterprise dependencies")
            await _call(client, "ee_link", {"modules": ["account_reports"], "with_depends": True})
            for name in _links(target):
                print(f"     target/{name} -> {os.readlink(target / name)}")

            _say("8. the rate limit on ee_link: 3 per minute per grant")
            print("   (step 5's calls never reached the limiter; step 6's were refused in the handler before")
            print("    they touched anything and gave their quota back, so step 7 used 1 of 3)")
            await _call(client, "ee_link", {"modules": ["sign"]})
            await _call(client, "ee_link", {"modules": ["planning"]})
            await _call(client, "ee_link", {"modules": ["helpdesk"]})
            print(f"   links in target: {len(_links(target))}")

            _say("9. ee_unlink removes only links into the Enterprise checkout")
            await _call(
                client,
                "ee_unlink",
                {"modules": ["account_reports", "account_accountant", "web_enterprise", "sign", "planning"]},
            )
            print(f"   links in target: {_links(target)}")

    _say(f"10. the audit log ({audit.name}): one JSON line per call, secrets redacted")
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    for record in records:
        if record.get("event") != "tool_call":
            continue
        if verbose:
            print("   " + json.dumps(record))
            continue
        error = record.get("error") or ""
        print(
            f"   {record['tool']:<14} {record['outcome']:<13} rule={record['rule'] or '-':<27} "
            f"{textwrap.shorten(error, 50, placeholder=' …')}"
        )
    print("\nDone. Every call above passed the guard before any handler touched the filesystem.")
    return 0


def run_demo(verbose: bool = False) -> int:
    """Run the demo in a temporary folder (nothing outside it is written) and return the exit code."""
    with tempfile.TemporaryDirectory(prefix="odoo-guard-demo-") as tmp:
        return asyncio.run(_drive(Path(tmp), verbose))
