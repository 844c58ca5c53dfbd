"""Opening stock: import it (inventory adjustments), take an import back, and post its opening entry.

Upstream inserted moves, quants and valuation rows with SQL (a `reference_prefix` spliced into
Python code, a commit inside the action), deleted them with SQL, and zeroed every quant of a
product x location. Here: the import is one inventory adjustment per item through the ORM
(`reference_prefix` is the adjustment's name, plain text checked by a pattern); taking it back
is a counter-adjustment of exactly the quantities the selected adjustments moved (history is
kept, other stock untouched); the opening entry is posted through the ORM and linked to the
moves it accounts, so it cannot be posted twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date as Date
from datetime import datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, model_validator

from guard.spec import Call, Risk
from odoo_client.connection import OdooConnection
from tools.lean_schema import LeanArgs
from tools.odoo.common import odoo
from tools.odoo_kit import RecordId
from tools.registry import tool

from .adjust import adjust
from .dryrun import RepairArgs, RepairPlan, current_company, m2o_id, previewed, run, scoped
from .ledger import account_in_company, entry_lines, post_linked_entry
from .valuation import Move, major, read_moves, valued_model

FAMILY = "stock"
UTC = ZoneInfo("UTC")


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone") from None
    return name


TimeZone = Annotated[str, Field(max_length=64, description="IANA time zone, e.g. Europe/Sofia."),
                     AfterValidator(_zone)]
Reference = Annotated[str, Field(pattern=r"^[\w][\w .,/#:-]{0,63}$",
                                 description="Name of the inventory adjustments (letters, digits, space, .,/#:-).")]


def utc_bounds(day_from: Date, day_to: Date, zone: str) -> tuple[str, str]:
    """The local start of `day_from` and end of `day_to`, in UTC as Odoo stores datetimes."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day_from, time(0, 0, 0), tz).astimezone(UTC)
    end = datetime.combine(day_to, time(23, 59, 59), tz).astimezone(UTC)
    return start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S")


class Item(LeanArgs):
    product_id: RecordId
    location_id: RecordId
    quantity: float = Field(gt=0, le=1e9)
    unit_cost: float = Field(ge=0, le=1e12)
    value: float = Field(ge=0, le=1e15)
    lot_id: RecordId | None = None

    @model_validator(mode="after")
    def _value_is_quantity_times_cost(self) -> Item:
        if abs(self.quantity * self.unit_cost - self.value) > 0.01:
            raise ValueError(f"value {self.value} is not quantity x unit_cost ({self.quantity * self.unit_cost:.2f})")
        return self


class ImportArgs(RepairArgs):
    accounting_date: Date
    tz: TimeZone
    items: list[Item] = Field(min_length=1, max_length=500)
    reference_prefix: Reference = "Product Quantity Updated"


def _records(connection: OdooConnection, model: str, ids: set[int], fields: list[str]) -> dict[int, dict[str, Any]]:
    rows = connection.execute(model, "search_read", [[["id", "in", sorted(ids)]]], {"fields": fields}) if ids else []
    return {row["id"]: row for row in rows}


@tool("odoo_stock_initial_import", family=FAMILY, risk=Risk.WRITE, args=ImportArgs, open_world=True,
      preview=lambda args, call: previewed(initial_import, args, call))
