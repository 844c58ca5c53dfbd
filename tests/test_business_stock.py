"""Stock repairs end to end: the guard in process, the Odoo double (with business models) over real HTTP.

Each tool: its dry run lists the changes and a fingerprint, the real run needs confirm=true and that
fingerprint, applies exactly that through the ORM, and refuses when the data changed in between.
Hostile cases are upstream's weaknesses: code in `reference_prefix`, another company's records,
deleting a confirmed MO, zeroing stock that was not imported, a negative value, value != qty x cost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.odoo_double import OdooDouble
from tests.odoo_double.business import install
from tests.sensitive_cases import call, in_process

pytestmark = pytest.mark.anyio
ALLOW_ALL = {"version": "1", "default": "allow"}
CHAIR, DESK, LAMP, TABLE, WIDGET = 1, 2, 3, 4, 5
STOCK, LOSS, OTHER_STOCK = 1, 2, 3


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble(partners=3) as running:
        install(running.database)
        yield running


def ok(result) -> dict:
    assert not result.is_error, result.text
    return json.loads(result.text)


def records(double: OdooDouble, model: str) -> dict[int, dict]:
    return double.database.models[model].records


async def dry_then_apply(guard, tool: str, args: dict) -> tuple[dict, dict]:
    plan = ok(await call(guard, tool, args))
    assert plan["dry_run"] and plan["can_apply"], plan
    done = ok(await call(guard, tool, {**args, "confirm": True, "fingerprint": plan["fingerprint"]}))
    return plan, done


async def test_flip_to_storable_dry_run_changes_nothing_then_applies_through_an_inventory_adjustment(double, tmp_path):
    args = {"product_id": DESK, "location_id": STOCK, "quantity": 7, "in_date": "2026-01-01T08:00:00"}
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "f") as guard:
        plan = ok(await call(guard, "odoo_stock_product_flip_to_storable", args))
        assert [c["model"] for c in plan["changes"]] == ["product.template", "stock.quant"]
        assert records(double, "product.template")[DESK]["is_storable"] is False  # dry run: nothing changed
        assert not any(q["product_id"] == DESK for q in records(double, "stock.quant").values())
        no_fp = await call(guard, "odoo_stock_product_flip_to_storable", {**args, "confirm": True})
        assert no_fp.is_error and no_fp.text.startswith("[INVALID ARGUMENTS]"), no_fp.text
        legacy = await call(guard, "odoo_stock_product_flip_to_storable", {**args, "dry_run": False})
        assert legacy.is_error and "confirm=true" in legacy.text
        done = ok(await call(guard, "odoo_stock_product_flip_to_storable",
                             {**args, "confirm": True, "fingerprint": plan["fingerprint"]}))
        assert done["applied"]
        assert records(double, "product.product")[DESK]["is_storable"] is True
        quant = records(double, "stock.quant")[done["quant_id"]]
        assert (quant["quantity"], quant["location_id"], quant["accounting_date"]) == (7, STOCK, "2026-01-01")
        again = await call(guard, "odoo_stock_product_flip_to_storable",
                           {**args, "confirm": True, "fingerprint": plan["fingerprint"]})
        assert again.is_error and again.text.startswith("[CONFLICT]"), again.text  # the data moved: refused


async def test_flip_refuses_tracked_products_other_companies_and_products_with_moves(double, tmp_path):
    async with in_process(ALLOW_ALL, double, "json2", tmp_path / "f") as guard:
        for product, location, why in ((LAMP, STOCK, "tracked by serial"), (WIDGET, STOCK, "does not exist in company"),
                                       (DESK, OTHER_STOCK, "not an internal location of company 1"),
                                       (DESK, 5, "not an internal location")):
            plan = ok(await call(guard, "odoo_stock_product_flip_to_storable", {
                "product_id": product, "location_id": location, "quantity": 1, "in_date": "2026-01-01"}))
            assert not plan["can_apply"] and any(why in r for r in plan["refusals"]), plan
            forced = await call(guard, "odoo_stock_product_flip_to_storable", {
                "product_id": product, "location_id": location, "quantity": 1, "in_date": "2026-01-01",
                "confirm": True, "fingerprint": plan["fingerprint"]})
            assert forced.is_error and forced.text.startswith("[CONFLICT] refused"), forced.text
        assert records(double, "product.template")[LAMP]["is_storable"] is False
        moves = records(double, "stock.move")
        moves[99] = {**moves[1], "id": 99, "product_id": DESK, "state": "done", "raw_material_production_id": False}
        moved = ok(await call(guard, "odoo_stock_product_flip_to_storable", {
            "product_id": DESK, "location_id": STOCK, "quantity": 1, "in_date": "2026-01-01"}))
        assert any("1 done stock moves" in r for r in moved["refusals"])  # upstream's SQL bypassed this ORM rule
        del moves[99]
        other = ok(await call(guard, "odoo_stock_product_flip_to_storable", {
            "product_id": WIDGET, "location_id": OTHER_STOCK, "quantity": 1, "in_date": "2026-01-01",
            "company_id": 2}))
        assert other["can_apply"] and other["company_id"] == 2  # the other company, when asked for explicitly


async def test_mo_delete_draft_deletes_only_an_unused_draft_of_the_company(double, tmp_path):
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "f") as guard:
        confirmed = ok(await call(guard, "odoo_stock_mo_delete_draft", {"mo_id": 2}))
        assert any("is confirmed" in r for r in confirmed["refusals"])
        foreign = ok(await call(guard, "odoo_stock_mo_delete_draft", {"mo_id": 3}))
        assert any("does not exist in company 1" in r for r in foreign["refusals"])
        plan = ok(await call(guard, "odoo_stock_mo_delete_draft", {"mo_id": 1}))
        assert plan["changes"][0]["with_moves"] == [1, 2]
        records(double, "stock.move")[1]["quantity"] = 2.0  # someone reserved a component since the dry run
        stale = await call(guard, "odoo_stock_mo_delete_draft",
                           {"mo_id": 1, "confirm": True, "fingerprint": plan["fingerprint"]})
        assert stale.is_error and "changed since the dry run" in stale.text
        assert 1 in records(double, "mrp.production")
        records(double, "stock.move")[1]["quantity"] = 0.0
        _, done = await dry_then_apply(guard, "odoo_stock_mo_delete_draft", {"mo_id": 1})
        assert done["deleted"] is True
        assert 1 not in records(double, "mrp.production") and 1 not in records(double, "stock.move")
        assert {2, 3} <= set(records(double, "mrp.production"))


async def test_initial_import_then_opening_journal_then_take_back(double, tmp_path):
    items = [{"product_id": CHAIR, "location_id": STOCK, "quantity": 10, "unit_cost": 2.5, "value": 25},
             {"product_id": TABLE, "location_id": STOCK, "quantity": 2, "unit_cost": 40, "value": 80}]
    base = {"accounting_date": "2026-01-31", "tz": "Europe/Sofia"}
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "f") as guard:
        _, done = await dry_then_apply(guard, "odoo_stock_initial_import",
                                          {**base, "items": items, "reference_prefix": "Opening 2026"})
        assert done["imported"] == 2
        moves = [m for m in records(double, "stock.move").values() if m["is_inventory"]]
        assert [(m["product_id"], m["quantity"], m["value"], m["reference"]) for m in moves] == [
            (CHAIR, 10, 25, "Opening 2026"), (TABLE, 2, 80, "Opening 2026")]
        assert {m["date"] for m in moves} == {"2026-01-31 21:59:59"}  # 23:59:59 in Sofia (UTC+2)
        twice = ok(await call(guard, "odoo_stock_initial_import", {**base, "items": items}))
        assert not twice["can_apply"] and all("already has stock" in r for r in twice["refusals"])

        _, posted = await dry_then_apply(guard, "odoo_stock_initial_opening_journal", base)
        entry = records(double, "account.move")[posted["account_move_id"]]
        assert entry["state"] == "posted" and entry["company_id"] == 1
        lines = [ln for ln in records(double, "account.move.line").values() if ln["move_id"] == entry["id"]]
        assert sorted((ln["account_id"], ln["debit"], ln["credit"]) for ln in lines) == [(1, 105, 0), (3, 0, 105)]
        assert all(m["account_move_id"] == entry["id"] for m in moves)  # linked: a re-run finds nothing to post
        rerun = ok(await call(guard, "odoo_stock_initial_opening_journal", base))
        assert not rerun["can_apply"] and not rerun["changes"]
        other = ok(await call(guard, "odoo_stock_initial_opening_journal", {**base, "company_id": 2,
                                                                            "contra_account_id": 3}))
        assert any("no contra account of company 2" in r for r in other["refusals"])  # never company 1's 122000

        take_back = {"tz": "Europe/Sofia", "date_from": "2026-01-31", "date_to": "2026-01-31"}
        accounted = ok(await call(guard, "odoo_stock_initial_delete", take_back))
        assert any("accounted" in r for r in accounted["refusals"])
        for move in moves:
            move["account_move_id"] = False
        records(double, "stock.quant")[1]["quantity"] = 12.0  # chairs received since, outside the import
        _, undone = await dry_then_apply(guard, "odoo_stock_initial_delete", take_back)
        assert undone["counter_adjusted"] == 2
        quants = {q["product_id"]: q["quantity"] for q in records(double, "stock.quant").values()}
        assert quants == {CHAIR: 2.0, TABLE: 0.0}  # only what the import brought is taken back
        assert len([m for m in records(double, "stock.move").values() if m["is_inventory"]]) == 4  # history kept


async def test_hostile_import_arguments_fail_safely(double, tmp_path):
    item = {"product_id": CHAIR, "location_id": STOCK, "quantity": 1, "unit_cost": 1, "value": 1}
    base = {"accounting_date": "2026-01-31", "tz": "Europe/Sofia", "items": [item]}
    injection = "Product Quantity Updated\")if 0 else env.cr.execute('DELETE FROM res_users')#"
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "f") as guard:
        cases = [
            ({**base, "reference_prefix": injection}, "reference_prefix"),
            ({**base, "reference_prefix": "x'); DROP TABLE stock_move; --"}, "reference_prefix"),
            ({**base, "items": [{**item, "value": 1000}]}, "items[0]"),
            ({**base, "tz": "Mars/Olympus"}, "tz"),
            ({**base, "items": [{**item, "lot_id": 1, "extra": "x"}]}, "items[0].extra"),
        ]
        for arguments, field in cases:
            refused = await call(guard, "odoo_stock_initial_import", arguments)
            assert refused.is_error and refused.text.startswith("[INVALID ARGUMENTS]"), refused.text
            assert field in refused.text, refused.text
        other = ok(await call(guard, "odoo_stock_initial_import", {**base, "items": [
            {**item, "location_id": OTHER_STOCK}, {**item, "product_id": DESK}, {**item, "product_id": WIDGET}]}))
        assert not other["can_apply"] and len(other["refusals"]) == 3 and other["changes"] == []
        undated = await call(guard, "odoo_stock_initial_delete", {"tz": "UTC"})
        assert undated.is_error and "date_from" in undated.text  # never "every adjustment of the company"
    assert "ir.actions.server" not in double.database.models  # there was never a server action to create
    assert len(records(double, "res.users")) == 2 and not [m for m in records(double, "stock.move").values()
                                                          if m["is_inventory"]]


async def test_close_unaccounted_value_posts_balanced_positive_lines_and_links_the_move(double, tmp_path):
    moves = records(double, "stock.move")
    positive = 1 + max(moves)
    moves[positive] = {**moves[1], "id": positive, "state": "done", "is_valued": True, "value": 30.0, "quantity": 3,
                       "product_id": CHAIR, "raw_material_production_id": False}
    negative = positive + 1
    moves[negative] = {**moves[positive], "id": negative, "value": -12.5}
    double.database.models["stock.move"].sequence = iter(range(negative + 1, 10_000))
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "f") as guard:
        _, done = await dry_then_apply(guard, "odoo_stock_close_unaccounted_value",
                                       {"record_id": positive, "date": "2026-02-01"})
        assert moves[positive]["account_move_id"] == done["account_move_id"]
        plan, reverse = await dry_then_apply(guard, "odoo_stock_close_unaccounted_value", {"record_id": negative})
        assert any("negative value" in w for w in plan["warnings"])
        lines = sorted((ln["account_id"], ln["debit"], ln["credit"]) for ln in records(double, "account.move.line")
                       .values() if ln["move_id"] == reverse["account_move_id"])
        assert lines == [(1, 0, 12.5), (2, 12.5, 0)]  # valuation credited, GRNI debited, both positive
        again = ok(await call(guard, "odoo_stock_close_unaccounted_value", {"record_id": positive}))
        assert any("already accounted" in r for r in again["refusals"])
        table = await call(guard, "odoo_stock_close_unaccounted_value", {"record_id": 1, "source_model": "res_users"})
        assert table.is_error and table.text.startswith("[INVALID ARGUMENTS] source_model")
        foreign_grni = ok(await call(guard, "odoo_stock_close_unaccounted_value", {
            "record_id": 3, "grni_account_id": 7}))
        assert any("does not belong to company 1" in r for r in foreign_grni["refusals"])


async def test_an_approval_question_shows_the_dry_run_and_whether_the_call_matches_it(double, tmp_path):
    policy = {"version": "1", "default": "allow",
              "tools": {"odoo_stock_mo_delete_draft": {"action": "require_approval"}}}
    async with in_process(policy, double, "jsonrpc", tmp_path / "f", ODOO_MCP_APPROVALS="out_of_band") as guard:
        plan = await call(guard, "odoo_stock_mo_delete_draft", {"mo_id": 1})  # the dry run needs approval too
        assert plan.text.startswith("[APPROVAL PENDING]")
        assert '"with_moves": [\n        1,\n        2\n      ]' in plan.text
        fingerprint = plan.text.split('"fingerprint": "')[1][:64]
        stale = await call(guard, "odoo_stock_mo_delete_draft", {"mo_id": 1, "confirm": True, "fingerprint": "0" * 64})
        assert '"this_call_matches_the_plan": false' in stale.text
        fresh = await call(guard, "odoo_stock_mo_delete_draft", {"mo_id": 1, "confirm": True,
                                                                 "fingerprint": fingerprint})
        assert '"this_call_matches_the_plan": true' in fresh.text
    assert 1 in records(double, "mrp.production")  # asking deleted nothing


async def test_an_import_odoo_does_not_apply_is_undone_item_by_item(double, tmp_path):
    items = [{"product_id": CHAIR, "location_id": STOCK, "quantity": 4, "unit_cost": 10, "value": 40},
             {"product_id": TABLE, "location_id": STOCK, "quantity": 1, "unit_cost": 40, "value": 40}]
    double.database.inventory_conflicts = {TABLE}  # someone else is counting tables: Odoo answers with a wizard
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "f") as guard:
        plan = ok(await call(guard, "odoo_stock_initial_import",
                             {"accounting_date": "2026-01-31", "tz": "UTC", "items": items}))
        failed = await call(guard, "odoo_stock_initial_import", {"accounting_date": "2026-01-31", "tz": "UTC",
                                                                 "items": items, "confirm": True,
                                                                 "fingerprint": plan["fingerprint"]})
    assert failed.is_error and "stock.inventory.conflict" in failed.text, failed.text
    assert {q["product_id"]: q["quantity"] for q in records(double, "stock.quant").values()} == {CHAIR: 0.0, TABLE: 0.0}
    assert [m["reference"] for m in records(double, "stock.move").values() if m["is_inventory"]] == [
        "Product Quantity Updated", "Undo of Product Quantity Updated"]  # the chairs came in, and went back out


async def test_mo_delete_draft_without_mrp_names_the_module(double, tmp_path):
    # a real 18.0 without mrp answered "[ODOO ERROR] UserError: Object mrp.production doesn't exist"
    [mrp] = [r for r in records(double, "ir.module.module").values() if r["name"] == "mrp"]
    mrp["state"] = "uninstalled"
    del double.database.models["mrp.production"]
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "f") as guard:
        result = await call(guard, "odoo_stock_mo_delete_draft", {"mo_id": 1})
        assert result.text == ("[NOT CONFIGURED] odoo_stock_mo_delete_draft needs the Odoo module mrp "
                               "(manufacturing orders), which is not installed"), result.text
