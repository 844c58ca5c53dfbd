"""What an Odoo write, unlink or module change would do, shown to the human who approves it.

Each preview reads — through the connection the tool itself would use, and only when the
policy requires an approval — the records or modules the call names, and changes nothing:
for a write, each record's display name and every field's current value → new value; for an
unlink, the display names of what would be deleted; for module tools, each module's state
and, for an uninstall, the installed modules that would be removed with it.
"""

from __future__ import annotations

from typing import Any

from guard.spec import Call
from tools.odoo_kit import sensitive

from .common import odoo


def _names(call: Call, connection: str | None, model: str, ids: list[int], fields: list[str]) -> list[dict[str, Any]]:
    sensitive.check_model(call, model)
    rows = list(odoo(call, connection).execute(model, "read", [ids], {"fields": [*fields, "display_name"]}))
    sensitive.mask_rows(sensitive.rules_of(call), model, rows)  # a current value is read under the same rules
    return rows


def write_preview(args: Any, call: Call) -> dict[str, Any]:
    """`{"records": [{"id", "name", "changes": {field: {"from": current, "to": new}}}]}`."""
    fields = sorted(args.values)
    rows = _names(call, args.connection, args.model, args.ids, fields)
    return {
        "model": args.model,
        "records": [
            {
                "id": row["id"],
                "name": row.get("display_name"),
                "changes": {field: {"from": row.get(field), "to": args.values[field]} for field in fields},
            }
            for row in rows
        ],
    }


def unlink_preview(args: Any, call: Call) -> dict[str, Any]:
    rows = _names(call, args.connection, args.model, args.ids, [])
    return {"model": args.model, "deleted": [{"id": row["id"], "name": row.get("display_name")} for row in rows]}


def _modules(call: Call, connection: str | None, names: list[str]) -> list[dict[str, Any]]:
    rows = odoo(call, connection).execute(
        "ir.module.module", "search_read", [[["name", "in", names]]], {"fields": ["name", "shortdesc", "state"]}
    )
    found = {row["name"]: row for row in rows}
    return [
        {"module": name, "title": found[name]["shortdesc"], "state": found[name]["state"]}
        if name in found
        else {"module": name, "state": "unknown to this Odoo"}
        for name in names
    ]


def modules_preview(args: Any, call: Call) -> dict[str, Any]:
    return {"modules": _modules(call, args.connection, list(args.modules))}


def uninstall_preview(args: Any, call: Call) -> dict[str, Any]:
    connection = odoo(call, args.connection)
    modules = _modules(call, args.connection, list(args.modules))
    rows = connection.execute("ir.module.module", "search_read", [[["name", "in", list(args.modules)]]],
                              {"fields": ["name"]})
    ids = [row["id"] for row in rows]
    dependent_ids = connection.execute("ir.module.module", "downstream_dependencies", [ids]) if ids else []
    dependents = connection.execute("ir.module.module", "read", [list(dependent_ids)], {"fields": ["name", "state"]}) \
        if dependent_ids else []
    removed_too = sorted(d["name"] for d in dependents if d["state"] == "installed")
    return {"modules": modules, "removed_with_them": removed_too, "confirm": args.confirm}
