"""Every Enterprise/OCA tool through the real `mcp` client over stdio, with the guard in front."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.addons_helpers import bare_repo_from, copy_stub, git_wrapper, stub_env
from tests.harness import guarded_server

pytestmark = pytest.mark.anyio

TOKEN = "ghp_E2eToken0123456789SECRETvalue"
ALLOW_ALL = {"version": "1", "default": "allow"}
ADDONS_TOOLS = {
    "ee_modules", "ee_search", "ee_depends", "ee_link", "ee_unlink", "ee_oca_conflicts", "ee_oca_recommend",
    "ee_clone", "ee_update", "ee_token_check", "ee_deploy",
    "oca_search", "oca_status", "oca_link", "oca_unlink", "oca_clone_repo", "oca_update",
}


def full_env(tmp_path: Path, stub: Path) -> dict[str, str]:
    sources = tmp_path / "sources"
    sources.mkdir()
    bare_repo_from(stub / "enterprise", sources / "enterprise.git", tmp_path / "work_ee")
    bare_repo_from(stub / "oca" / "contract", sources / "server-tools.git", tmp_path / "work_oca")
    git_wrapper(tmp_path / "bin")
    return {
        **stub_env(stub),
        "ODOO_MCP_EE_GIT_URL": str(sources / "enterprise.git"),
        "ODOO_MCP_OCA_GIT_BASE": str(sources),
        "GITHUB_TOKEN": TOKEN,
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
    }


async def test_every_addons_tool_over_stdio(tmp_path: Path) -> None:
    stub = copy_stub(tmp_path)
    env = full_env(tmp_path, stub)
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=env) as server:
        tools = {t.name: t for t in await server.list_tools()}
        assert set(tools) >= ADDONS_TOOLS
        assert tools["ee_link"].input_schema["properties"]["modules"]["items"]["pattern"]
        assert tools["ee_modules"].annotations.read_only_hint is True
        assert tools["ee_deploy"].annotations.destructive_hint is True

        async def ok(name: str, args: dict) -> dict:
            result = await server.call(name, args)
            assert not result.is_error, f"{name}: {result.text}"
            return result.data

        mods = await ok("ee_modules", {"apps_only": True, "category": "Accounting"})
        assert [m["module"] for m in mods["modules"]] == ["account_accountant"]
        assert {p["module"] for p in mods["problems"]} == {"evil_link", "marketing_automation"}
        assert (await ok("ee_modules", {"country": "BE"}))["count"] == 1
        assert (await ok("ee_search", {"query": "barcode"}))["results"][0]["module"] == "stock_barcode"
        deps = await ok("ee_depends", {"module": "documents"})
        assert deps["cycles"] and "mail" in deps["community_depends"]
        conflicts = await ok("ee_oca_conflicts", {})
        assert conflicts["name_collisions"][0]["module"] == "stock_barcode"
        assert "sale.order" in {o["model"] for o in conflicts["inherit_overlaps"]}
        rec = await ok("ee_oca_recommend", {"module": "stock_barcode"})
        assert rec["recommendations"][0]["conflict"] is True

        linked = await ok("ee_link", {"modules": ["account_reports"], "with_depends": True})
        assert linked["linked"] == ["web_enterprise", "account_accountant", "account_reports"]
        assert (stub / "target" / "account_reports").is_symlink()
        assert (await ok("ee_unlink", {"modules": ["account_reports"]}))["unlinked"] == ["account_reports"]

        assert (await ok("oca_search", {"query": "contract"}))["count"] == 2
        assert (await ok("oca_link", {"module": "contract", "target_dir": "second"}))["linked"] == ["contract"]
        assert (await ok("oca_unlink", {"module": "contract", "target_dir": "second"}))["unlinked"] == ["contract"]

        cloned = await ok("ee_clone", {"mode": "buffered", "instance": "staging", "token": TOKEN})
        assert cloned["branch"] == "19.0"
        assert (await ok("ee_update", {"mode": "buffered", "instance": "staging"}))["changed"] is False
        deployed = await ok("ee_deploy", {"instance": "staging", "target": "second"})
        assert "sign" in deployed["deployed"]
        checked = await ok("ee_token_check", {})
        assert checked["ok"] is True and checked["branches"] == 1

        assert (await ok("oca_clone_repo", {"repo": "server-tools"}))["cloned"] is True
        status = {r["repo"]: r for r in (await ok("oca_status", {}))["repos"]}
        assert status["server-tools"]["dirty"] is False and status["server-tools"]["branch"] == "19.0"
        assert (await ok("oca_update", {"repo": "server-tools"}))["updated"][0]["changed"] is False

        audit = server.audit_records()
        assert {r["tool"] for r in audit} >= ADDONS_TOOLS
        assert TOKEN not in (tmp_path / "audit.jsonl").read_text()
        assert TOKEN not in server.stderr_text()
        assert TOKEN not in (tmp_path / "bin" / "argv.log").read_text()
        assert TOKEN not in (stub / "buffer" / "staging" / ".git" / "config").read_text()


async def test_link_rate_limit_and_denied_unlink(tmp_path: Path) -> None:
    stub = copy_stub(tmp_path)
    policy = {
        "version": "1",
        "default": "deny",
        "tools": {
            "ee_link": {
                "limits": [{"counter": "ee_link_rate", "window": "minute", "max": 2, "scope": "session"}],
                "deny_if": [{"arg": "modules", "op": "len_gt", "value": 3}],
            },
            "ee_modules": {},
            "ee_unlink": {"action": "deny", "reason": "unlinking is done by the admins"},
        },
    }
    async with guarded_server(policy, tmp_path=tmp_path, env=stub_env(stub)) as server:
        assert not (await server.call("ee_link", {"modules": ["sign"]})).is_error
        many = await server.call("ee_link", {"modules": ["sign", "planning", "helpdesk", "quality"]})
        assert many.tag == "POLICY DENIED"
        assert not (await server.call("ee_link", {"modules": ["planning"]})).is_error
        limited = await server.call("ee_link", {"modules": ["helpdesk"]})
        assert limited.tag == "RATE LIMITED" and not (stub / "target" / "helpdesk").exists()
        assert (await server.call("ee_unlink", {"modules": ["sign"]})).tag == "POLICY DENIED"
        assert (stub / "target" / "sign").is_symlink()
        assert (await server.call("oca_link", {"module": "contract"})).tag == "POLICY DENIED"


async def test_unconfigured_roots_answer_not_configured(tmp_path: Path) -> None:
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env={"ODOO_MCP_EE_DIR": "", "ODOO_MCP_OCA_DIR": ""}) as s:
        for name, args in [("ee_modules", {}), ("oca_status", {}), ("ee_clone", {}), ("ee_link", {"modules": ["x"]})]:
            result = await s.call(name, args)
            assert result.tag == "NOT CONFIGURED", (name, result.text)
