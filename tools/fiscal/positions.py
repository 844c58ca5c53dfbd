"""Fiscal positions: upstream's five `odoo_fp_*` tools on standard Odoo models.

Standard Odoo has `account.fiscal.position` with its tax and account mappings; upstream's tax
actions (`account.fiscal.position.tax.action`, the `l10n_bg_*` fields) come from the Bulgarian
`l10n_bg_tax_admin` module. Each tool asks `ir.module.module` whether that module is installed:
with it, the tax actions are read and configured; without it, the reads answer with what
standard Odoo has and say which parts need the module, and configuring a tax action is refused
with that reason. Writes are confined to positions of one company (the one given or the user's).

Tax mappings, by the detected version: up to 18.0 they are `account.fiscal.position.tax` rows
(`tax_src_id` -> `tax_dest_id`); 19.0 removed that model: a position's `tax_ids` are the taxes it
applies and each of those taxes' `original_tax_ids` the taxes it replaces. Both are answered in
the same shape, one `{tax_src_id, tax_dest_id}` per pair.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from guard.spec import Call, NotConfigured, Risk, ToolFailure
from odoo_client.connection import OdooConnection
from tools.lean_schema import LeanArgs
from tools.odoo.common import odoo
from tools.odoo_kit import ConnectionName, RecordId, sensitive
from tools.registry import tool
from tools.stock.dryrun import current_company, m2o_id, scoped

FAMILY = "fiscal"
BG_MODULE = "l10n_bg_tax_admin"
ACTION_MODEL = "account.fiscal.position.tax.action"
POSITION_FIELDS = ["name", "auto_apply", "country_id", "country_group_id", "company_id"]
ACTION_FIELDS = ["position_id", "move_type", "dest_move_type", "l10n_bg_move_type", "l10n_bg_type_vat",
                 "l10n_bg_document_type", "l10n_bg_doc_type", "l10n_bg_narration", "position_dest_id", "account_id",
                 "partner_id", "factor_percent"]
MOVE_TYPES = ("entry", "out_invoice", "out_refund", "in_invoice", "in_refund", "out_receipt", "in_receipt")
BG_MOVE_TYPES = ("standard", "customs", "invoice_customs", "private", "protocol")
CACHED_TYPES = {"move_type": list(MOVE_TYPES), "l10n_bg_move_type": list(BG_MOVE_TYPES)}
NEEDS_MODULE = f"tax actions and the l10n_bg_* fields need the Odoo module {BG_MODULE}, which is not installed"

MoveType = Literal["entry", "out_invoice", "out_refund", "in_invoice", "in_refund", "out_receipt", "in_receipt"]
BgMoveType = Literal["standard", "customs", "invoice_customs", "private", "protocol"]
Code = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,32}$")


def bg_installed(connection: OdooConnection) -> bool:
    return bool(connection.execute("ir.module.module", "search_count", [[["name", "=", BG_MODULE],
                                                                         ["state", "=", "installed"]]]))


def tax_mappings(call: Call, connection: OdooConnection,
                 position_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each position's tax mappings as `{tax_src_id, tax_dest_id}` pairs (`[id, name]` or False), per version."""
    found: dict[int, list[dict[str, Any]]] = {position: [] for position in position_ids}
    if not position_ids:
        return found
    if connection.major_version() < 19:
        rows = _read(call, connection, "account.fiscal.position.tax", [["position_id", "in", position_ids]],
                     ["position_id", "tax_src_id", "tax_dest_id"])
        for row in rows:
            found.setdefault(m2o_id(row["position_id"]) or 0, []).append(
                {"id": row["id"], "tax_src_id": row["tax_src_id"], "tax_dest_id": row["tax_dest_id"]})
        return found
    positions = _read(call, connection, "account.fiscal.position", [["id", "in", position_ids]], ["tax_ids"])
    applied = sorted({tax for position in positions for tax in position.get("tax_ids") or []})
    taxes = {row["id"]: row for row in _read(call, connection, "account.tax", [["id", "in", applied]],
                                             ["name", "original_tax_ids"])} if applied else {}
    originals = sorted({tax for row in taxes.values() for tax in row.get("original_tax_ids") or []} - set(taxes))
    names = {tax: row["name"] for tax, row in taxes.items()}
    if originals:
        names.update({row["id"]: row["name"] for row in _read(call, connection, "account.tax",
                                                              [["id", "in", originals]], ["name"])})
    for position in positions:
        for dest in position.get("tax_ids") or []:
            sources = (taxes.get(dest) or {}).get("original_tax_ids") or [False]
            for src in sources:
                found[position["id"]].append({"tax_src_id": [src, names.get(src, "")] if src else False,
                                              "tax_dest_id": [dest, names.get(dest, "")]})
    return found


