"""The translation, website, web-session and public/portal tools against the Odoo double over real HTTP,
driven in-process through the guard (JSON-RPC and JSON-2), plus one hostile case per upstream weakness."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from guard.spec import Caller
from tests.harness import guarded_server
from tests.odoo_double import ADMIN, OdooDouble
from tests.sensitive_cases import call, in_process, odoo_env

pytestmark = pytest.mark.anyio
PROTOCOLS = ["jsonrpc", "json2", "xmlrpc"]
ALLOW_ALL = {"version": "1", "default": "allow"}
ZW = "\u200b"


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble(partners=5) as running:
        yield running


def product(double: OdooDouble) -> dict:
    return double.database.models["product.template"].records[1]


def view_id(double: OdooDouble, key: str) -> int:
    return next(r["id"] for r in double.database.models["ir.ui.view"].records.values() if r["key"] == key)


async def ok(guard, tool, args, caller=None):
    result = await (guard.tools[tool](args, caller) if caller else call(guard, tool, args))
    assert not result.is_error, f"{tool}: {result.text[:400]}"
    return result.data


async def refused(guard, tool, args, needle):
    result = await call(guard, tool, args)
    assert result.is_error and needle in result.text, f"{tool}: {result.text[:400]}"
    return result.text


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_translations(protocol, double, tmp_path):
    async with in_process(ALLOW_ALL, double, protocol, tmp_path / "files") as guard:
        listed = await ok(guard, "odoo_list_translatable_fields", {"model": "product.template"})
        kinds = {row["name"]: row["kind"] for row in listed["fields"]}
        assert {"name": "simple", "description_sale": "simple", "website_description": "html"}.items() <= kinds.items()
        assert kinds["description"] == "html" and "list_price" not in kinds  # Odoo's own product.template
        views = await ok(guard, "odoo_list_translatable_fields", {"model": "ir.ui.view"})
        view_kinds = {r["name"]: r["kind"] for r in views["fields"]}  # with website: seo_name, website_meta_*
        assert view_kinds.pop("arch_db") == "xml" and set(view_kinds.values()) == {"simple"}

        for tool, args in (("odoo_get_field_translations", {"model": "ir.config_parameter", "res_id": 1,
                                                            "field_name": "value"}),
                           ("odoo_list_translatable_fields", {"model": "ir.config_parameter"}),
                           ("odoo_website_list_page_snippets", {"model": "res.users", "res_id": 2,
                                                                "field_name": "totp_secret"})):
            await refused(guard, tool, args, "[POLICY DENIED] sensitive data")
        got = await ok(guard, "odoo_get_field_translations", {"model": "product.template", "res_id": 1,
                                                              "field_name": "name"})
        assert {"lang": "fr_FR", "source": "Desk", "value": "Bureau"} in got["translations"]

        # the same value as the source is stored as given: no zero-width prefix (upstream added U+200B)
        preview = await ok(guard, "odoo_translate_field", {"model": "product.template", "res_id": 1,
                                                           "field_name": "name", "dry_run": True,
                                                           "translations": {"bg_BG": "Desk", "fr_FR": "Table"}})
        assert preview["would_write"] == {"bg_BG": "Desk", "fr_FR": "Table"}
        assert product(double)["__translations__"]["name"]["fr_FR"] == "Bureau"  # dry run wrote nothing
        await ok(guard, "odoo_translate_field", {"model": "product.template", "res_id": 1, "field_name": "name",
                                                 "translations": {"bg_BG": "Desk", "fr_FR": "Table"}})
        assert product(double)["__translations__"]["name"] == {"fr_FR": "Table", "bg_BG": "Desk"}
        await refused(guard, "odoo_translate_field", {"model": "product.template", "res_id": 1, "field_name": "name",
                                                      "translations": {"de_DE": "Tisch"}}, "not active")
        await refused(guard, "odoo_translate_field", {"model": "product.template", "res_id": 1, "field_name": "name",
                                                      "translations": {"fr_FR": ZW + "Desk"}}, "zero-width")

        extract = await ok(guard, "odoo_translate_html", {"model": "product.template", "res_id": 1,
                                                          "field_name": "website_description", "mode": "extract"})
        assert extract["terms"] == ["A <b>solid</b> desk", "Made of oak"] and extract["missing"]["fr_FR"] == 2
        terms = {"fr_FR": {"A <b>solid</b> desk": "Un bureau <b>solide</b>"}}
        await ok(guard, "odoo_translate_html", {"model": "product.template", "res_id": 1,
                                                "field_name": "website_description", "translations": terms})
        stored = product(double)["__translations__"]["website_description"]["fr_FR"]
        assert stored == {"A <b>solid</b> desk": "Un bureau <b>solide</b>"}  # no backfill of the other term
        # unsafe markup in a term is refused, nothing written (upstream wrote it unsanitised)
        for bad in ('<img src="x" onerror="alert(1)">', "<script>alert(1)</script>", '<a href="javascript:x()">y</a>'):
            await refused(guard, "odoo_translate_html", {
                "model": "product.template", "res_id": 1, "field_name": "website_description",
                "translations": {"bg_BG": {"Made of oak": bad}}}, "[INVALID ARGUMENTS]")
        assert "bg_BG" not in product(double)["__translations__"]["website_description"]
        await refused(guard, "odoo_translate_html", {"model": "product.template", "res_id": 1,
                                                     "field_name": "website_description",
                                                     "translations": {"fr_FR": {"not a term": "x"}}}, "not terms")
        await refused(guard, "odoo_translate_html", {"model": "product.template", "res_id": 1,
                                                     "field_name": "website_description", "mode": "replace",
                                                     "translations": {"en_US": "<p>x</p>"}}, "orphan")
        await ok(guard, "odoo_translate_html", {"model": "product.template", "res_id": 1,
                                                "field_name": "website_description", "mode": "replace",
                                                "translations": {"bg_BG": "<div><p>Бюро</p><p>Дъб</p></div>"}})
        assert product(double)["__translations__"]["website_description"]["bg_BG"]["Made of oak"] == "Дъб"
        hv = view_id(double, "website.homepage")
        await ok(guard, "odoo_translate_html", {"model": "ir.ui.view", "res_id": hv, "field_name": "arch_db",
                                                "translations": {"fr_FR": {"Welcome": "Bienvenue"}}})
        await refused(guard, "odoo_translate_html", {"model": "ir.ui.view", "res_id": hv, "field_name": "arch_db",
                                                     "translations": {"fr_FR": {"Welcome": '<t t-raw="x"/>'}}},
                      "unsafe markup")


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_context_aware_writes_exactly_what_was_prepared(protocol, double, tmp_path):
    async with in_process(ALLOW_ALL, double, protocol, tmp_path / "files") as guard:
        base = {"model": "product.template", "ids": [1], "target_lang": "bg_BG",
                "field_names": ["name", "website_description"]}
        prepared = await ok(guard, "odoo_translate_context_aware", base)
        items = {item["field"]: item for item in prepared["items"]}
        assert items["name"]["source"] == "Desk" and "Made of oak" in items["website_description"]["terms"]
        translations = {"1": {"name": "Бюро", "website_description": {"Made of oak": "От дъб"}}}
        write = {**base, "dry_run": False, "token": prepared["token"], "translations": translations}
        await refused(guard, "odoo_translate_context_aware", {**write, "token": "0" * 64}, "[CONFLICT] the token")
        await refused(guard, "odoo_translate_context_aware",
                      {**write, "translations": {"1": {"website_description": {"Invented": "x"}}}}, "not a prepared")
        # another grant cannot use this grant's token
        other = await guard.tools["odoo_translate_context_aware"](write, Caller(grant="other"))
        assert other.is_error and "token does not match" in other.text
        await ok(guard, "odoo_translate_context_aware", write)
        stored = product(double)["__translations__"]
        assert stored["name"]["bg_BG"] == "Бюро" and stored["website_description"]["bg_BG"] == {"Made of oak": "От дъб"}
        # the source changes after preparing: the old token no longer writes
        product(double)["name"] = "Writing desk"
        await refused(guard, "odoo_translate_context_aware", {**write, "translations": {"1": {"name": "x"}}},
                      "token does not match")
        assert stored["name"]["bg_BG"] == "Бюро"


async def test_translations_before_16_use_ir_translation(tmp_path):
    with OdooDouble(partners=2, version="15.0") as old:
        async with in_process(ALLOW_ALL, old, "jsonrpc", tmp_path / "files") as guard:
            got = await ok(guard, "odoo_get_field_translations", {"model": "product.template", "res_id": 1,
                                                                  "field_name": "name"})
            assert got["translations"] == [{"lang": "fr_FR", "source": "Desk", "value": "Bureau"}]
            await ok(guard, "odoo_translate_field", {"model": "product.template", "res_id": 1, "field_name": "name",
                                                     "translations": {"fr_FR": "Table", "bg_BG": "Бюро"}})
            rows = {r["lang"]: r["value"] for r in old.database.models["ir.translation"].records.values()}
            assert rows == {"fr_FR": "Table", "bg_BG": "Бюро"}
            await refused(guard, "odoo_translate_html", {"model": "product.template", "res_id": 1,
                                                         "field_name": "website_description", "mode": "extract"},
                          "Odoo 16")


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_website_snippets(protocol, double, tmp_path):
    files = tmp_path / "files"
    async with in_process(ALLOW_ALL, double, protocol, files) as guard:
        listed = await ok(guard, "odoo_website_list_snippets", {})
        assert {s["key"] for s in listed["snippets"]} == {"website.s_banner", "website.s_text_block"}
        assert "arch_db" not in str(listed)
        hv = view_id(double, "website.homepage")
        page = {"model": "ir.ui.view", "res_id": hv, "field_name": "arch_db"}
        views = double.database.models["ir.ui.view"].records
        original = views[hv]["arch_db"]
        found = await ok(guard, "odoo_website_list_page_snippets", page)
        [banner] = found["snippets"]
        # a record that is gone: Odoo's read answers [] (no error), the tool says which record
        gone = await call(guard, "odoo_website_list_page_snippets", {**page, "res_id": 987654})
        assert gone.text == "[TOOL ERROR] ir.ui.view 987654 does not exist (or is not visible to this user)", gone.text
        assert banner["name"] == "s_banner" and banner["xpath"] == "/t/t/div/section"

        dry = await ok(guard, "odoo_website_add_snippet", {**page, "snippet_key": "website.s_text_block",
                                                           "dry_run": True})
        assert "+" in dry["diff"] and views[hv]["arch_db"] == original
        added = await ok(guard, "odoo_website_add_snippet", {
            **page, "snippet_key": "website.s_text_block", "position": "after", "anchor_xpath": banner["xpath"],
            "substitutions": {".//p": "Hello & <welcome>", "@data-name": "Intro", ".//div/@style:color": "red"}})
        after = views[hv]["arch_db"]
        assert (files / added["backup"]).read_text() == original
        assert after.startswith('<t name="Home" t-name="website.homepage">\n  <t t-call="website.layout">')
        assert '<h1 t-esc="title">Welcome</h1>' in after and "<br/>" in after  # QWeb and XML kept
        assert "Hello &amp; &lt;welcome&gt;" in after and 'style="color: red"' in after
        assert added["diff"].count("\n+") >= 1

        sections = (await ok(guard, "odoo_website_list_page_snippets", page))["snippets"]
        assert [s["name"] for s in sections] == ["s_banner", "s_text_block"]
        await ok(guard, "odoo_website_update_snippet", {**page, "snippet_xpath": sections[1]["xpath"],
                                                        "substitutions": {".//p": "Updated"}})
        assert "<p>Updated</p>" in views[hv]["arch_db"]
        # hostile attribute values: event handlers, script URLs, QWeb directives, CSS expressions
        for key, value in ((".//p/@onclick", "alert(1)"), ("@href", "javascript:alert(1)"),
                           (".//p/@t-raw", "request.env"), (".//p/@style:background", "url(javascript:x)"),
                           (".//p/@src", " JaVaScRiPt:alert(1)")):
            before = views[hv]["arch_db"]
            await refused(guard, "odoo_website_update_snippet", {**page, "snippet_xpath": sections[1]["xpath"],
                                                                 "substitutions": {key: value}}, "[INVALID ARGUMENTS]")
            assert views[hv]["arch_db"] == before
        await refused(guard, "odoo_website_remove_snippet", {**page, "snippet_xpath": "."}, "selects no element")
        removed = await ok(guard, "odoo_website_remove_snippet", {**page, "snippet_xpath": sections[1]["xpath"]})
        assert "s_text_block" not in views[hv]["arch_db"] and "Updated" in (files / removed["backup"]).read_text()
        # not well-formed XML is refused, never re-serialised by an HTML parser
        double.database.models["product.template"].records[1]["website_description"] = "<p>a<br>b</p>"
        await refused(guard, "odoo_website_update_snippet", {
            "model": "product.template", "res_id": 1, "field_name": "website_description",
            "snippet_xpath": "/p", "substitutions": {".": "x"}}, "not well-formed")
        assert double.database.models["product.template"].records[1]["website_description"] == "<p>a<br>b</p>"


async def test_website_edit_needs_a_files_root_for_its_backup(double, tmp_path):
    # the backup is written before the view: with no files root configured nothing is written at all
    from guard.policy import parse_policy
    from odoo_mcp.config import Roots, Settings
    from odoo_mcp.server import build_guard
    from tests.sensitive_cases import odoo_env
    settings = Settings(policy_path=tmp_path / "unused", audit_stderr=False, roots=Roots(),
                        env=odoo_env(double, "jsonrpc"))
    guard, runtime = build_guard(settings, parse_policy(ALLOW_ALL))
    try:
        hv = view_id(double, "website.homepage")
        before = double.database.models["ir.ui.view"].records[hv]["arch_db"]
        result = await call(guard, "odoo_website_remove_snippet", {"model": "ir.ui.view", "res_id": hv,
                                                                   "field_name": "arch_db",
                                                                   "snippet_xpath": "/t/t/div/section"})
        assert result.is_error and "[NOT CONFIGURED]" in result.text
        assert double.database.models["ir.ui.view"].records[hv]["arch_db"] == before
    finally:
        runtime.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_web_session_and_public_access(protocol, double, tmp_path):
    files = tmp_path / "files"
    async with in_process(ALLOW_ALL, double, protocol, files) as guard:
        await refused(guard, "odoo_web_read", {"model": "res.partner", "fields": ["name"]}, "odoo_web_login")
        await refused(guard, "odoo_web_login", {"url": "http://evil.example"}, "own URL")
        if protocol == "json2":  # an API key only: Odoo opens web sessions with a password only
            await refused(guard, "odoo_web_login", {}, "set ODOO_PASSWORD")
        login = await ok(guard, "odoo_web_login", {"password": ADMIN["password"]} if protocol == "json2" else {})
        assert login["uid"] == 2 and "session" not in str(login).lower().replace("logged_in", "")
        token = next(iter(double.database.sessions))
        # another grant does not share this session
        other = await guard.tools["odoo_web_read"]({"model": "res.partner", "fields": ["name"]}, Caller(grant="b"))
        assert other.is_error and "odoo_web_login" in other.text

        read = await ok(guard, "odoo_web_read", {"model": "res.partner", "fields": ["name"], "limit": 2})
        assert len(read["records"] if isinstance(read, dict) else read) == 2
        masked = await ok(guard, "odoo_web_read", {"model": "res.users", "fields": ["name", "totp_secret"]})
        assert "JBSWY3DPEHPK3PXP" not in str(masked) and masked["masked_fields"] == ["totp_secret"]
        called = await ok(guard, "odoo_web_call", {"model": "res.partner", "method": "search_count", "args": [[]]})
        assert called == 6
        await refused(guard, "odoo_web_call", {"model": "ir.config_parameter", "method": "search_read"},
                      "[POLICY DENIED]")
        exported = await ok(guard, "odoo_web_export", {"model": "res.partner", "fields": ["name"], "limit": 3})
        assert exported["records"] == 3
        await refused(guard, "odoo_web_export", {"model": "res.users", "fields": ["login"]}, "[POLICY DENIED]")
        report = await ok(guard, "odoo_web_report", {"report_name": "contacts.report_partner_card", "ids": [1],
                                                     "save_path": "card.pdf"})
        assert (files / report["path"]).read_bytes().startswith(b"%PDF")
        await refused(guard, "odoo_web_report", {"report_name": "contacts.report_partner_card", "ids": [1],
                                                 "save_path": "/etc/passwd.pdf"}, "[PATH REFUSED]")
        await refused(guard, "odoo_web_report", {"report_name": "contacts.report_partner_card", "ids": [1],
                                                 "save_path": "../out.pdf"}, "[PATH REFUSED]")
        home = await ok(guard, "odoo_web_request", {"path": "/my/home"})
        assert home["status"] == 200 and "Mitchell Admin" in home["text"]
        for path in ("@evil.example/x", "//evil.example/x", ".evil.example/x", "/my/../web/database/drop",
                     "/web/database/list", "/jsonrpc", "/my\\..\\x"):
            await refused(guard, "odoo_web_request", {"path": path}, "refused" if "evil" in path or ".." in path
                          or "\\" in path else "not allowed")
        assert all("evil" not in logged[1] for logged in double.database.web_log)

        for tool, needle in (("public_access_portal_home", "/my/home"), ("public_access_portal_invoices", "page 2"),
                             ("public_access_portal_orders", "/my/orders"), ("public_access_portal_purchases",
                                                                             "/my/purchase"),
                             ("public_access_portal_tickets", "/my/tickets")):
            args = {"page": 2} if tool.endswith("invoices") else {}
            text = (await ok(guard, tool, args))["text"]
            assert needle in text and "var x" not in text, (tool, text)
        csv = await ok(guard, "public_access_export_csv", {"model": "res.partner", "fields": ["name", "city"],
                                                           "limit": 2, "save_path": "p.csv"})
        assert (files / csv["path"]).read_text().startswith("name,city") and csv["records"] == 2
        xlsx = await ok(guard, "public_access_export_xlsx", {"model": "res.partner", "fields": ["name"],
                                                             "save_path": "p.xlsx"})
        assert (files / xlsx["path"]).read_bytes().startswith(b"PK")
        await refused(guard, "public_access_export_csv", {"model": "res.users", "fields": ["login"]},
                      "[POLICY DENIED]")
        pdf = await ok(guard, "public_access_report_pdf", {"report_name": "contacts.report_partner_card",
                                                           "ids": [1], "save_path": "r.pdf"})
        assert (files / pdf["path"]).read_bytes().startswith(b"%PDF")
        html = await ok(guard, "public_access_report_html", {"report_name": "contacts.report_partner_card",
                                                             "ids": [1]})
        assert "Partner Card" in html["text"]
        modules = double.database.models["ir.module.module"].records  # /report/xlsx needs OCA report_xlsx
        modules[max(modules) + 1] = {"id": max(modules) + 1, "name": "report_xlsx", "state": "installed"}
        xl = await ok(guard, "public_access_report_xlsx", {"report_name": "contacts.report_partner_card",
                                                           "ids": [1], "save_path": "r.xlsx"})
        assert (files / xl["path"]).exists()
        attachment = next(r["id"] for r in double.database.models["ir.attachment"].records.values()
                          if r["name"] == "hello.txt")
        down = await ok(guard, "public_access_download", {"content_id": attachment, "save_path": "hello.txt"})
        assert (files / down["path"]).read_bytes() == b"hello world"
        secret = next(r["id"] for r in double.database.models["ir.attachment"].records.values()
                      if r["name"] == "smtp.pem")
        await refused(guard, "public_access_download", {"content_id": secret, "save_path": "k.pem"}, "[POLICY DENIED]")
        image = await ok(guard, "public_access_image", {"model": "res.partner", "record_id": 1, "save_path": "i.png"})
        assert (files / image["path"]).exists()
        await refused(guard, "public_access_image", {"model": "res.partner", "record_id": 1,
                                                     "field": "signup_token"}, "[POLICY DENIED]")
        before = len(double.database.web_log)
        barcode = await ok(guard, "public_access_barcode", {"value": "A/B?c#d", "save_path": "b.png"})
        assert b"Code128:A/B?c#d" in (files / barcode["path"]).read_bytes()  # value encoded as one segment
        shop = await ok(guard, "public_access_shop", {"search": "desk"})
        assert "Desk" in shop["text"]
        sitemap = await ok(guard, "public_access_sitemap", {})
        assert sitemap["urls"] == ["/shop"]
        assert all(not had_cookie for _, _, had_cookie in double.database.web_log[before:])  # truly anonymous

        await ok(guard, "odoo_web_logout", {})
        assert token not in double.database.sessions
        await refused(guard, "public_access_portal_home", {}, "odoo_web_login")


async def test_web_request_never_reaches_the_routes_other_tools_guard(double, tmp_path):
    """Even an allow-list of "/" keeps the database manager, call_kw, exports and reports to their own tools."""
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "files", ODOO_MCP_WEB_ROUTES="/") as guard:
        await ok(guard, "odoo_web_login", {})
        assert (await ok(guard, "odoo_web_request", {"path": "/shop"}))["status"] == 200
        for path in ("/web/database/list", "/web/dataset/call_kw/res.users/read", "/web/export/csv",
                     "/report/pdf/x.y/1", "/web/content/1", "/jsonrpc", "/xmlrpc/2/object", "/json/2/res.users/read",
                     "/web/session/authenticate"):
            await refused(guard, "odoo_web_request", {"path": path, "method": "POST"}, "not allowed")


async def test_web_session_recovers_once_and_logout_is_per_grant(double, tmp_path):
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "files") as guard:
        alice, bob = Caller(grant="alice"), Caller(grant="bob")
        await ok(guard, "odoo_web_login", {}, alice)
        await ok(guard, "odoo_web_login", {}, bob)
        await ok(guard, "odoo_web_login", {}, bob)  # logging in again ends the previous Odoo session
        assert len(double.database.sessions) == 2  # one Odoo session per grant
        double.drop_sessions()  # Odoo restarted: the next call logs in again, once
        count = {"model": "res.partner", "method": "search_count", "args": [[]]}
        assert await ok(guard, "odoo_web_call", count, alice) == 6
        assert len(double.database.sessions) == 1
        await ok(guard, "odoo_web_logout", {}, alice)
        assert await ok(guard, "odoo_web_call", count, bob) == 6  # bob's session survives alice's logout
        calls = len(double.database.web_log)
        double.database.users[2].password = "changed"  # the re-login now fails: an error, not a loop
        double.database.users[2].api_key = "changed"
        double.drop_sessions()
        failed = await guard.tools["odoo_web_call"](count, bob)
        assert failed.is_error and len(double.database.web_log) - calls <= 3


async def test_text_before_the_first_element_is_kept(double, tmp_path):
    files = tmp_path / "files"
    record = double.database.models["product.template"].records[1]
    record["website_description"] = 'Intro <b>text</b><section data-snippet="s_text_block"><p>x</p></section> tail'
    async with in_process(ALLOW_ALL, double, "json2", files) as guard:
        await ok(guard, "odoo_website_update_snippet", {"model": "product.template", "res_id": 1,
                                                        "field_name": "website_description",
                                                        "snippet_xpath": "/section", "substitutions": {"p": "y"}})
    expected = 'Intro <b>text</b><section data-snippet="s_text_block"><p>y</p></section> tail'
    assert record["website_description"] == expected


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "odoo.pem", folder / "odoo.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


async def test_web_and_anonymous_requests_verify_tls(certificate, tmp_path):
    """Upstream sent every web request with verify=False; here an unknown certificate is refused."""
    with OdooDouble(partners=2, tls=certificate) as https:
        web = {"ODOO_PASSWORD": ADMIN["password"]}  # Odoo opens web sessions with a password only
        async with in_process(ALLOW_ALL, https, "json2", tmp_path / "a", ODOO_CA_BUNDLE=str(certificate[0]),
                              **web) as guard:
            assert (await ok(guard, "odoo_web_login", {}))["uid"] == 2
            assert (await ok(guard, "public_access_sitemap", {}))["urls"] == ["/shop"]
        async with in_process(ALLOW_ALL, https, "json2", tmp_path / "b", **web) as guard:
            for tool in ("odoo_web_login", "public_access_sitemap"):
                result = await call(guard, tool, {})
                assert result.is_error and "certificate verify failed" in result.text.lower(), result.text


async def test_over_stdio_no_password_or_session_cookie_reaches_results_or_logs(double, tmp_path):
    env = odoo_env(double, "json2", ODOO_MCP_FILES_DIR=str(tmp_path / "files"))
    (tmp_path / "files").mkdir()
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=env) as server:
        login = await server.call("odoo_web_login", {"login": "admin", "password": ADMIN["password"]})
        assert not login.is_error, login.text
        home = await server.call("public_access_portal_home", {})
        assert "Mitchell Admin" in home.text
        fields = await server.call("odoo_get_field_translations", {"model": "product.template", "res_id": 1,
                                                                    "field_name": "name"})
        assert "Bureau" in fields.text
        snippets = await server.call("odoo_website_list_snippets", {"search": "banner"})
        assert [s["key"] for s in snippets.data["snippets"]] == ["website.s_banner"]
    [cookie] = list(double.database.sessions)
    seen = login.text + home.text + (tmp_path / "audit.jsonl").read_text() + (tmp_path / "server.stderr").read_text()
    assert ADMIN["password"] not in seen and cookie not in seen


async def test_a_failed_version_probe_is_an_error_not_the_old_api(double, tmp_path):
    """Upstream's probe answered 0 on any error and then wrote through ir.translation."""
    double.database.version = "master.x"  # the version answer breaks
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "files") as guard:
        result = await call(guard, "odoo_translate_field", {"model": "product.template", "res_id": 1,
                                                            "field_name": "name", "translations": {"fr_FR": "X"}})
        assert result.is_error, result.text
    assert product(double)["__translations__"]["name"] == {"fr_FR": "Bureau"}
    assert "ir.translation" not in double.database.models