def initial_import(args: ImportArgs, call: Call) -> Any:
    """Import opening stock as inventory adjustments through the ORM, one per item, dated end of the local
    accounting day. Dry run by default; confirm=true with the dry run's fingerprint applies it."""
    connection = odoo(call, args.connection)
    major(connection)
    company = current_company(connection, args.company_id)
    products = _records(connection, "product.product", {i.product_id for i in args.items},
                        ["name", "is_storable", "tracking", "company_id", "standard_price"])
    locations = _records(connection, "stock.location", {i.location_id for i in args.items},
                         ["name", "usage", "company_id"])
    lots = _records(connection, "stock.lot", {i.lot_id for i in args.items if i.lot_id}, ["product_id", "company_id"])
    quants = connection.execute("stock.quant", "search_read", [[
        ["product_id", "in", sorted(products)], ["location_id", "in", sorted(locations)]]],
        {"fields": ["product_id", "location_id", "lot_id", "quantity"]}) if products and locations else []
    plan = RepairPlan(company, {"products": products, "locations": locations, "lots": lots, "quants": quants})
    _, stamp = utc_bounds(args.accounting_date, args.accounting_date, args.tz)
    seen: set[tuple[int, int, int | None]] = set()
    costs: dict[int, float] = {}
    for index, item in enumerate(args.items):
        at = f"items[{index}]"
        product, location = products.get(item.product_id), locations.get(item.location_id)
        key = (item.product_id, item.location_id, item.lot_id)
        if key in seen:
            plan.refusals.append(f"{at}: the same product, location and lot appears twice")
        seen.add(key)
        if product is None or _foreign(product, company):
            plan.refusals.append(f"{at}: product {item.product_id} does not exist in company {company}")
            continue
        if not product["is_storable"]:
            plan.refusals.append(f"{at}: {product['name']} is not storable (odoo_stock_product_flip_to_storable)")
        if location is None or location["usage"] != "internal" or _foreign(location, company):
            plan.refusals.append(f"{at}: location {item.location_id} is not an internal location of company "
                                 f"{company}")
        tracked = product["tracking"] not in ("none", False)
        lot = lots.get(item.lot_id or 0)
        if tracked and (lot is None or m2o_id(lot["product_id"]) != item.product_id or _foreign(lot, company)):
            plan.refusals.append(f"{at}: {product['name']} is tracked: lot_id must be a lot of this product")
        if not tracked and item.lot_id:
            plan.refusals.append(f"{at}: {product['name']} is not tracked: no lot_id")
        if costs.setdefault(item.product_id, item.unit_cost) != item.unit_cost:
            plan.refusals.append(f"{at}: {product['name']} appears with two unit costs")
        existing = [q for q in quants if m2o_id(q["product_id"]) == item.product_id
                    and m2o_id(q["location_id"]) == item.location_id and (m2o_id(q["lot_id"]) or None) == item.lot_id]
        if any(q["quantity"] for q in existing):
            plan.refusals.append(f"{at}: {product['name']} already has stock at location {item.location_id}")
        if product["standard_price"] != item.unit_cost:
            plan.changes.append({"model": "product.product", "id": item.product_id,
                                 "write": {"standard_price": item.unit_cost}})
        plan.changes.append({"model": "stock.quant", "product_id": item.product_id, "location_id": item.location_id,
                             "lot_id": item.lot_id, "inventory_quantity": item.quantity,
                             "then": "action_apply_inventory", "reference": args.reference_prefix, "date": stamp,
                             "value": item.value})
    if plan.refusals:
        plan.changes = []
    else:
        plan.apply = lambda: _import(connection, company, args, stamp)
    return run("odoo_stock_initial_import", args, plan)


def _foreign(record: dict[str, Any], company: int) -> bool:
    owner = m2o_id(record.get("company_id"))
    return owner is not None and owner != company


def _import(connection: OdooConnection, company: int, args: ImportArgs, stamp: str) -> dict[str, Any]:
    """Apply item by item; if one fails, the ones applied are counted back to zero (nothing half-done)."""
    applied: list[Item] = []
    try:
        for item in args.items:
            connection.execute("product.product", "write", [[item.product_id], {"standard_price": item.unit_cost}],
                               scoped(company))
            adjust(connection, company, item.product_id, item.location_id, item.lot_id, item.quantity,
                   name=args.reference_prefix, date=stamp, accounting_date=args.accounting_date.isoformat())
            applied.append(item)
    except Exception:
        for item in applied:
            adjust(connection, company, item.product_id, item.location_id, item.lot_id, 0.0,
                   name=f"Undo of {args.reference_prefix}")
        raise
    return {"imported": len(applied)}


class DeleteArgs(RepairArgs):
    tz: TimeZone
    date_from: Date = Field(description="First local day of the adjustments to take back (required).")
    date_to: Date = Field(description="Last local day (required).")
    location_ids: list[RecordId] | None = Field(None, max_length=200,
                                                description="Only adjustments from or to these locations.")
    reference_prefix: Reference | None = Field(None, description="Only adjustments whose reference starts so.")

    @model_validator(mode="after")
    def _ordered(self) -> DeleteArgs:
        if self.date_to < self.date_from:
            raise ValueError("date_to is before date_from")
        return self


def inventory_moves(connection: OdooConnection, company: int, start: str, end: str, extra: list[Any]) -> list[Move]:
    """Done inventory moves of one company in a UTC window, with value, entry and lots as the version keeps them."""
    domain = [["company_id", "=", company], ["is_inventory", "=", True], ["state", "=", "done"],
              ["date", ">=", start], ["date", "<=", end], *extra]
    return read_moves(connection, company, domain)


