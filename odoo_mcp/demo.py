"""`odoo-mcp demo`: the guarded server driven by the real MCP client, on a copy of addons_stub/.

It needs nothing but the repository: no Odoo, no network. The server runs as a
subprocess over stdio, exactly as Claude Desktop would start it, with a sample policy;
the demo prints what an agent would see — the tool list, an allowed call, a denied one,
calls refused for their arguments and for a path traversal, a real `ee_link` of an
Enterprise module with its dependencies, the rate limit on `ee_link`, the unlink — and
then the audit records the guard wrote.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

REPO = Path(__file__).resolve().parent.parent
STUB = REPO / "addons_stub"

DEMO_POLICY: dict[str, Any] = {
    "version": "1",
    "default": "deny",
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


def _say(title: str) -> None:
    print(f"\n== {title}")


def _show(result: types.CallToolResult, width: int = 100) -> str:
    text = next((b.text for b in result.content if isinstance(b, types.TextContent)), "")
    flag = "ERROR" if result.is_error else "ok"
    first = text if result.is_error else text.replace("\n", " ")
    print(f"   -> {flag}: {textwrap.shorten(first, width=width, placeholder=' …')}")
    return text


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> types.CallToolResult:
    print(f"   {tool}({json.dumps(arguments)})")
    result = await client.call_tool(tool, arguments)
    _show(result)
    return result


def _links(target: Path) -> list[str]:
    return sorted(f"{p.name} -> {os.readlink(p)}" for p in target.iterdir() if p.is_symlink())


async def _drive(workdir: Path, verbose: bool) -> int:
    tree = workdir / "addons_stub"
    shutil.copytree(STUB, tree, symlinks=True)
    target = tree / "target"
    policy = workdir / "policy.json"
    policy.write_text(json.dumps(DEMO_POLICY, indent=1))
    audit = workdir / "audit.jsonl"
    env = {
        **os.environ,
        "ODOO_MCP_POLICY": str(policy),
        "ODOO_MCP_AUDIT_LOG": str(audit),
        "ODOO_MCP_AUDIT_STDERR": "0",
        "ODOO_MCP_EE_DIR": str(tree / "enterprise"),
        "ODOO_MCP_OCA_DIR": str(tree / "oca"),
        "ODOO_MCP_COMMUNITY_DIRS": str(tree / "addons"),
        "ODOO_MCP_ADDONS_TARGETS": f"main={target}",
        "PYTHONPATH": str(REPO),
    }
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "odoo_mcp", "serve"], env=env, cwd=str(workdir)
    )
    print("odoo-guard-mcp demo: the real server over stdio, driven by the real MCP client")
    print(f"   stub addons copied to {tree} (the repository is not touched)")
    print("   policy: default deny; ee_link max 3 per minute per grant; odoo_unlink denied;")
    print(f"           hidden: {DEMO_POLICY['hide']}")
    with (workdir / "server.stderr").open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            _say("1. tools/list (hidden tools are not listed)")
            tools = (await client.list_tools()).tools
            names = sorted(t.name for t in tools)
            print(f"   {len(names)} tools: {', '.join(names)}")
            print(f"   hidden and absent: {[h for h in DEMO_POLICY['hide'] if h not in names]}")

            _say("2. allowed calls")
            await _call(client, "ee_search", {"query": "accounting"})
            status = await _call(client, "policy_status", {})
            data = json.loads(next(b.text for b in status.content if isinstance(b, types.TextContent)))
            print(f"   policy_status: {len(data['allowed'])} tools allowed, {len(data['denied'])} denied")

            _say("3. denied by the policy, with its reason")
            await _call(client, "odoo_unlink", {"model": "res.partner", "ids": [1]})
            await _call(client, "ee_clone", {})

            _say("4. refused for their arguments, before any handler runs")
            await _call(client, "ee_link", {"modules": ["../../../etc"]})
            await _call(client, "ee_link", {"modules": ["web_enterprise"], "unexpected": True})
            await _call(client, "ee_link", {"modules": ["a", "b", "c", "d", "e", "f"]})

            _say("5. a path traversal through target_dir, and a link out of the checkout")
            await _call(client, "ee_link", {"modules": ["web_enterprise"], "target_dir": "../../../tmp"})
            await _call(client, "ee_link", {"modules": ["evil_link"]})
            print(f"   links in target: {_links(target)}")

            _say("6. ee_link an Enterprise module with its Enterprise dependencies")
            await _call(client, "ee_link", {"modules": ["account_reports"], "with_depends": True})
            for line in _links(target):
                print(f"     {line}")

            _say("7. the rate limit on ee_link: 3 per minute per grant")
            print("   (step 4's calls never reached the limiter; step 5's were refused in the handler and")
            print("    gave their quota back: only calls that ran count, so step 6 used 1 of 3)")
            await _call(client, "ee_link", {"modules": ["sign"]})
            await _call(client, "ee_link", {"modules": ["planning"]})
            await _call(client, "ee_link", {"modules": ["helpdesk"]})
            print(f"   links in target: {len(_links(target))}")

            _say("8. ee_unlink removes only links into the Enterprise checkout")
            await _call(
                client,
                "ee_unlink",
                {"modules": ["account_reports", "account_accountant", "web_enterprise", "sign", "planning"]},
            )
            print(f"   links in target: {_links(target)}")

    _say(f"9. the audit log ({audit.name}): one JSON line per call, secrets redacted")
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    for record in records:
        if record.get("event") != "tool_call":
            continue
        if verbose:
            print("   " + json.dumps(record))
            continue
        error = record.get("error") or ""
        print(
            f"   {record['tool']:<15} {record['outcome']:<13} rule={record['rule'] or '-':<28} "
            f"{textwrap.shorten(error, 60, placeholder=' …')}"
        )
    print("\nDone. Every call above passed the guard before any handler touched the filesystem.")
    return 0


def run_demo(verbose: bool = False) -> int:
    if not STUB.is_dir():
        print(f"odoo-mcp demo: {STUB} is missing (run from a checkout of the repository)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="odoo-guard-demo-") as tmp:
        return asyncio.run(_drive(Path(tmp), verbose))