async def test_a_page_edited_meanwhile_is_not_overwritten(double, tmp_path):
    """Upstream's read-modify-write had no check: someone else's edit between read and write was lost."""
    hv = view_id(double, "website.homepage")
    original_hook = double.database.translate_read
    reads = 0

    def someone_edits_after_our_first_read(env, model, record, name, value):
        nonlocal reads
        if model.name == "ir.ui.view" and name == "arch_db" and record["id"] == hv:
            reads += 1
            if reads == 1:
                record["arch_db"] = record["arch_db"].replace("Welcome", "Their edit")
        return original_hook(env, model, record, name, value)

    double.database.translate_read = someone_edits_after_our_first_read
    async with in_process(ALLOW_ALL, double, "json2", tmp_path / "files") as guard:
        await refused(guard, "odoo_website_remove_snippet", {"model": "ir.ui.view", "res_id": hv,
                                                             "field_name": "arch_db",
                                                             "snippet_xpath": "/t/t/div/section"}, "[CONFLICT]")
    arch_db = double.database.models["ir.ui.view"].records[hv]["arch_db"]
    assert "Their edit" in arch_db and "s_banner" in arch_db


async def test_snippet_module_filter_is_not_a_wildcard(double, tmp_path):
    """Upstream put `module` into `=like` unescaped: `_` matched any character."""
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "files") as guard:
        assert (await ok(guard, "odoo_website_list_snippets", {"module": "website"}))["count"] == 2
        assert (await ok(guard, "odoo_website_list_snippets", {"module": "websit_"}))["count"] == 0
        assert (await ok(guard, "odoo_website_list_snippets", {"category": "structure"}))["count"] == 2
