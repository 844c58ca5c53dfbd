"""Single-record stock repairs: make a product storable with its first quant, delete a draft
manufacturing order, account a stock value that was never accounted.

Upstream does these with temporary server actions running SQL built by string formatting.
Here every effect goes through the ORM (Odoo's own checks apply), in one company, after a dry
run whose fingerprint the real run must match (see `dryrun`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from datetime import date as Date
from typing import Any, Literal

from pydantic import Field

from guard.spec import Call, NotConfigured, Risk, ToolFailure
from odoo_client.connection import OdooConnection
from tools.odoo.common import odoo
from tools.odoo_kit import RecordId
from tools.registry import tool

from .adjust import adjust
from .dryrun import RepairArgs, RepairPlan, current_company, m2o_id, previewed, run, scoped
from .ledger import category_accounts, entry_lines, post_linked_entry
from .valuation import LAYER, accounted_move_ids, major, valued_model

FAMILY = "stock"


def _one(connection: OdooConnection, model: str, record_id: int, fields: list[str]) -> dict[str, Any] | None:
    rows = connection.execute(model, "search_read", [[["id", "=", record_id]]], {"fields": fields})
    return rows[0] if rows else None


def _foreign(record: dict[str, Any] | None, company: int) -> bool:
    """A record of another company (a record without company is shared: not foreign)."""
    owner = m2o_id(record.get("company_id")) if record else None
    return owner is not None and owner != company


class FlipArgs(RepairArgs):
    product_id: RecordId
    location_id: RecordId
    quantity: float = Field(gt=0, le=1e9, description="Quantity on hand to set at the location.")
    in_date: datetime = Field(description="When the stock came in (ISO; naive means UTC).")


@tool("odoo_stock_product_flip_to_storable", family=FAMILY, risk=Risk.WRITE, args=FlipArgs, open_world=True,
      preview=lambda args, call: previewed(flip_to_storable, args, call))
def flip_to_storable(args: FlipArgs, call: Call) -> Any:
    """Make a goods product storable and give it its first quantity at an internal location, through the ORM
    (inventory adjustment). Dry run by default; confirm=true with the dry run's fingerprint applies it."""
    connection = odoo(call, args.connection)
    major(connection)
    company = current_company(connection, args.company_id)
    product = _one(connection, "product.product", args.product_id,
                   ["name", "is_storable", "type", "tracking", "product_tmpl_id", "company_id", "qty_available"])
    location = _one(connection, "stock.location", args.location_id, ["name", "usage", "company_id"])
    quants = connection.execute("stock.quant", "search_read", [[["product_id", "=", args.product_id]]],
                                {"fields": ["location_id", "quantity", "company_id"]})
    moves = connection.execute("stock.move", "search_count",
                               [[["product_id", "=", args.product_id], ["state", "=", "done"]]])
    plan = RepairPlan(company, {"product": product, "location": location, "quants": quants, "done_moves": moves})
    if product is None or _foreign(product, company):
        plan.refusals.append(f"product {args.product_id} does not exist in company {company}")
    if location is None or _foreign(location, company) or (location and location["usage"] != "internal"):
        plan.refusals.append(f"location {args.location_id} is not an internal location of company {company}")
    if product:
        if product["is_storable"]:
            plan.refusals.append("the product is already storable: use an inventory adjustment")
        if product["type"] != "consu":
            plan.refusals.append(f"only goods can be storable (type is {product['type']!r})")
        if product["tracking"] not in ("none", False):
            plan.refusals.append(f"the product is tracked by {product['tracking']}: its quantity needs lots; "
                                 "set it up in Odoo")
        if moves:
            plan.refusals.append(f"the product has {moves} done stock moves: Odoo does not allow changing it")
    if any(quant["quantity"] for quant in quants):
        plan.refusals.append("the product already has quantities in stock")
    if not plan.refusals and product and location:
        template = m2o_id(product["product_tmpl_id"])
        plan.changes = [
            {"model": "product.template", "id": template, "write": {"is_storable": True}},
            {"model": "stock.quant", "create": {"product_id": args.product_id, "location_id": args.location_id,
                                                "inventory_quantity": args.quantity},
             "then": "action_apply_inventory", "accounting_date": args.in_date.date().isoformat()},
        ]
        plan.apply = lambda: _flip(connection, company, template or 0, args)
    return run("odoo_stock_product_flip_to_storable", args, plan)


def _flip(connection: OdooConnection, company: int, template: int, args: FlipArgs) -> dict[str, Any]:
    stamp = args.in_date.astimezone(UTC) if args.in_date.tzinfo else args.in_date
    connection.execute("product.template", "write", [[template], {"is_storable": True}], scoped(company))
    try:
        quant = adjust(connection, company, args.product_id, args.location_id, None, args.quantity,
                       date=stamp.strftime("%Y-%m-%d %H:%M:%S"), accounting_date=stamp.date().isoformat())
    except Exception:
        connection.execute("product.template", "write", [[template], {"is_storable": False}], scoped(company))
        raise
    return {"quant_id": quant}


class MoDeleteArgs(RepairArgs):
    mo_id: RecordId


@tool("odoo_stock_mo_delete_draft", family=FAMILY, risk=Risk.DESTRUCTIVE, args=MoDeleteArgs, open_world=True,
      preview=lambda args, call: previewed(mo_delete_draft, args, call))
