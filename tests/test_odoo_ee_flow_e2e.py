"""End to end: `ee_link` an Enterprise module → `odoo_module_update_list` → `odoo_module_install`.

The double's addons paths are a copy of `addons_stub/addons` and the target `ee_link` writes
into, so the linked module appears in Odoo only after `update_list`, and installs with its
dependencies checked. A policy that does not allow installing refuses the same flow.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.harness import guarded_server
from tests.odoo_double import ADMIN, OdooDouble

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parent.parent
FLOW = ("ee_link", "odoo_module_update_list", "odoo_module_install", "odoo_module_info")


def stub_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "stub"
    shutil.copytree(REPO / "addons_stub", copy, symlinks=True)
    return copy


def env_for(double: OdooDouble, stub: Path) -> dict[str, str]:
    return {"ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"],
            "ODOO_PASSWORD": ADMIN["password"], "ODOO_PROTOCOL": "jsonrpc",
            "ODOO_MCP_EE_DIR": str(stub / "enterprise"), "ODOO_MCP_ADDONS_TARGETS": f"main={stub / 'target'}",
            "ODOO_MCP_COMMUNITY_DIRS": str(stub / "addons")}


async def test_link_update_list_install_when_the_policy_allows(tmp_path):
    stub = stub_copy(tmp_path)
    policy = {"version": "1", "default": "deny", "tools": {name: {} for name in FLOW}}
    with OdooDouble(addons_paths=[stub / "addons", stub / "target"]) as double:
        async with guarded_server(policy, tmp_path=tmp_path, env=env_for(double, stub)) as server:
            before = await server.call("odoo_module_install", {"modules": ["helpdesk"]})
            assert before.tag == "TOOL ERROR" and "update_list" in before.text, before.text

            linked = await server.call("ee_link", {"modules": ["helpdesk"], "with_depends": True})
            assert not linked.is_error, linked.text
            assert (stub / "target" / "helpdesk").is_symlink()

            listed = await server.call("odoo_module_update_list")
            assert not listed.is_error and listed.data["added"] >= 2, listed.text

            installed = await server.call("odoo_module_install", {"modules": ["helpdesk"]})
            assert not installed.is_error, installed.text
            assert installed.data["modules"] == [{"id": installed.data["modules"][0]["id"], "name": "helpdesk",
                                                  "state": "installed"}]
            info = await server.call("odoo_module_info", {"module": "web_enterprise"})
            assert info.data["state"] == "installed"  # installed as a dependency
            assert [r["outcome"] for r in server.audit_records()][-3:] == ["ok", "ok", "ok"]


async def test_the_same_flow_is_refused_when_the_policy_does_not_allow_install(tmp_path):
    stub = stub_copy(tmp_path)
    policy = {"version": "1", "default": "deny",
              "tools": {"ee_link": {}, "odoo_module_update_list": {}, "odoo_module_info": {},
                        "odoo_module_install": {"deny_if": [{"arg": "modules", "op": "contains", "value": "helpdesk"}],
                                                "reason": "helpdesk needs a licence review"}}}
    with OdooDouble(addons_paths=[stub / "addons", stub / "target"]) as double:
        async with guarded_server(policy, tmp_path=tmp_path, env=env_for(double, stub)) as server:
            assert not (await server.call("ee_link", {"modules": ["helpdesk"], "with_depends": True})).is_error
            assert not (await server.call("odoo_module_update_list")).is_error
            refused = await server.call("odoo_module_install", {"modules": ["helpdesk"]})
            assert refused.tag == "POLICY DENIED" and "licence review" in refused.text, refused.text
            info = await server.call("odoo_module_info", {"module": "helpdesk"})
            assert info.data["state"] == "uninstalled"
            assert server.audit_records()[-2]["outcome"] == "denied"
        states = {r["name"]: r["state"] for r in double.database.models["ir.module.module"].records.values()}
        assert states["helpdesk"] == "uninstalled"
