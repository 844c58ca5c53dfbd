"""Every Odoo tool on each Odoo version: one double per version (16.0 to 19.0), as the README configures it.

A key-only configuration (the README's examples: URL, database, user, API key, no ODOO_PROTOCOL)
sweeps the catalogue on every version; `odoo_version` reports what was detected; the double refuses
and answers as that Odoo does. How the protocol is picked is odoo_client/detect.py's, tested in
tests/test_odoo_client_detect.py; reports' web session is web.py's (tests/test_odoo_client_web.py).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from guard.spec import Caller
from odoo_client.errors import OdooFault
from odoo_client.pool import OdooPool
from odoo_client.settings import OdooSettings
from odoo_mcp.families import all_specs
from tests.harness import guarded_server
from tests.odoo_configs import VERSIONS, key_only, major, versioned
from tests.odoo_double import ADMIN, OdooDouble
from tests.sensitive_cases import call, in_process

ALLOW_ALL = {"version": "1", "default": "allow"}
# Every tool that talks to Odoo (docs/tools.md, "Odoo versions and modules each tool needs"), with the
# identity family that holds a grant's own Odoo connections: a new one without a row in the sweep fails it.
ODOO_FAMILIES = {"odoo", "fiscal", "translations", "stock", "web", "website", "public", "identity"}
ODOO_TOOLS = {spec.name for spec in all_specs() if spec.family in ODOO_FAMILIES} | {"ee_license_status"}


@pytest.fixture(scope="module", params=VERSIONS)
def double(request) -> Iterator[OdooDouble]:
    """One double per version for the whole module (with the business models the stock tools use)."""
    with versioned(request.param) as running:
        yield running


@pytest.mark.anyio
async def test_odoo_version_reports_what_was_detected(double, tmp_path):
    async with in_process(ALLOW_ALL, double, "json2", tmp_path / "f", ODOO_PROTOCOL="") as guard:
        result = await call(guard, "odoo_version", {})
    assert not result.is_error, result.text
    answer = json.loads(result.text)
    assert answer["server_version"] == double.database.version
    assert answer["major_version"] == major(double)
    assert answer["protocol"] == ("json2" if major(double) >= 19 else "jsonrpc")
    assert answer["protocol_chosen"] == "detected"


def test_the_double_refuses_what_that_odoo_refuses(double):
    """Web login with an API key, a report without a session, JSON-2 and /web/version before 19."""
    body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
        "db": double.db, "login": ADMIN["login"], "password": ADMIN["api_key"]}}).encode()
    answer = json.loads(urllib.request.urlopen(urllib.request.Request(
        double.url + "/web/session/authenticate", body, {"Content-Type": "application/json"})).read())
    assert answer["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect())
    report = urllib.request.Request(double.url + "/report/pdf/contacts.report_partner_card/1",
                                    headers={"Authorization": f"bearer {ADMIN['api_key']}"})
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(report)
    assert redirected.value.code == 303 and "/web/login" in redirected.value.headers["Location"]

    version = urllib.request.Request(double.url + "/web/version")
    json2 = urllib.request.Request(double.url + "/json/2/res.partner/search_count", b"{}",
                                   {"Authorization": f"bearer {ADMIN['api_key']}", "Content-Type": "application/json"})
    for request in (version, json2):
        if major(double) >= 19:
            assert opener.open(request).status == 200
        else:
            with pytest.raises(urllib.error.HTTPError) as missing:
                opener.open(request)
            assert missing.value.code == 404


@pytest.mark.anyio
async def test_the_odoo_tools_on_each_version_with_a_key_only_configuration(double, tmp_path):
    """Every Odoo-facing tool of the catalogue, once per version, as the README configures them.

    Each call asserts a key field of its answer, or the tagged refusal a user gets where docs/tools.md says
    the tool does not support that version or needs what this double lacks (https, l10n_bg_tax_admin,
    OCA report_xlsx). The tools called are checked against the catalogue: a new Odoo tool needs a row here.
    """
    version = major(double)
    files = tmp_path / "f"
    covered: set[str] = set()
    async with in_process(ALLOW_ALL, double, "json2", files, ODOO_PROTOCOL="") as guard:
        async def answer(name: str, arguments: dict | None = None):
            covered.add(name)
            return await call(guard, name, arguments or {})

        async def ok(name: str, arguments: dict | None = None):
            result = await answer(name, arguments)
            assert not result.is_error, f"{name} on {double.database.version}: {result.text}"
            return result.data

        async def refused(name: str, arguments: dict, tag: str, *needles: str) -> str:
            result = await answer(name, arguments)
            assert result.is_error and result.text.startswith(f"[{tag}]"), f"{name} on {version}: {result.text}"
            assert all(n in result.text for n in needles), f"{name} on {version}: {result.text}"
            return result.text

        companies = [["is_company", "=", True]]
        assert await ok("odoo_search_count", {"model": "res.partner", "domain": []}) == 4
        [first] = await ok("odoo_search", {"model": "res.partner", "domain": companies, "limit": 1})
        [row] = await ok("odoo_read", {"model": "res.partner", "ids": [first], "fields": ["name", "parent_id"]})
        assert row["name"] == "YourCompany"
        created = await ok("odoo_create", {"model": "res.partner", "values": {"name": "Versioned", "city": "Namur"}})
        await ok("odoo_write", {"model": "res.partner", "ids": [created["id"]], "values": {"city": "Mons"}})
        rows = await ok("odoo_search_read", {"model": "res.partner", "domain": [["city", "=", "Mons"]],
                                             "fields": ["name"]})
        assert [r["name"] for r in rows] == ["Versioned"]
        groups = await ok("odoo_read_group", {"model": "res.partner", "groupby": ["city"], "aggregates": ["__count"]})
        counts = {g["city"]: g.get("__count") for g in groups}  # formatted_read_group on 19, read_group before
        assert counts["Mons"] == 1
        posted = await ok("odoo_message_post", {"model": "res.partner", "ids": [created["id"]], "body": "hello"})
        assert len(posted["message_ids"]) == 1
        await ok("odoo_unlink", {"model": "res.partner", "ids": [created["id"]]})

        moves = await ok("odoo_fields_get", {"model": "stock.move", "attributes": ["type"]})
        assert ("quantity" in moves, "quantity_done" in moves) == ((True, False) if version >= 17 else (False, True))
        assert ("value" in moves, "lot_id" in moves) == (version >= 19, False)  # as each Odoo answers fields_get
        assert "res.partner" in {m["model"] for m in await ok("odoo_list_models", {"filter": "partner"})}
        assert (await ok("odoo_module_info", {"module": "mail"}))["state"] == "installed"
        listed = await ok("odoo_list_translatable_fields", {"model": "ir.ui.view"})  # 16.0+: JSONB translations
        assert {"name": "arch_db", "kind": "xml"}.items() <= next(f for f in listed["fields"]
                                                                 if f["name"] == "arch_db").items()

        (files / "note.txt").write_bytes(b"versioned bytes")
        upload = await ok("odoo_attachment_upload", {"name": "note.txt", "file_path": "note.txt",
                                                     "res_model": "res.partner", "res_id": first})
        await ok("odoo_attachment_download", {"attachment_id": upload["id"], "save_path": "back.txt"})
        assert (files / "back.txt").read_bytes() == b"versioned bytes"
        backup = await ok("odoo_record_backup", {"model": "res.partner", "ids": [first], "save_path": "b.json"})
        assert backup["records"] == 1
        assert (await ok("odoo_module_install", {"modules": ["sale"]}))["modules"][0]["state"] == "installed"
        assert (await ok("odoo_module_uninstall", {"modules": ["sale"], "confirm": True}))["uninstalled"] is True
        snippets = await ok("odoo_website_list_snippets", {"search": "banner"})
        assert [s["key"] for s in snippets["snippets"]] == ["website.s_banner"]
        assert (await ok("public_access_sitemap", {}))["urls"] == ["/shop"]
        positions = await ok("odoo_fp_list", {})  # tax mappings: account.fiscal.position.tax up to 18.0
        assert "Intra-EU B2B" in json.dumps(positions)

        await refused("odoo_report", {"report_name": "contacts.report_partner_card", "ids": [1]}, "NOT CONFIGURED",
                      "reports need", "set ODOO_PASSWORD")
        await ok("odoo_web_login", {"password": ADMIN["password"]})
        read = await ok("odoo_web_read", {"model": "res.partner", "fields": ["name"], "domain": companies})
        assert [r["name"] for r in read] == ["YourCompany"]  # fields on 16, specification from 17

        flip = {"product_id": 2, "location_id": 1, "quantity": 7, "in_date": "2026-01-01"}
        stock = await answer("odoo_stock_product_flip_to_storable", flip)
        if version >= 18:
            assert not stock.is_error and stock.data["dry_run"], stock.text
        else:  # 17.0 and before have no is_storable: refused, tagged, before anything is read (tools/stock)
            assert stock.text.startswith("[NOT CONFIGURED]") and "18.0" in stock.text, stock.text

        # --- the rest of the catalogue, one minimal call each ---
        assert (await ok("odoo_version", {}))["server_version"] == double.database.version
        assert (await ok("odoo_execute", {"model": "res.partner", "method": "search_count", "args": [companies]})) == 1
        assert (await ok("odoo_module_update_list", {})) == {"updated": 0, "added": 0}  # nothing new on disk
        assert (await ok("odoo_module_upgrade", {"modules": ["mail"]}))["modules"][0]["state"] == "installed"
        assert (await ok("odoo_refresh", {}))["server_version"] == double.database.version
        added = {"alias": "again", "url": double.url, "db": double.db, "username": ADMIN["login"],
                 "api_key": ADMIN["api_key"]}
        await ok("odoo_connect", added)
        assert "again" in json.dumps(await ok("odoo_connections", {}))
        assert (await ok("odoo_search_count", {"model": "res.partner", "domain": [], "connection": "again"})) == 4
        assert (await ok("odoo_disconnect", {"alias": "again"}))["closed"] is True
        assert "again" not in json.dumps(await ok("odoo_connections", {}))
        # the certificate tools need https: on this http double a user gets their refusal
        await refused("odoo_cert_info", {}, "TOOL ERROR", "is not https")
        await refused("odoo_cert_refresh", {}, "TOOL ERROR", "is not https")
        licence = await ok("ee_license_status", {})  # a Community database: no subscription code
        assert (licence["connection"], licence["enterprise_code"]) == ("default", "not set")

        details = await ok("odoo_fp_details", {"position_id": 1})
        assert details["tax_mappings"][0]["tax_dest_id"][1] == "0% EU"
        assert "out_invoice" in (await ok("odoo_fp_types", {"live": True}))["types"]["move_type"]
        # tax actions need the Bulgarian l10n_bg_tax_admin, which this double does not have
        await refused("odoo_fp_configure", {"position_id": 1, "l10n_bg_narration": "x"}, "NOT CONFIGURED",
                      "l10n_bg_tax_admin")
        await refused("odoo_fp_remove_action", {"action_id": 1}, "NOT CONFIGURED", "l10n_bg_tax_admin")

        product = {"model": "product.template", "res_id": 1, "field_name": "name"}
        await ok("odoo_translate_field", {**product, "translations": {"fr_FR": "Chaise"}})
        got = await ok("odoo_get_field_translations", product)
        assert {"lang": "fr_FR", "source": "Chair", "value": "Chaise"} in got["translations"], got
        views = double.database.models["ir.ui.view"].records
        home = next(r["id"] for r in views.values() if r["key"] == "website.homepage")
        page = {"model": "ir.ui.view", "res_id": home, "field_name": "arch_db"}
        assert (await ok("odoo_translate_html", {**page, "mode": "extract"}))["terms"][0] == "Welcome"
        await ok("odoo_translate_html", {**page, "translations": {"fr_FR": {"Welcome": "Bienvenue"}}})
        got = await ok("odoo_get_field_translations", page)
        assert {"lang": "fr_FR", "source": "Welcome", "value": "Bienvenue"} in got["translations"], got
        prepared = await ok("odoo_translate_context_aware", {"model": "ir.ui.view", "ids": [home],
                                                             "target_lang": "bg_BG", "field_names": ["arch_db"]})
        assert prepared["items"][0]["terms"][0] == "Welcome"
        [banner] = (await ok("odoo_website_list_page_snippets", page))["snippets"]
        await ok("odoo_website_add_snippet", {**page, "snippet_key": "website.s_text_block", "position": "after",
                                              "anchor_xpath": banner["xpath"]})
        sections = (await ok("odoo_website_list_page_snippets", page))["snippets"]
        assert [s["name"] for s in sections] == ["s_banner", "s_text_block"]
        await ok("odoo_website_update_snippet", {**page, "snippet_xpath": sections[1]["xpath"],
                                                 "substitutions": {".//p": "Versioned"}})
        assert "<p>Versioned</p>" in views[home]["arch_db"]
        await ok("odoo_website_remove_snippet", {**page, "snippet_xpath": sections[1]["xpath"]})
        assert "s_text_block" not in views[home]["arch_db"]

        assert (await ok("odoo_web_call", {"model": "res.partner", "method": "search_count", "args": [companies]})) == 1
        exported = await ok("odoo_web_export", {"model": "res.partner", "fields": ["name"], "domain": companies})
        assert exported["records"] == 1
        card = await ok("odoo_web_report", {"report_name": "contacts.report_partner_card", "ids": [1],
                                            "save_path": "card.pdf"})
        assert (files / card["path"]).read_bytes().startswith(b"%PDF")
        assert (await ok("odoo_web_request", {"path": "/my/home"}))["status"] == 200
        for tool, needle in (("public_access_portal_home", "/my/home"), ("public_access_portal_invoices", "/my/"),
                             ("public_access_portal_orders", "/my/orders"),
                             ("public_access_portal_purchases", "/my/purchase"),
                             ("public_access_portal_tickets", "/my/tickets")):
            assert needle in (await ok(tool, {}))["text"], tool
        csv = await ok("public_access_export_csv", {"model": "res.partner", "fields": ["name"], "domain": companies,
                                                    "save_path": "p.csv"})
        assert (files / csv["path"]).read_text().splitlines() == ["name", "YourCompany"]
        xlsx = await ok("public_access_export_xlsx", {"model": "res.partner", "fields": ["name"],
                                                      "save_path": "p.xlsx"})
        assert (files / xlsx["path"]).read_bytes().startswith(b"PK")
        pdf = await ok("public_access_report_pdf", {"report_name": "contacts.report_partner_card", "ids": [1],
                                                    "save_path": "r.pdf"})
        assert (files / pdf["path"]).read_bytes().startswith(b"%PDF")
        shown = await ok("public_access_report_html", {"report_name": "contacts.report_partner_card", "ids": [1]})
        assert "Partner Card" in shown["text"]
        # /report/xlsx needs OCA report_xlsx, which the double does not install: the refusal, nothing saved
        await refused("public_access_report_xlsx", {"report_name": "contacts.report_partner_card", "ids": [1],
                                                    "save_path": "r.xlsx"}, "NOT CONFIGURED", "report_xlsx")
        assert not (files / "r.xlsx").exists()
        down = await ok("public_access_download", {"content_id": upload["id"], "save_path": "d.txt"})
        assert (files / down["path"]).read_bytes() == b"versioned bytes"
        image = await ok("public_access_image", {"model": "res.partner", "record_id": 1, "save_path": "i.png"})
        assert (files / image["path"]).stat().st_size > 0
        barcode = await ok("public_access_barcode", {"value": "V1", "save_path": "b.png"})
        assert b"V1" in (files / barcode["path"]).read_bytes()
        assert "Desk" in (await ok("public_access_shop", {"search": "desk"}))["text"]
        assert (await ok("odoo_web_logout", {}))["logged_out"] is True
        await refused("public_access_portal_home", {}, "NOT CONFIGURED", "odoo_web_login")

        day = {"accounting_date": "2026-01-31", "tz": "UTC"}
        opening = {**day, "items": [{"product_id": 1, "location_id": 1, "quantity": 1, "unit_cost": 2, "value": 2}]}
        if version >= 18:  # an opening stock imported, then each tool's dry run sees it (nothing more written)
            plan = await ok("odoo_stock_initial_import", opening)
            done = await ok("odoo_stock_initial_import", {**opening, "confirm": True,
                                                          "fingerprint": plan["fingerprint"]})
            assert done["imported"] == 1
            journal = await ok("odoo_stock_initial_opening_journal", day)
            [entry, link] = journal["changes"]  # valuation: its own layer model up to 18.0, on the move in 19.0
            assert entry["create"]["line_ids"][0][2]["debit"] == 2.0
            assert link["model"] == ("stock.move" if version >= 19 else "stock.valuation.layer")
            taken_back = await ok("odoo_stock_initial_delete", {"tz": "UTC", "date_from": "2026-01-01",
                                                                "date_to": "2026-12-31"})
            assert (taken_back["can_apply"], taken_back["changes"][0]["quantity"]) == (True, 1.0)
            closing = await ok("odoo_stock_close_unaccounted_value", {"record_id": link["ids"][0]})
            assert closing["can_apply"] and closing["changes"][0]["create"]["line_ids"][0][2]["debit"] == 2.0
            drafts = await ok("odoo_stock_mo_delete_draft", {"mo_id": 1})
            assert drafts["changes"][0]["unlink"] == [1]
        else:  # 17.0 and before: refused, tagged, naming the version they need
            for tool, arguments in (("odoo_stock_initial_import", opening), ("odoo_stock_initial_opening_journal", day),
                                    ("odoo_stock_initial_delete", {"tz": "UTC", "date_from": "2026-01-01",
                                                                   "date_to": "2026-12-31"}),
                                    ("odoo_stock_close_unaccounted_value", {"record_id": 1}),
                                    ("odoo_stock_mo_delete_draft", {"mo_id": 1})):
                await refused(tool, arguments, "NOT CONFIGURED", "18.0")
        # a grant's own connection: added, logged in with (detecting the protocol as above), used, deleted
        async def as_grant(name: str, arguments: dict):
            covered.add(name)
            result = await guard.tools[name](arguments, Caller(grant="sweep"))
            assert not result.is_error, f"{name} on {version}: {result.text}"
            return result.data

        assert (await as_grant("identify", {"name": "versions"}))["status"] == "new_profile"
        mine = {"alias": "mine", "url": double.url, "db": double.db, "user": ADMIN["login"],
                "api_key": ADMIN["api_key"]}
        assert (await as_grant("user_connection_add", mine))["added"] == "mine"
        assert (await as_grant("user_connection_activate", {"alias": "mine"}))["active"] == "mine"
        assert (await as_grant("who_am_i", {}))["acting_as"]["username"] == ADMIN["login"]
        assert await as_grant("odoo_search_count", {"model": "res.partner", "domain": companies}) == 1
        assert [c["alias"] for c in (await as_grant("user_connection_list", {}))["connections"]] == ["mine"]
        assert (await as_grant("user_connection_delete", {"alias": "mine"}))["connections"] == []
        if version < 19:  # JSON-2 asked for by name: the refusal names the tool where it was set
            await as_grant("user_connection_add", {**mine, "protocol": "json2"})
            forced = await guard.tools["user_connection_activate"]({"alias": "mine"}, Caller(grant="sweep"))
            assert forced.text.startswith("[NOT CONFIGURED] the protocol of connection 'mine' (user_connection_add) "
                                          f"is json2, which Odoo {version}.0 does not have"), forced.text
    assert covered == ODOO_TOOLS, f"not swept: {sorted(ODOO_TOOLS - covered)}"


def test_the_double_answers_and_refuses_with_that_versions_schema(double):
    """Fields, removed models, methods and keyword arguments as that Odoo has them, in Odoo's words."""
    connection = OdooPool(OdooSettings.from_env(key_only(double, ODOO_PASSWORD=ADMIN["password"]))).get()
    version = major(double)

    def refusal(model: str, method: str, args: list, kwargs: dict | None = None) -> str:
        with pytest.raises(OdooFault) as refused:
            connection.execute(model, method, args, kwargs or {})
        return str(refused.value)

    try:
        assert refusal("stock.move", "search_read", [[]], {"fields": ["lot_id"]}) == (
            "ValueError: Invalid field 'lot_id' on model 'stock.move'")
        export = {"fields_to_export": ["name"]}
        assert refusal("res.partner", "export_data", [[1]], {**export, "import_compat": False}) == (
            "TypeError: export_data() got an unexpected keyword argument 'import_compat'")
        assert connection.execute("res.partner", "export_data", [[1]], export) == {"datas": [["YourCompany"]]}
        described = connection.execute("product.template", "fields_get", [], {"attributes": ["type"]})
        assert ("is_storable" in described) == (version >= 18) and ("detailed_type" in described) == (version < 18)
        if version >= 19:
            assert refusal("account.fiscal.position.tax", "search", [[]]) == (
                "UserError: Object account.fiscal.position.tax doesn't exist")
            assert refusal("res.partner", "check_access_rights", [], {"operation": "read"}) == (
                "AttributeError: The method 'res.partner.check_access_rights' does not exist")
        else:
            assert connection.execute("account.fiscal.position.tax", "search_count", [[]]) == 1
            assert refusal("res.partner", "formatted_read_group", [], {"domain": [], "groupby": ["city"]}) == (
                "AttributeError: The method 'res.partner.formatted_read_group' does not exist")
    finally:
        connection.close()


@pytest.mark.anyio
@pytest.mark.parametrize("version", ["18.0", "19.0"])
async def test_the_readme_configuration_through_the_real_server(version, tmp_path):
    """The README's Claude Desktop env (URL, DB, user, API key; no protocol) through a real server process."""
    with OdooDouble(partners=3, version=version) as odoo:
        env = {"ODOO_URL": odoo.url, "ODOO_DB": odoo.db, "ODOO_USERNAME": ADMIN["login"],
               "ODOO_API_KEY": ADMIN["api_key"]}
        async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=env) as server:
            answer = await server.call("odoo_version", {})
            assert not answer.is_error, answer.text
            expected = "json2" if version == "19.0" else "jsonrpc"
            assert (answer.data["server_version"], answer.data["protocol"]) == (version, expected)
            count = await server.call("odoo_search_count", {"model": "res.partner", "domain": []})
            assert (count.is_error, count.data) == (False, 4), count.text
            report = await server.call("odoo_report", {"report_name": "contacts.report_partner_card", "ids": [1]})
            assert report.tag == "NOT CONFIGURED" and "set ODOO_PASSWORD" in report.text, report.text
