"""One inventory adjustment through the ORM: the primitive every stock repair that changes quantities uses.

Odoo's way to set a quantity on hand: write the counted quantity on the quant (created in
inventory mode if there is none) and apply it; Odoo makes the inventory move, its valuation and
the quant's new quantity in one transaction. Odoo may answer with a wizard instead of applying
(a conflict with a count in progress): the quant is read back, and an adjustment that did not
land is an error, so the caller can undo what it did before. The move date Odoo gives (now) is
then set to the requested one on the move this adjustment made; the accounting date goes through
`force_period_date`, as `stock_account` reads it.
"""

from __future__ import annotations

from guard.spec import ToolFailure
from odoo_client.connection import OdooConnection

from .dryrun import scoped


def adjust(connection: OdooConnection, company: int, product: int, location: int, lot: int | None,
           quantity: float, *, name: str | None = None, date: str | None = None,
           accounting_date: str | None = None) -> int:
    """Make the quant (product, location, lot) hold `quantity`; returns the quant id."""
    context = scoped(company)
    context["context"]["inventory_mode"] = True
    if name:
        context["context"]["inventory_name"] = name
    if accounting_date:
        context["context"]["force_period_date"] = accounting_date
    domain = [["product_id", "=", product], ["location_id", "=", location], ["lot_id", "=", lot or False]]
    last = connection.execute("stock.move", "search", [[["product_id", "=", product]]],
                              {"order": "id desc", "limit": 1, **scoped(company)})
    found = connection.execute("stock.quant", "search", [domain], {"limit": 1, **scoped(company)})
    values = {"inventory_quantity": quantity, "inventory_quantity_set": True}
    if found:
        quant = found[0]
        connection.execute("stock.quant", "write", [[quant], values], context)
    else:
        quant = connection.execute("stock.quant", "create", [{
            "product_id": product, "location_id": location, **({"lot_id": lot} if lot else {}), **values}], context)
    answer = connection.execute("stock.quant", "action_apply_inventory", [[quant]], context)
    rows = connection.execute("stock.quant", "read", [[quant]], {"fields": ["quantity"], **scoped(company)})
    if not rows or abs(float(rows[0]["quantity"] or 0) - quantity) > 1e-6:
        wizard = answer.get("res_model") if isinstance(answer, dict) else None
        raise ToolFailure(f"Odoo did not apply the adjustment of product {product} at location {location}"
                          + (f" (it answered with {wizard})" if wizard else ""))
    if date:
        made = connection.execute("stock.move", "search", [[
            ["product_id", "=", product], ["is_inventory", "=", True], ["id", ">", last[0] if last else 0]]],
            scoped(company))
        if made:
            connection.execute("stock.move", "write", [made, {"date": date}], scoped(company))
    return quant