def mo_delete_draft(args: MoDeleteArgs, call: Call) -> Any:
    """Delete a draft or cancelled manufacturing order that produced nothing, with its unused moves, through
    the ORM. Dry run by default; confirm=true with the dry run's fingerprint deletes."""
    connection = odoo(call, args.connection)
    major(connection)
    if not connection.execute("ir.module.module", "search_count", [[["name", "=", "mrp"],
                                                                    ["state", "=", "installed"]]]):
        raise NotConfigured("odoo_stock_mo_delete_draft needs the Odoo module mrp (manufacturing orders), "
                            "which is not installed")
    company = current_company(connection, args.company_id)
    production = _one(connection, "mrp.production", args.mo_id, ["name", "state", "qty_produced", "company_id"])
    moves = connection.execute("stock.move", "search_read", [
        ["|", ["raw_material_production_id", "=", args.mo_id], ["production_id", "=", args.mo_id]]],
        {"fields": ["state", "quantity"]})
    accounted = accounted_move_ids(connection, company, [move["id"] for move in moves])
    for move in moves:
        move["accounted"] = move["id"] in accounted
    entries = 0
    if production:
        entries = connection.execute("account.move", "search_count", [[["ref", "ilike", production["name"]],
                                                                       ["company_id", "=", company]]])
    plan = RepairPlan(company, {"production": production, "moves": moves, "entries_naming_it": entries})
    if production is None or _foreign(production, company):
        plan.refusals.append(f"manufacturing order {args.mo_id} does not exist in company {company}")
    else:
        if production["state"] not in ("draft", "cancel"):
            plan.refusals.append(f"{production['name']} is {production['state']}: only draft or cancelled orders")
        if production["qty_produced"]:
            plan.refusals.append(f"{production['name']} has produced {production['qty_produced']}")
    busy = [move["id"] for move in moves if move["state"] not in ("draft", "cancel") or move["quantity"]
            or move["accounted"]]
    if busy:
        plan.refusals.append(f"moves {busy} are not unused drafts")
    if entries:
        plan.warnings.append(f"{entries} journal entries mention this order in their reference; they are kept")
    if not plan.refusals and production:
        plan.changes = [{"model": "mrp.production", "unlink": [args.mo_id], "name": production["name"],
                         "with_moves": [move["id"] for move in moves]}]
        plan.apply = lambda: {"deleted": connection.execute("mrp.production", "unlink", [[args.mo_id]],
                                                            scoped(company))}
    return run("odoo_stock_mo_delete_draft", args, plan)


class CloseValueArgs(RepairArgs):
    record_id: RecordId
    source_model: Literal["auto", "stock.valuation.layer", "stock.move"] = "auto"
    grni_account_id: RecordId | None = Field(None, description="Goods received not invoiced account override.")
    date: Date | None = Field(None, description="Entry date (ISO); default: today.")


@tool("odoo_stock_close_unaccounted_value", family=FAMILY, risk=Risk.WRITE, args=CloseValueArgs, open_world=True,
      preview=lambda args, call: previewed(close_unaccounted_value, args, call))
def close_unaccounted_value(args: CloseValueArgs, call: Call) -> Any:
    """Post the missing journal entry of a stock valuation (layer or valued move) and link it, through the ORM.
    Dry run by default; confirm=true with the dry run's fingerprint posts."""
    connection = odoo(call, args.connection)
    version = major(connection)
    company = current_company(connection, args.company_id)
    model = valued_model(version) if args.source_model == "auto" else args.source_model
    if model != valued_model(version):  # decided from the detected version, never by trying
        raise ToolFailure(f"Odoo {version}.0 keeps a valuation on {valued_model(version)}"
                          + (", not on stock.move (it has no value there)" if model == "stock.move" else
                             f" ({LAYER} does not exist there)") + ": give that record's id, or source_model=auto")
    record = _one(connection, model, args.record_id, ["product_id", "quantity", "value", "company_id",
                                                      "account_move_id"])
    plan = RepairPlan(company, {"model": model, "record": record})
    if record is None or _foreign(record, company):
        plan.refusals.append(f"{model} {args.record_id} does not exist in company {company}")
        return run("odoo_stock_close_unaccounted_value", args, plan)
    if record["account_move_id"]:
        plan.refusals.append(f"{model} {args.record_id} is already accounted")
    value = round(float(record["value"] or 0), 2)
    if not value:
        plan.refusals.append("the value is zero: nothing to account")
    accounts = category_accounts(connection, company, m2o_id(record["product_id"]) or 0, args.grni_account_id,
                                 version)
    plan.read["accounts"] = accounts
    plan.refusals.extend(accounts.pop("problems"))
    if not plan.refusals:
        lines = entry_lines([(accounts["valuation"], value)], accounts["grni"], label=f"{model} {args.record_id}",
                            product_id=m2o_id(record["product_id"]), quantity=record["quantity"])
        entry = {"move_type": "entry", "journal_id": accounts["journal"], "company_id": company,
                 "date": (args.date or Date.today()).isoformat(), "ref": f"Valuation of {model} {args.record_id}",
                 "line_ids": [[0, 0, line] for line in lines]}
        if value < 0:
            plan.warnings.append("negative value: the valuation account is credited and the GRNI account debited")
        plan.changes = [{"model": "account.move", "create": entry, "then": "action_post"},
                        {"model": model, "id": args.record_id, "write": {"account_move_id": "<the new entry>"}}]
        plan.apply = lambda: post_linked_entry(connection, company, entry, model, [args.record_id])
    return run("odoo_stock_close_unaccounted_value", args, plan)