def _read(call: Call, connection: OdooConnection, model: str, domain: list[Any], fields: list[str],
          limit: int | None = None) -> list[dict[str, Any]]:
    """A search_read under the sensitive-data rules, as every Odoo read of this server."""
    sensitive.check_search(call, connection, model, domain=domain)
    plan = sensitive.plan_read(call, connection, model, fields)
    kwargs: dict[str, Any] = {"fields": plan.fields or fields}
    if limit:
        kwargs["limit"] = limit
    rows = connection.execute(model, "search_read", [domain], kwargs)
    return sensitive.finish_read(call, plan, rows, more=lambda kept: "narrow the filter")


class ListArgs(LeanArgs):
    connection: ConnectionName = None
    company_id: RecordId | None = None
    country_id: RecordId | None = None
    name: str | None = Field(None, max_length=128, description="Part of the name (case-insensitive).")
    limit: int = Field(50, ge=1, le=500)


@tool("odoo_fp_list", family=FAMILY, risk=Risk.READ, args=ListArgs, idempotent=True, open_world=True)
def fp_list(args: ListArgs, call: Call) -> Any:
    """List fiscal positions (filter by company, country, name) with their mapping and tax-action counts."""
    connection = odoo(call, args.connection)
    domain: list[Any] = []
    for name, value, op in (("company_id", args.company_id, "="), ("country_id", args.country_id, "="),
                            ("name", args.name, "ilike")):
        if value is not None:
            domain.append([name, op, value])
    positions = _read(call, connection, "account.fiscal.position", domain, POSITION_FIELDS, args.limit)
    bg = bg_installed(connection)
    rows = positions if isinstance(positions, list) else []
    mappings = tax_mappings(call, connection, [p["id"] for p in rows])
    for position in rows:
        position["tax_mapping_count"] = len(mappings.get(position["id"], []))
    counted = {"account_mapping_count": "account.fiscal.position.account"}
    if bg:
        counted["action_count"] = ACTION_MODEL
    for key, model in counted.items():  # one read per mapping model, not one per position
        owners = connection.execute(model, "search_read", [[["position_id", "in", [p["id"] for p in rows]]]],
                                    {"fields": ["position_id"]}) if rows else []
        for position in rows:
            position[key] = sum(1 for owner in owners if m2o_id(owner["position_id"]) == position["id"])
    return {"positions": positions, BG_MODULE: bg, **({} if bg else {"note": NEEDS_MODULE})}


class DetailsArgs(LeanArgs):
    connection: ConnectionName = None
    position_id: RecordId


@tool("odoo_fp_details", family=FAMILY, risk=Risk.READ, args=DetailsArgs, idempotent=True, open_world=True)
def fp_details(args: DetailsArgs, call: Call) -> Any:
    """Read a fiscal position with its tax mappings, account mappings and (with l10n_bg_tax_admin) tax actions."""
    connection = odoo(call, args.connection)
    found = _read(call, connection, "account.fiscal.position", [["id", "=", args.position_id]],
                  [*POSITION_FIELDS, "note"])
    if not found:
        raise ToolFailure(f"fiscal position {args.position_id} does not exist (or is not visible)")
    where = [["position_id", "=", args.position_id]]
    result: dict[str, Any] = {
        "position": found[0],
        "tax_mappings": tax_mappings(call, connection, [args.position_id])[args.position_id],
        "account_mappings": _read(call, connection, "account.fiscal.position.account", where,
                                  ["account_src_id", "account_dest_id"]),
    }
    if bg_installed(connection):
        result["tax_actions"] = _read(call, connection, ACTION_MODEL, where, ACTION_FIELDS)
    else:
        result["note"] = NEEDS_MODULE
    return result


class ConfigureArgs(LeanArgs):
    connection: ConnectionName = None
    company_id: RecordId | None = Field(None, description="Company whose positions may change; default: the user's.")
    action_id: RecordId | None = Field(None, description="Tax action to update.")
    position_id: RecordId | None = Field(None, description="Position to add a tax action to.")
    move_type: MoveType | None = None
    dest_move_type: MoveType | None = None
    l10n_bg_move_type: BgMoveType | None = None
    l10n_bg_type_vat: str | None = Code
    l10n_bg_document_type: str | None = Code
    l10n_bg_narration: str | None = Field(None, min_length=1, max_length=500)
    position_dest_id: RecordId | None = None
    account_id: RecordId | None = None
    partner_id: RecordId | None = None
    factor_percent: float | None = Field(None, ge=-1000, le=1000)

    @model_validator(mode="after")
    def _one_target(self) -> ConfigureArgs:
        if (self.action_id is None) == (self.position_id is None):
            raise ValueError("give action_id (update) or position_id (create), not both")
        if self.position_id is not None and not self.l10n_bg_narration:
            raise ValueError("l10n_bg_narration is required to create a tax action")
        return self

    def values(self) -> dict[str, Any]:
        values = self.model_dump(exclude_none=True, exclude={"connection", "company_id", "action_id"})
        if "l10n_bg_document_type" in values:
            values["l10n_bg_doc_type"] = values["l10n_bg_document_type"]  # the legacy field, as upstream
        return values


