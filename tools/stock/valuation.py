"""Where a stock move's value, lots and journal entry live, by the detected Odoo version.

Read from real servers (shared/odoo-schema/{18.0,19.0}/fields.json):
- 18.0 (`stock_account`): `stock.move` has no `value`, no `lot_id` and no `account_move_id`. A
  move's value is the sum of its `stock.valuation.layer` rows (signed: into stock positive), its
  journal entry is the layer's `account_move_id` (or an `account.move` whose `stock_move_id` is
  the move). Linking an entry means writing `account_move_id` on the layers.
- 19.0: `stock.valuation.layer` is gone; `stock.move` has `value` (unsigned: the direction is the
  locations') and `account_move_id` again; linking writes `account_move_id` on the moves.
- Both: lots are on `stock.move.line.lot_id` (19.0's `stock.move.lot_ids` is computed from them,
  several per move), so quantities per lot come from the move lines.
- The GRNI (goods received, not invoiced) account of a category: 18.0's "Stock Input Account"
  (`property_stock_account_input_categ_id`); 19.0 removed it: its "Stock Variation Account"
  (`account_stock_variation_id`).
Before 18.0 the stock repairs are refused: products have no `is_storable` there (and 16.0 counts
`quantity_done`, not `quantity`), so a repair could not read what it decides on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from guard.spec import NotConfigured
from odoo_client.connection import OdooConnection

from .dryrun import m2o_id, scoped

MOVE_FIELDS = ["reference", "product_id", "location_id", "location_dest_id", "quantity", "date"]
LAYER = "stock.valuation.layer"


def major(connection: OdooConnection) -> int:
    """The detected version, refused below 18.0 (see the module docstring)."""
    version = connection.major_version()
    if version < 18:
        raise NotConfigured(f"the stock repairs need Odoo 18.0 or later (is_storable, stock.move.quantity); this "
                            f"server is {version}.0")
    return version


def grni_field(version: int) -> str:
    return "account_stock_variation_id" if version >= 19 else "property_stock_account_input_categ_id"


def valued_model(version: int) -> str:
    """Where a valuation (value + entry) is a record: the layer on 18.0, the move on 19.0."""
    return "stock.move" if version >= 19 else LAYER


@dataclass
class Move:
    """A stock move with what its version keeps elsewhere: signed value, entry, lots, where to link."""

    row: dict[str, Any]
    value: float = 0.0
    """Signed: positive into internal stock."""
    accounted: bool = False
    link_ids: list[int] = field(default_factory=list)
    """The records of `valued_model(version)` to write `account_move_id` on."""
    lots: list[tuple[int | None, float]] = field(default_factory=list)
    """(lot, quantity) of its lines; one `(None, quantity)` when the move has no lot."""

    def as_read(self) -> dict[str, Any]:
        """What the dry run shows and the fingerprint covers."""
        return {**self.row, "value": round(self.value, 2), "accounted": self.accounted,
                "lots": [[lot, quantity] for lot, quantity in self.lots]}


def read_moves(connection: OdooConnection, company: int, domain: list[Any]) -> list[Move]:
    """The moves of `domain` (one company, by id) with value, entry, lots and link records for this version."""
    version = major(connection)
    fields = MOVE_FIELDS + (["value", "account_move_id"] if version >= 19 else [])
    rows = connection.execute("stock.move", "search_read", [domain], {"fields": fields, "order": "id",
                                                                     **scoped(company)})
    moves = {row["id"]: Move(row={key: row.get(key) for key in ["id", *MOVE_FIELDS]}) for row in rows}
    if not moves:
        return []
    ids = sorted(moves)
    lines = connection.execute("stock.move.line", "search_read", [[["move_id", "in", ids]]], {
        "fields": ["move_id", "lot_id", "quantity"], "order": "id", **scoped(company)})
    by_lot: dict[int, dict[int | None, float]] = defaultdict(lambda: defaultdict(float))
    for line in lines:
        by_lot[m2o_id(line["move_id"]) or 0][m2o_id(line["lot_id"])] += float(line["quantity"] or 0)
    for move_id, move in moves.items():
        lots = {lot: quantity for lot, quantity in by_lot.get(move_id, {}).items() if quantity}
        move.lots = sorted(lots.items(), key=lambda kv: kv[0] or 0) or [(None, float(move.row["quantity"] or 0))]
    if version >= 19:
        locations = {m2o_id(row[side]) for row in rows for side in ("location_id", "location_dest_id")}
        internal = _internal(connection, locations)
        for row in rows:
            move = moves[row["id"]]
            sign = 1 if m2o_id(row["location_dest_id"]) in internal else -1
            move.value = sign * float(row["value"] or 0)
            move.accounted = bool(row["account_move_id"])
            move.link_ids = [row["id"]]
        return list(moves.values())
    layers = connection.execute(LAYER, "search_read", [[["stock_move_id", "in", ids]]], {
        "fields": ["stock_move_id", "value", "account_move_id"], "order": "id", **scoped(company)})
    entries = connection.execute("account.move", "search_read", [[["stock_move_id", "in", ids]]], {
        "fields": ["stock_move_id"], **scoped(company)})
    for layer in layers:
        move = moves[m2o_id(layer["stock_move_id"]) or 0]
        move.value += float(layer["value"] or 0)
        move.accounted = move.accounted or bool(layer["account_move_id"])
        move.link_ids.append(layer["id"])
    for entry in entries:
        moves[m2o_id(entry["stock_move_id"]) or 0].accounted = True
    return list(moves.values())


def _internal(connection: OdooConnection, location_ids: set[int | None]) -> set[int]:
    wanted = sorted(i for i in location_ids if i)
    if not wanted:
        return set()
    return {row["id"] for row in connection.execute("stock.location", "search_read", [
        [["id", "in", wanted], ["usage", "=", "internal"]]], {"fields": ["id"]})}


def accounted_move_ids(connection: OdooConnection, company: int, move_ids: list[int]) -> set[int]:
    """Which of `move_ids` already have a journal entry (used by repairs that only need to know that)."""
    if not move_ids:
        return set()
    return {move.row["id"] for move in read_moves(connection, company, [["id", "in", move_ids]]) if move.accounted}
