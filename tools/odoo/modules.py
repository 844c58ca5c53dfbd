"""Module lifecycle tools: update the apps list, install, upgrade, uninstall (preview first)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from guard.spec import Call, Risk, ToolArgs, ToolFailure
from tools.odoo_kit import ConnectionName, ModuleList
from tools.registry import tool

from .common import odoo
from .introspection import MODULE_FIELDS, ConnectionArgs, find_modules
from .previews import modules_preview, uninstall_preview


class ModulesArgs(ToolArgs):
    connection: ConnectionName = None
    modules: ModuleList


class UninstallArgs(ModulesArgs):
    confirm: bool = Field(False, description="False: only list what would be removed. True: uninstall.")


def _states(call: Call, connection: str | None, ids: list[int]) -> list[dict[str, Any]]:
    return odoo(call, connection).execute("ir.module.module", "read", [ids], {"fields": ["name", "state"]})


@tool("odoo_module_update_list", family="odoo", risk=Risk.EXECUTE, args=ConnectionArgs, open_world=True)
def odoo_module_update_list(args: ConnectionArgs, call: Call) -> Any:
    """Rescan the server's addons paths so new modules (e.g. linked with ee_link) become installable."""
    result = odoo(call, args.connection).execute("ir.module.module", "update_list", [])
    updated, added = [*list(result), 0, 0][:2] if isinstance(result, list) else (None, None)
    return {"updated": updated, "added": added}


@tool("odoo_module_install", family="odoo", risk=Risk.EXECUTE, args=ModulesArgs, open_world=True,
      preview=modules_preview)
def odoo_module_install(args: ModulesArgs, call: Call) -> Any:
    """Install modules (with the modules they depend on)."""
    rows = find_modules(call, args.connection, args.modules)
    ids = [row["id"] for row in rows]
    odoo(call, args.connection).execute("ir.module.module", "button_immediate_install", [ids])
    return {"modules": _states(call, args.connection, ids)}


@tool("odoo_module_upgrade", family="odoo", risk=Risk.EXECUTE, args=ModulesArgs, open_world=True,
      preview=modules_preview)
def odoo_module_upgrade(args: ModulesArgs, call: Call) -> Any:
    """Upgrade installed modules."""
    rows = find_modules(call, args.connection, args.modules)
    not_installed = [row["name"] for row in rows if row["state"] != "installed"]
    if not_installed:
        raise ToolFailure(f"not installed, cannot upgrade: {', '.join(not_installed)}")
    ids = [row["id"] for row in rows]
    odoo(call, args.connection).execute("ir.module.module", "button_immediate_upgrade", [ids])
    return {"modules": _states(call, args.connection, ids)}


@tool("odoo_module_uninstall", family="odoo", risk=Risk.DESTRUCTIVE, args=UninstallArgs, open_world=True,
      preview=uninstall_preview)
def odoo_module_uninstall(args: UninstallArgs, call: Call) -> Any:
    """Uninstall modules. Without confirm=true only lists every module that would be removed (the ones named
    and the installed modules depending on them); call again with confirm=true to uninstall them."""
    connection = odoo(call, args.connection)
    rows = find_modules(call, args.connection, args.modules)
    not_installed = [row["name"] for row in rows if row["state"] != "installed"]
    if not_installed:
        raise ToolFailure(f"not installed: {', '.join(not_installed)}")
    ids = [row["id"] for row in rows]
    dependent_ids = connection.execute("ir.module.module", "downstream_dependencies", [ids]) or []
    dependents = connection.execute("ir.module.module", "read", [list(dependent_ids)], {"fields": MODULE_FIELDS[:4]}) \
        if dependent_ids else []
    plan = {"modules": sorted(args.modules), "dependents_removed_too": sorted(d["name"] for d in dependents)}
    if not args.confirm:
        return {**plan, "uninstalled": False, "next": "call again with confirm=true to uninstall all of these"}
    connection.execute("ir.module.module", "button_immediate_uninstall", [ids])
    return {**plan, "uninstalled": True, "states": _states(call, args.connection, ids + list(dependent_ids))}