@tool("odoo_stock_initial_delete", family=FAMILY, risk=Risk.DESTRUCTIVE, args=DeleteArgs, open_world=True,
      preview=lambda args, call: previewed(initial_delete, args, call))
def initial_delete(args: DeleteArgs, call: Call) -> Any:
    """Take back imported opening stock: counter-adjust exactly the quantities the selected inventory adjustments
    (company, local date range, locations, reference) moved. Dry run by default; confirm=true with the fingerprint."""
    connection = odoo(call, args.connection)
    major(connection)
    company = current_company(connection, args.company_id)
    start, end = utc_bounds(args.date_from, args.date_to, args.tz)
    extra: list[Any] = []
    if args.location_ids:
        extra += ["|", ["location_id", "in", args.location_ids], ["location_dest_id", "in", args.location_ids]]
    if args.reference_prefix:
        extra.append(["reference", "=like", args.reference_prefix.replace("%", "").replace("_", "\\_") + "%"])
    moves = inventory_moves(connection, company, start, end, extra)
    location_ids = {m2o_id(m.row[side]) for m in moves for side in ("location_id", "location_dest_id")}
    internal = {row["id"] for row in connection.execute("stock.location", "search_read", [
        [["id", "in", sorted(i for i in location_ids if i)], ["usage", "=", "internal"]]], {"fields": ["id"]})}
    net: dict[tuple[int, int, int | None], float] = defaultdict(float)
    for move in moves:
        product = m2o_id(move.row["product_id"]) or 0
        source, dest = m2o_id(move.row["location_id"]) or 0, m2o_id(move.row["location_dest_id"]) or 0
        for lot, quantity in move.lots:  # per lot, from the move lines (18.0 has no stock.move.lot_id)
            if dest in internal:
                net[(product, dest, lot)] += quantity
            if source in internal:
                net[(product, source, lot)] -= quantity
    quants = connection.execute("stock.quant", "search_read", [[
        ["product_id", "in", sorted({k[0] for k in net})], ["location_id", "in", sorted({k[1] for k in net})]]],
        {"fields": ["product_id", "location_id", "lot_id", "quantity"], **scoped(company)}) if net else []
    on_hand = {(m2o_id(q["product_id"]), m2o_id(q["location_id"]), m2o_id(q["lot_id"])): q["quantity"] for q in quants}
    plan = RepairPlan(company, {"moves": [m.as_read() for m in moves], "quants": quants, "window_utc": [start, end]})
    accounted = [move.row["id"] for move in moves if move.accounted]
    if accounted:
        plan.refusals.append(f"moves {accounted} are accounted: reverse their journal entries first")
    if not moves:
        plan.warnings.append("no inventory adjustment matches")
    for (product, location, lot), quantity in sorted(net.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0)):
        if not round(quantity, 6):
            continue
        current = on_hand.get((product, location, lot), 0.0)
        target = round(current - quantity, 6)
        if target < 0:
            plan.refusals.append(f"product {product} at location {location}: only {current} left of the {quantity} "
                                 "imported (stock already used)")
        plan.changes.append({"model": "stock.quant", "product_id": product, "location_id": location, "lot_id": lot,
                             "quantity": current, "inventory_quantity": target, "then": "action_apply_inventory"})
    if plan.refusals:
        plan.changes = []
    else:
        changes = list(plan.changes)
        plan.apply = lambda: _take_back(connection, company, changes, args)
    return run("odoo_stock_initial_delete", args, plan)


def _take_back(connection: OdooConnection, company: int, changes: list[dict[str, Any]],
               args: DeleteArgs) -> dict[str, Any]:
    name = f"Take back of inventory {args.date_from}..{args.date_to}"
    done: list[dict[str, Any]] = []
    try:
        for change in changes:
            adjust(connection, company, change["product_id"], change["location_id"], change["lot_id"],
                   change["inventory_quantity"], name=name)
            done.append(change)
    except Exception:
        for change in done:
            adjust(connection, company, change["product_id"], change["location_id"], change["lot_id"],
                   change["quantity"], name=f"Undo of {name}")
        raise
    return {"counter_adjusted": len(done)}


