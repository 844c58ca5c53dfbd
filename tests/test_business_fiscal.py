"""Fiscal position tools end to end against the double: standard Odoo, then with l10n_bg_tax_admin installed.

Without the module the reads answer with standard mappings and say what needs it, and writes
are refused naming it; with it, tax actions are configured in positions of one company only, with
selections checked before Odoo is asked (upstream checked neither).
"""

from __future__ import annotations

import json

import pytest

from tests.odoo_double import OdooDouble
from tests.odoo_double.business import install
from tests.sensitive_cases import call, in_process

pytestmark = pytest.mark.anyio
ALLOW_ALL = {"version": "1", "default": "allow"}
EU, DOMESTIC, OTHER_CO = 1, 2, 3


def ok(result) -> dict:
    assert not result.is_error, result.text
    return json.loads(result.text)


@pytest.mark.parametrize("version", ["18.0", "19.0"])  # 19.0 has no account.fiscal.position.tax
async def test_standard_odoo_answers_with_mappings_and_names_the_missing_module(tmp_path, version):
    with OdooDouble(partners=3, version=version) as double:
        install(double.database)
        protocol = "json2" if version == "19.0" else "jsonrpc"  # JSON-2 exists from 19.0
        async with in_process(ALLOW_ALL, double, protocol, tmp_path / "f") as guard:
            listed = ok(await call(guard, "odoo_fp_list", {"company_id": 1}))
            assert [p["name"] for p in listed["positions"]] == ["Domestic", "Intra-EU B2B"]
            eu = next(p for p in listed["positions"] if p["id"] == EU)
            assert (eu["tax_mapping_count"], eu["account_mapping_count"]) == (1, 1) and "action_count" not in eu
            assert listed["l10n_bg_tax_admin"] is False and "l10n_bg_tax_admin" in listed["note"]
            details = ok(await call(guard, "odoo_fp_details", {"position_id": EU}))
            [mapping] = details["tax_mappings"]
            assert (mapping["tax_src_id"][1], mapping["tax_dest_id"][1]) == ("20% VAT", "0% EU")
            assert details["account_mappings"][0]["account_dest_id"][1] == "Sales EU"
            assert "tax_actions" not in details and "not installed" in details["note"]
            refused = await call(guard, "odoo_fp_configure", {"position_id": EU, "l10n_bg_narration": "x"})
            assert refused.is_error and refused.text.startswith("[NOT CONFIGURED]") and "l10n_bg_tax_admin" in \
                refused.text
            live = ok(await call(guard, "odoo_fp_types", {"live": True}))
            assert "out_invoice" in live["types"]["move_type"] and "l10n_bg_tax_admin" in live["note"]
            missing = await call(guard, "odoo_fp_details", {"position_id": 999})
            assert missing.is_error and "does not exist" in missing.text


async def test_with_the_bulgarian_module_tax_actions_are_configured_in_one_company(tmp_path):
    with OdooDouble(partners=3) as double:
        install(double.database, bg_tax_admin=True)
        actions = double.database.models["account.fiscal.position.tax.action"].records
        async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "f") as guard:
            listed = ok(await call(guard, "odoo_fp_list", {"name": "eu"}))
            assert [(p["name"], p["action_count"]) for p in listed["positions"]] == [("Intra-EU B2B", 1)]
            created = ok(await call(guard, "odoo_fp_configure", {
                "position_id": DOMESTIC, "move_type": "in_invoice", "l10n_bg_move_type": "customs",
                "l10n_bg_document_type": "07", "l10n_bg_narration": "Import", "factor_percent": 100}))
            new = actions[created["created"]]
            assert (new["position_id"], new["l10n_bg_doc_type"], new["company_id"]) == (DOMESTIC, "07", 1)
            updated = ok(await call(guard, "odoo_fp_configure", {"action_id": created["created"],
                                                                 "l10n_bg_narration": "Import (customs)"}))
            assert updated["action"]["l10n_bg_narration"] == "Import (customs)"
            details = ok(await call(guard, "odoo_fp_details", {"position_id": DOMESTIC}))
            assert [a["l10n_bg_move_type"] for a in details["tax_actions"]] == ["customs"]
            bad_enum = await call(guard, "odoo_fp_configure", {"position_id": EU, "move_type": "payroll",
                                                               "l10n_bg_narration": "x"})
            assert bad_enum.is_error and bad_enum.text.startswith("[INVALID ARGUMENTS] move_type")
            no_narration = await call(guard, "odoo_fp_configure", {"position_id": EU})
            assert no_narration.is_error and "l10n_bg_narration" in no_narration.text
            foreign = await call(guard, "odoo_fp_configure", {"position_id": OTHER_CO, "l10n_bg_narration": "x"})
            assert foreign.is_error and "another company" in foreign.text
            retarget = await call(guard, "odoo_fp_configure", {"action_id": created["created"],
                                                               "position_dest_id": OTHER_CO})
            assert retarget.is_error and "another company" in retarget.text
            assert len(actions) == 2 and new["position_dest_id"] is False
            types = ok(await call(guard, "odoo_fp_types", {"live": True}))
            assert types["types"]["l10n_bg_doc_type"] == ["01", "02", "03", "07", "09", "81", "82"]
            assert ok(await call(guard, "odoo_fp_types", {}))["source"] == "built-in"
            removed = ok(await call(guard, "odoo_fp_remove_action", {"action_id": created["created"]}))
            assert removed["values"]["l10n_bg_narration"] == "Import (customs)" and created["created"] not in actions
            double.database.models["account.fiscal.position.tax.action"].records[1]["position_id"] = OTHER_CO
            refused = await call(guard, "odoo_fp_remove_action", {"action_id": 1})
            assert refused.is_error and "another company" in refused.text and 1 in actions
