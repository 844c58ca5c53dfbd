"""`ir.module.module` of the double: `update_list` scans addons paths, install checks dependencies.

The addons paths are plain folders of modules (each a folder with `__manifest__.py`), read
with `ast.literal_eval` as Odoo does; the target folder `ee_link` writes symlinks into is
one of them, so a linked Enterprise module appears after `update_list`.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from .database import Env, Model, record_method
from .errors import UserErrorOdoo

BUILTIN_MODULES: dict[str, dict[str, Any]] = {
    "base": {"name": "Base", "depends": [], "state": "installed", "category": "Hidden"},
    "web": {"name": "Web", "depends": ["base"], "state": "installed", "category": "Hidden"},
    "mail": {"name": "Discuss", "depends": ["base", "web"], "state": "installed", "category": "Productivity"},
    "contacts": {"name": "Contacts", "depends": ["mail"], "state": "installed", "category": "Sales"},
    "sale": {"name": "Sales", "depends": ["mail"], "state": "uninstalled", "category": "Sales"},
}


def read_manifest(folder: Path) -> dict[str, Any] | None:
    manifest = folder / "__manifest__.py"
    if not manifest.is_file():
        return None
    try:
        value = ast.literal_eval(manifest.read_text(encoding="utf-8"))
    except (ValueError, SyntaxError, OSError):
        return None
    return value if isinstance(value, dict) else None


def _values(name: str, manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "shortdesc": manifest.get("name", name),
        "summary": manifest.get("summary", False),
        "author": manifest.get("author", False),
        "license": manifest.get("license", "LGPL-3"),
        "application": bool(manifest.get("application", False)),
        "category_id": False,
        # Odoo's names are crossed: `installed_version` ("Latest Version") is computed from the manifest on
        # disk; `latest_version` ("Installed Version") is stored at install/upgrade and cleared at uninstall
        "installed_version": manifest.get("version", "1.0"),
    }


def _by_name(module_model: Model) -> dict[str, dict[str, Any]]:
    return {record["name"]: record for record in module_model.records.values()}


def _set_dependencies(env: Env, module_id: int, depends: list[str]) -> None:
    dependency_model = env.db.models["ir.module.module.dependency"]
    for record_id in [rid for rid, rec in dependency_model.records.items() if rec["module_id"] == module_id]:
        del dependency_model.records[record_id]
    for depend in depends:
        env.insert(dependency_model, {"name": depend, "module_id": module_id})


def seed_modules(env: Env) -> None:
    module_model = env.db.models["ir.module.module"]
    for name, info in BUILTIN_MODULES.items():
        values = _values(name, {"name": info["name"], "version": f"{env.db.version}.1.0"})
        values["state"] = info["state"]
        values["latest_version"] = values["installed_version"] if info["state"] == "installed" else False
        module_id = env.insert(module_model, values)
        _set_dependencies(env, module_id, info["depends"])


def update_list(env: Env, model: Model) -> list[int]:
    """Scan every addons path; returns `[updated, added]` as Odoo does."""
    env.check_access(model, "write")
    known = _by_name(model)
    updated = added = 0
    for root in env.db.addons_paths:
        if not Path(root).is_dir():
            continue
        for folder in sorted(Path(root).iterdir()):
            manifest = read_manifest(folder)
            if manifest is None or not manifest.get("installable", True):
                continue
            values = _values(folder.name, manifest)
            if folder.name in known:
                known[folder.name].update(values)
                module_id = known[folder.name]["id"]
                updated += 1
            else:
                module_id = env.insert(model, {**values, "state": "uninstalled"})
                known[folder.name] = model.records[module_id]
                added += 1
            _set_dependencies(env, module_id, list(manifest.get("depends", [])))
    return [updated, added]


def _depends(env: Env, module_id: int) -> list[str]:
    dependency_model = env.db.models["ir.module.module.dependency"]
    return [rec["name"] for rec in dependency_model.records.values() if rec["module_id"] == module_id]


def _closure(env: Env, model: Model, ids: list[int]) -> list[dict[str, Any]]:
    """The modules and everything they depend on, refusing a dependency that is not available."""
    known = _by_name(model)
    seen: dict[str, dict[str, Any]] = {}
    stack = [model.records[i] for i in ids]
    while stack:
        record = stack.pop()
        if record["name"] in seen:
            continue
        seen[record["name"]] = record
        for depend in _depends(env, record["id"]):
            if depend not in known:
                raise UserErrorOdoo(
                    f"You try to install module \"{record['name']}\" that depends on module \"{depend}\".\n"
                    f"But the latter module is not available in your system."
                )
            stack.append(known[depend])
    return list(seen.values())


def _installed_dependents(env: Env, model: Model, names: set[str]) -> list[dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    changed = True
    while changed:
        changed = False
        for record in model.records.values():
            if record["state"] != "installed" or record["name"] in names or record["name"] in result:
                continue
            if set(_depends(env, record["id"])) & (names | set(result)):
                result[record["name"]] = record
                changed = True
    return list(result.values())


@record_method
def button_immediate_install(env: Env, model: Model, ids: list[int]) -> dict[str, Any]:
    env.check_access(model, "write")
    env.existing(model, ids)
    for record in _closure(env, model, ids):
        if record["state"] == "uninstallable":
            raise UserErrorOdoo(f"Module {record['name']} is not installable")
        record["state"] = "installed"
        record["latest_version"] = record.get("installed_version")
    return {"type": "ir.actions.client", "tag": "reload"}


@record_method
def button_immediate_upgrade(env: Env, model: Model, ids: list[int]) -> dict[str, Any]:
    env.check_access(model, "write")
    for record in env.existing(model, ids):
        if record["state"] != "installed":
            raise UserErrorOdoo(f"Cannot upgrade module \"{record['name']}\". It is not installed.")
        record["latest_version"] = record.get("installed_version")
    return {"type": "ir.actions.client", "tag": "reload"}


@record_method
def downstream_dependencies(env: Env, model: Model, ids: list[int]) -> list[int]:
    env.check_access(model, "read")
    names = {record["name"] for record in env.existing(model, ids)}
    return [record["id"] for record in _installed_dependents(env, model, names)]


@record_method
def button_immediate_uninstall(env: Env, model: Model, ids: list[int]) -> dict[str, Any]:
    env.check_access(model, "write")
    records = env.existing(model, ids)
    if any(record["name"] == "base" for record in records):
        raise UserErrorOdoo("The `base` module cannot be uninstalled")
    for record in records:
        if record["state"] != "installed":
            raise UserErrorOdoo(f"The module \"{record['name']}\" is not installed.")
    for record in records + _installed_dependents(env, model, {r["name"] for r in records}):
        record["state"] = "uninstalled"
        record["latest_version"] = False
    return {"type": "ir.actions.client", "tag": "reload"}


METHODS = {
    function.__name__: function
    for function in (update_list, button_immediate_install, button_immediate_upgrade, button_immediate_uninstall,
                     downstream_dependencies)
}