def _own_position(connection: OdooConnection, position_id: int, company: int, what: str) -> None:
    rows = connection.execute("account.fiscal.position", "search_read", [[["id", "=", position_id]]],
                              {"fields": ["company_id"]})
    if not rows:
        raise ToolFailure(f"{what}: fiscal position {position_id} does not exist")
    if m2o_id(rows[0]["company_id"]) not in (None, company):
        raise ToolFailure(f"{what}: fiscal position {position_id} belongs to another company than {company}")


def _action_position(connection: OdooConnection, action_id: int) -> int:
    rows = connection.execute(ACTION_MODEL, "search_read", [[["id", "=", action_id]]], {"fields": ["position_id"]})
    if not rows:
        raise ToolFailure(f"tax action {action_id} does not exist")
    return m2o_id(rows[0]["position_id"]) or 0


@tool("odoo_fp_configure", family=FAMILY, risk=Risk.WRITE, args=ConfigureArgs, open_world=True)
def fp_configure(args: ConfigureArgs, call: Call) -> Any:
    """Create (position_id) or update (action_id) a fiscal position tax action of l10n_bg_tax_admin, in positions
    of one company; selections are checked before Odoo is asked."""
    connection = odoo(call, args.connection)
    if not bg_installed(connection):
        standard = ("a position's tax_ids and their original_tax_ids" if connection.major_version() >= 19
                    else "account.fiscal.position.tax") + " and account.fiscal.position.account"
        raise NotConfigured(f"{NEEDS_MODULE}; standard mappings are {standard} (odoo_create, odoo_write)",
                            before_effect=False)  # Odoo was asked whether the module is there: charged
    sensitive.check_model(call, ACTION_MODEL)
    company = current_company(connection, args.company_id)
    position = args.position_id or _action_position(connection, args.action_id or 0)
    _own_position(connection, position, company, "position")
    if args.position_dest_id:
        _own_position(connection, args.position_dest_id, company, "position_dest_id")
    values = args.values()
    if args.action_id:
        values.pop("position_id", None)
        connection.execute(ACTION_MODEL, "write", [[args.action_id], values], scoped(company))
        action_id = args.action_id
    else:
        action_id = connection.execute(ACTION_MODEL, "create", [{**values, "company_id": company}], scoped(company))
    row = connection.execute(ACTION_MODEL, "read", [[action_id]], {"fields": ACTION_FIELDS})
    return {"created" if args.position_id else "updated": action_id, "action": row[0] if row else None}


class RemoveArgs(LeanArgs):
    connection: ConnectionName = None
    company_id: RecordId | None = None
    action_id: RecordId


@tool("odoo_fp_remove_action", family=FAMILY, risk=Risk.DESTRUCTIVE, args=RemoveArgs, open_world=True)
def fp_remove_action(args: RemoveArgs, call: Call) -> Any:
    """Delete a fiscal position tax action (l10n_bg_tax_admin) of one company; the answer holds its values so it can
    be recreated."""
    connection = odoo(call, args.connection)
    if not bg_installed(connection):
        raise NotConfigured(NEEDS_MODULE, before_effect=False)  # Odoo was asked: charged
    company = current_company(connection, args.company_id)
    _own_position(connection, _action_position(connection, args.action_id), company, "action")
    before = connection.execute(ACTION_MODEL, "read", [[args.action_id]], {"fields": ACTION_FIELDS})
    connection.execute(ACTION_MODEL, "unlink", [[args.action_id]], scoped(company))
    return {"deleted": args.action_id, "values": before[0] if before else None}


class TypesArgs(LeanArgs):
    connection: ConnectionName = None
    live: bool = Field(False, description="Ask Odoo for the selections instead of the built-in lists.")


@tool("odoo_fp_types", family=FAMILY, risk=Risk.READ, args=TypesArgs, idempotent=True, open_world=True)
def fp_types(args: TypesArgs, call: Call) -> Any:
    """The selection values a tax action takes (move types, l10n_bg types): built-in lists, or live from Odoo."""
    if not args.live:
        return {"source": "built-in", "types": CACHED_TYPES,
                "note": "live=true reads every selection (l10n_bg_type_vat, document types) from Odoo"}
    connection = odoo(call, args.connection)
    move = connection.execute("account.move", "fields_get", [["move_type"]], {"attributes": ["selection"]})
    types: dict[str, Any] = {"move_type": [key for key, _ in move.get("move_type", {}).get("selection", [])]}
    if not bg_installed(connection):
        return {"source": "odoo", "types": types, "note": NEEDS_MODULE}
    names = ["l10n_bg_move_type", "l10n_bg_type_vat", "l10n_bg_document_type", "l10n_bg_doc_type"]
    described = connection.execute(ACTION_MODEL, "fields_get", [names], {"attributes": ["selection"]})
    for name in names:
        types[name] = [key for key, _ in described.get(name, {}).get("selection", [])]
    return {"source": "odoo", "types": types}