class OpeningArgs(RepairArgs):
    accounting_date: Date
    tz: TimeZone
    contra_account_id: RecordId | None = Field(None, description="Default: account 122000 of this company.")
    journal_id: RecordId | None = Field(None, description="Default: the company's first general journal.")
    ref: str | None = Field(None, max_length=200)
    skip_if_exists_on_date: bool = Field(True, description="Refuse if posted lines exist on those accounts that day.")


@tool("odoo_stock_initial_opening_journal", family=FAMILY, risk=Risk.WRITE, args=OpeningArgs, open_world=True,
      preview=lambda args, call: previewed(initial_opening_journal, args, call))
def initial_opening_journal(args: OpeningArgs, call: Call) -> Any:
    """Post the opening journal entry of a local day's unaccounted inventory adjustments (per valuation account
    against a contra account) and link it to them. Dry run by default; confirm=true with the fingerprint posts."""
    connection = odoo(call, args.connection)
    version = major(connection)
    company = current_company(connection, args.company_id)
    start, end = utc_bounds(args.accounting_date, args.accounting_date, args.tz)
    moves = [move for move in inventory_moves(connection, company, start, end, []) if not move.accounted]
    products = _records(connection, "product.product", {m2o_id(m.row["product_id"]) or 0 for m in moves},
                        ["categ_id"])
    categories = _records(connection, "product.category", {m2o_id(p["categ_id"]) or 0 for p in products.values()},
                          ["property_stock_valuation_account_id"])
    plan = RepairPlan(company, {"moves": [m.as_read() for m in moves], "products": products, "categories": categories})
    totals: dict[int, float] = defaultdict(float)
    for move in moves:
        product = products.get(m2o_id(move.row["product_id"]) or 0, {})
        category = categories.get(m2o_id(product.get("categ_id")) or 0, {})
        account = m2o_id(category.get("property_stock_valuation_account_id"))
        if not account:
            plan.refusals.append(f"move {move.row['id']}: its product category has no valuation account")
            continue
        totals[account] += move.value  # signed: into stock positive
    contra = args.contra_account_id
    if contra is None:
        found = connection.execute("account.account", "search", [[["code", "=", "122000"],
                                                                  ["company_ids", "in", [company]]]], {"limit": 1})
        contra = found[0] if found else None
    if contra is None or not account_in_company(connection, contra, company):
        plan.refusals.append(f"no contra account of company {company} (give contra_account_id)")
    journal = args.journal_id
    journals = connection.execute("account.journal", "search", [[["company_id", "=", company],
                                                                   ["type", "=", "general"]] +
                                                                  ([["id", "=", journal]] if journal else [])],
                                  {"limit": 1})
    if not journals:
        plan.refusals.append(f"no general journal {journal or ''} of company {company}".replace("  ", " "))
    plan.read.update(contra=contra, journal=journals[0] if journals else None)
    if args.skip_if_exists_on_date and totals:
        posted = connection.execute("account.move.line", "search_count", [[
            ["company_id", "=", company], ["date", "=", args.accounting_date.isoformat()],
            ["account_id", "in", sorted(totals)], ["parent_state", "=", "posted"]]])
        plan.read["posted_same_day"] = posted
        if posted:
            plan.refusals.append(f"{posted} posted lines already exist on these accounts on {args.accounting_date}")
    amounts = [(account, round(total, 2)) for account, total in sorted(totals.items()) if round(total, 2)]
    if not amounts:
        plan.warnings.append("no unaccounted valued inventory adjustment on that day")
    if not plan.refusals and amounts and contra and journals:
        entry = {"move_type": "entry", "journal_id": journals[0], "company_id": company,
                 "date": args.accounting_date.isoformat(), "ref": args.ref or f"Opening stock {args.accounting_date}",
                 "line_ids": [[0, 0, line] for line in entry_lines(amounts, contra, label="Opening stock")]}
        # the entry is linked where this version keeps it (the moves on 19.0, their valuation layers on 18.0),
        # so the same moves are never posted twice
        target = valued_model(version)
        link_ids = [record for move in moves for record in move.link_ids]
        plan.changes = [{"model": "account.move", "create": entry, "then": "action_post"},
                        {"model": target, "ids": link_ids, "write": {"account_move_id": "<the new entry>"}}]
        plan.apply = lambda: post_linked_entry(connection, company, entry, target, link_ids)
    return run("odoo_stock_initial_opening_journal", args, plan)
