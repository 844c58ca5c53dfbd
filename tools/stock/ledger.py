"""Journal entries of the stock repairs: which accounts, balanced positive lines, post and link or undo.

Every account and journal is checked to belong to the repair's company (upstream's contra
account fallback searched every company). A negative amount swaps debit and credit instead of
writing negative amounts. `post_linked_entry` creates a draft, links it to the stock records,
then posts; if linking or posting fails the draft is removed and the links cleared, so a
failure leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from odoo_client.connection import OdooConnection

from .dryrun import m2o_id, scoped
from .valuation import grni_field


def account_in_company(connection: OdooConnection, account_id: int, company: int) -> bool:
    return bool(connection.execute("account.account", "search_count", [
        [["id", "=", account_id], ["company_ids", "in", [company]]]]))


def category_accounts(connection: OdooConnection, company: int, product_id: int,
                      grni_override: int | None, version: int) -> dict[str, Any]:
    """Valuation account, GRNI account and stock journal of a product's category, with problems found.
    The category's GRNI account is its Stock Input Account up to 18.0, its Stock Variation Account on 19.0."""
    grni = grni_field(version)
    problems: list[str] = []
    product = connection.execute("product.product", "search_read", [[["id", "=", product_id]]],
                                 {"fields": ["categ_id"]})
    categ_id = m2o_id(product[0]["categ_id"]) if product else None
    category = connection.execute("product.category", "search_read", [[["id", "=", categ_id or 0]]], {"fields": [
        "property_valuation", "property_stock_valuation_account_id", grni,
        "property_stock_journal"]}) if categ_id else []
    if not category:
        return {"problems": [f"product {product_id} has no category"], "valuation": None, "grni": None,
                "journal": None}
    row = category[0]
    valuation = m2o_id(row["property_stock_valuation_account_id"])
    grni = grni_override or m2o_id(row[grni])
    journal = m2o_id(row["property_stock_journal"])
    if row["property_valuation"] != "real_time":
        problems.append("the product category is not valued in real time")
    for name, account in (("valuation", valuation), ("GRNI", grni)):
        if not account:
            problems.append(f"no {name} account (give grni_account_id for GRNI)")
        elif not account_in_company(connection, account, company):
            problems.append(f"the {name} account {account} does not belong to company {company}")
    if not journal or not connection.execute("account.journal", "search_count", [
            [["id", "=", journal], ["company_id", "=", company], ["type", "=", "general"]]]):
        problems.append(f"the category's stock journal is not a general journal of company {company}")
    return {"problems": problems, "valuation": valuation, "grni": grni, "journal": journal}


def entry_lines(amounts: list[tuple[int, float]], contra: int, *, label: str, product_id: int | None = None,
                quantity: Any = None) -> list[dict[str, Any]]:
    """One line per (account, signed amount), balanced by the contra account; every amount positive."""
    lines: list[dict[str, Any]] = []
    total = 0.0
    for account, amount in amounts:
        amount = round(amount, 2)
        total += amount
        line: dict[str, Any] = {"account_id": account, "name": label, "debit": max(amount, 0.0),
                                "credit": max(-amount, 0.0)}
        if product_id:
            line.update(product_id=product_id, quantity=abs(float(quantity or 0)))
        lines.append(line)
    total = round(total, 2)
    lines.append({"account_id": contra, "name": label, "debit": max(-total, 0.0), "credit": max(total, 0.0)})
    return lines


def post_linked_entry(connection: OdooConnection, company: int, entry: dict[str, Any], model: str,
                      ids: list[int]) -> dict[str, Any]:
    """Create the entry as a draft, link it to `ids` of `model`, post it; undo all of it on failure."""
    context = scoped(company)
    entry_id = connection.execute("account.move", "create", [entry], context)
    linked = False
    try:
        connection.execute(model, "write", [ids, {"account_move_id": entry_id}], context)
        linked = True
        connection.execute("account.move", "action_post", [[entry_id]], context)
    except Exception:
        if linked:
            connection.execute(model, "write", [ids, {"account_move_id": False}], context)
        connection.execute("account.move", "unlink", [[entry_id]], context)
        raise
    return {"account_move_id": entry_id, "linked": {model: ids}}
