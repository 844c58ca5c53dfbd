"""Every Odoo tool over each of the three protocols, through the real server and the real `mcp` client.

The server runs as its own process over stdio; the Odoo double serves JSON-RPC, XML-RPC and
JSON-2 on 127.0.0.1 in this process. One server per protocol walks through every tool.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import mcp_types as types
import pytest

from tests.harness import guarded_server
from tests.odoo_double import ADMIN, DEMO, OdooDouble

pytestmark = pytest.mark.anyio

ALLOW_ALL = {"version": "1", "default": "allow"}
PROTOCOLS = ["jsonrpc", "xmlrpc", "json2"]


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble() as running:
        yield running


def odoo_env(double: OdooDouble, protocol: str, files: Path, **extra: str) -> dict[str, str]:
    secret = {"ODOO_API_KEY": ADMIN["api_key"]} if protocol == "json2" else {"ODOO_PASSWORD": ADMIN["password"]}
    return {"ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"], "ODOO_PROTOCOL": protocol,
            "ODOO_MCP_FILES_DIR": str(files), "ODOO_TIMEOUT": "5", **secret, **extra}


def blobs(result) -> list[types.BlobResourceContents]:
    return [block.resource for block in result.raw.content
            if isinstance(block, types.EmbeddedResource) and isinstance(block.resource, types.BlobResourceContents)]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_every_tool_over(protocol, double, tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    (files / "note.txt").write_bytes(b"uploaded bytes")
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=odoo_env(double, protocol, files)) as server:
        async def ok(name: str, arguments: dict | None = None):
            result = await server.call(name, arguments or {})
            assert not result.is_error, f"{name}: {result.text}"
            return result.data

        version = await ok("odoo_version")
        assert (version["server_version"], version["protocol"]) == ("19.0", protocol)
        [row] = (await ok("odoo_connections"))["connections"]
        assert row["alias"] == "default" and not {"password", "api_key"} & set(row)
        assert ADMIN["password"] not in json.dumps(row) and ADMIN["api_key"] not in json.dumps(row)

        ghent = [["city", "=", "Ghent"]]
        ids = await ok("odoo_search", {"model": "res.partner", "domain": ghent, "limit": 5, "order": "name desc"})
        assert len(ids) == 5
        rows = await ok("odoo_search_read", {"model": "res.partner", "domain": ["|", *ghent, ["city", "=", "Liège"]],
                                             "fields": ["name", "city"], "limit": 100})
        assert len(rows) == 100 and {r["city"] for r in rows} == {"Ghent", "Liège"}
        assert await ok("odoo_search_count", {"model": "res.partner", "domain": ghent}) == 50
        [read] = await ok("odoo_read", {"model": "res.partner", "ids": [ids[0]], "fields": ["name", "parent_id"]})
        assert read["id"] == ids[0]

        created = await ok("odoo_create", {"model": "res.partner", "values": {"name": "Agent Co", "city": "Namur"}})
        batch = await ok("odoo_create", {"model": "res.partner", "values": [{"name": "B1"}, {"name": "B2"}]})
        assert len(batch["ids"]) == 2
        await ok("odoo_write", {"model": "res.partner", "ids": [created["id"]], "values": {"city": "Mons"}})
        [mons] = await ok("odoo_read", {"model": "res.partner", "ids": [created["id"]], "fields": ["city"]})
        assert mons["city"] == "Mons"
        await ok("odoo_unlink", {"model": "res.partner", "ids": batch["ids"]})
        assert await ok("odoo_search_count", {"model": "res.partner", "domain": [["name", "in", ["B1", "B2"]]]}) == 0
        assert await ok("odoo_execute", {"model": "res.partner", "method": "search_count",
                                         "kwargs": {"domain": [["city", "=", "Mons"]]}}) == 1
        groups = await ok("odoo_read_group", {"model": "res.partner", "groupby": ["city"],
                                              "aggregates": ["__count", "employee:sum"]})
        assert {g["city"]: g["__count"] for g in groups}["Ghent"] == 50

        fields = await ok("odoo_fields_get", {"model": "res.partner", "fields": ["name", "parent_id"]})
        assert fields["parent_id"]["relation"] == "res.partner"
        models = await ok("odoo_list_models", {"filter": "partner"})
        assert "res.partner" in {m["model"] for m in models}
        message = await ok("odoo_message_post", {"model": "res.partner", "ids": [created["id"]], "body": "<p>hi</p>"})
        assert len(message["message_ids"]) == 1

        backup = await ok("odoo_record_backup", {"model": "res.partner", "ids": [created["id"]],
                                                 "save_path": "backup.json"})
        saved = json.loads((files / "backup.json").read_text())
        assert backup["records"] == 1 and saved["records"][0]["name"] == "Agent Co"
        again = await server.call("odoo_record_backup", {"model": "res.partner", "ids": [1],
                                                         "save_path": "backup.json"})
        assert again.is_error and "already exists" in again.text

        report = await server.call("odoo_report", {"report_name": "contacts.report_partner_card", "ids": [1, 2]})
        if protocol == "json2":  # an API key only: Odoo opens the web session reports need with a password only
            assert report.tag == "NOT CONFIGURED" and "set ODOO_PASSWORD" in report.text, report.text
        else:
            assert not report.is_error, report.text
            [pdf] = blobs(report)
            assert pdf.mime_type == "application/pdf" and base64.b64decode(pdf.blob).startswith(b"%PDF")
            await ok("odoo_report", {"report_name": "contacts.report_partner_card", "ids": [1],
                                     "save_path": "card.pdf"})
            assert (files / "card.pdf").read_bytes().startswith(b"%PDF")

        upload = await ok("odoo_attachment_upload", {"name": "note.txt", "file_path": "note.txt",
                                                     "res_model": "res.partner", "res_id": created["id"]})
        await ok("odoo_attachment_download", {"attachment_id": upload["id"], "save_path": "back.txt"})
        assert (files / "back.txt").read_bytes() == b"uploaded bytes"
        inline = await server.call("odoo_attachment_download", {"attachment_id": upload["id"]})
        assert base64.b64decode(blobs(inline)[0].blob) == b"uploaded bytes"
        escape = await server.call("odoo_attachment_download", {"attachment_id": upload["id"],
                                                                "save_path": "../outside.txt"})
        assert escape.tag == "PATH REFUSED" and not (tmp_path / "outside.txt").exists()
        # Odoo's read drops ids that do not exist (an attachment deleted with its record): a tagged answer
        missing = await server.call("odoo_attachment_download", {"attachment_id": 987654})
        assert missing.text == ("[TOOL ERROR] attachment 987654 does not exist (or is not visible to this user)"), \
            missing.text
        # a hard link passes the guard's name check; the handler's descriptor read refuses it, tagged and audited
        (tmp_path / "outside_secret.txt").write_bytes(b"outside secret")
        os.link(tmp_path / "outside_secret.txt", files / "hard.txt")
        exported = await server.call("odoo_attachment_upload", {"name": "hard.txt", "file_path": "hard.txt"})
        assert exported.text.startswith("[PATH REFUSED] file_path: hard.txt has 2 hard links")
        assert server.audit_records()[-1]["outcome"] == "path_refused"

        info = await ok("odoo_module_info", {"module": "sale"})
        assert (info["state"], info["depends"]) == ("uninstalled", ["mail"])
        await ok("odoo_module_update_list")
        installed = await ok("odoo_module_install", {"modules": ["sale"]})
        assert installed["modules"][0]["state"] == "installed"
        await ok("odoo_module_upgrade", {"modules": ["sale"]})
        plan = await ok("odoo_module_uninstall", {"modules": ["mail"]})
        assert plan["uninstalled"] is False and {"contacts", "sale"} <= set(plan["dependents_removed_too"])
        assert (await ok("odoo_module_info", {"module": "mail"}))["state"] == "installed"
        done = await ok("odoo_module_uninstall", {"modules": ["sale"], "confirm": True})
        assert done["uninstalled"] is True

        await ok("odoo_refresh")
        shared = await server.call("odoo_disconnect", {"alias": "default"})  # the operator's: not one grant's
        assert shared.tag == "TOOL ERROR" and "shared by every grant" in shared.text, shared.text
        assert await ok("odoo_search_count", {"model": "res.partner", "domain": []}) > 100


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_bad_input_is_a_clear_error_and_the_server_goes_on(protocol, double, tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    opted_in = {**ALLOW_ALL, "sensitive": {"allow_models": ["ir.config_parameter"]}}  # so that Odoo itself refuses
    async with guarded_server(opted_in, tmp_path=tmp_path, env=odoo_env(double, protocol, files)) as server:
        async def refused(name: str, arguments: dict, tag: str, *fragments: str) -> None:
            result = await server.call(name, arguments)
            assert result.is_error and result.tag == tag, result.text
            for fragment in fragments:
                assert fragment in result.text, result.text
            follow = await server.call("odoo_search_count", {"model": "res.partner", "domain": []})
            assert not follow.is_error, follow.text

        for domain in ([["name", "=", "x", "y"]], ["|", ["name", "=", "x"]], [["name", "~~", "x"]], "name = x",
                       [["na me", "=", 1]], ["&", "!"]):
            await refused("odoo_search", {"model": "res.partner", "domain": domain}, "INVALID ARGUMENTS", "domain")
        await refused("odoo_search", {"model": "No Such Model"}, "INVALID ARGUMENTS", "model")
        await refused("odoo_search", {"model": "nope.model"}, "ODOO ERROR", "nope.model")
        await refused("odoo_read", {"model": "res.partner", "ids": ["one"]}, "INVALID ARGUMENTS", "ids")
        await refused("odoo_read", {"model": "res.partner", "ids": [-4]}, "INVALID ARGUMENTS", "ids")
        await refused("odoo_search", {"model": "res.partner", "limit": 10**6}, "INVALID ARGUMENTS", "limit")
        # Odoo's read drops an id that does not exist (a real 18.0 answers []); a write of it is MissingError
        gone = await server.call("odoo_read", {"model": "res.partner", "ids": [999999], "fields": ["name"]})
        assert not gone.is_error and gone.data == [], gone.text
        await refused("odoo_write", {"model": "res.partner", "ids": [999999], "values": {"name": "x"}}, "ODOO ERROR",
                      "does not exist")
        await refused("odoo_execute", {"model": "res.partner", "method": "_write"}, "INVALID ARGUMENTS", "method")
        await refused("odoo_search", {"model": "res.partner", "domain": [["nofield", "=", 1]]}, "ODOO ERROR",
                      "nofield")
        # a value Odoo cannot store for the field's type: refused before Odoo is asked (tools/odoo/canonical.py)
        await refused("odoo_create", {"model": "res.partner", "values": {"name": "x", "employee": "many"}},
                      "INVALID ARGUMENTS", "values.employee")
        await refused("odoo_create", {"model": "res.partner", "values": {"name": "x", "nofield": 1}},
                      "ODOO ERROR", "nofield")
        await refused("odoo_module_install", {"modules": ["does_not_exist"]}, "TOOL ERROR", "does_not_exist")
        await refused("odoo_connect", {"alias": "evil", "url": "http://169.254.169.254", "db": "x", "username": "a",
                                       "password": "p"}, "TOOL ERROR", "ALLOWED_ODOO_URLS")
        await refused("odoo_search", {"model": "res.partner", "connection": "nope"}, "NOT CONFIGURED", "nope")

        # an AccessError, a wrong password and a dead server, each on its own connection
        demo_secret = {"api_key": DEMO["api_key"]} if protocol == "json2" else {"password": DEMO["password"]}
        demo = await server.call("odoo_connect", {"alias": "demo", "url": double.url, "db": "odoo",
                                                  "username": "demo", "protocol": protocol, **demo_secret})
        assert not demo.is_error, demo.text
        assert DEMO["password"] not in demo.text and DEMO["api_key"] not in demo.text
        await refused("odoo_search_read", {"connection": "demo", "model": "ir.config_parameter"}, "ODOO ERROR",
                      "AccessError", "ir.config_parameter")
        wrong = {"api_key": "wrong"} if protocol == "json2" else {"password": "wrong"}
        await refused("odoo_connect", {"alias": "wrong", "url": double.url, "db": "odoo", "username": "admin",
                                       "protocol": protocol, **wrong}, "ODOO ERROR", "AccessDenied")
        listed = json.dumps((await server.call("odoo_connections")).data)
        assert DEMO["password"] not in listed and DEMO["api_key"] not in listed and '"demo"' in listed

    dead_env = odoo_env(double, protocol, files, ODOO_URL="http://127.0.0.1:9")
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=dead_env) as server:
        dead = await server.call("odoo_search", {"model": "res.partner"})
        assert dead.tag == "ODOO UNREACHABLE" and "127.0.0.1:9" in dead.text, dead.text
        assert (await server.call("odoo_connections")).is_error is False
    audit = (tmp_path / "audit.jsonl").read_text()
    for secret in (ADMIN["password"], ADMIN["api_key"], DEMO["password"], DEMO["api_key"]):
        assert secret not in audit


async def test_policy_limits_models_and_unlink_volume(double, tmp_path):
    policy = {"version": "1", "default": "deny", "tools": {
        "odoo_search_read": {"deny_if": [{"arg": "model", "op": "in", "value": ["res.users", "ir.config_parameter"]}]},
        "odoo_unlink": {"require": [{"arg": "ids", "op": "len_lte", "value": 2}]},
    }}
    async with guarded_server(policy, tmp_path=tmp_path, env=odoo_env(double, "jsonrpc", tmp_path)) as server:
        assert (await server.call("odoo_search_read", {"model": "ir.config_parameter"})).tag == "POLICY DENIED"
        assert not (await server.call("odoo_search_read", {"model": "res.partner", "limit": 1})).is_error
        assert (await server.call("odoo_unlink", {"model": "res.partner", "ids": [2, 3, 4]})).tag == "POLICY DENIED"
        assert not (await server.call("odoo_unlink", {"model": "res.partner", "ids": [2, 3]})).is_error
        assert (await server.call("odoo_write", {"model": "res.partner", "ids": [5], "values": {"name": "x"}})).tag \
            == "POLICY DENIED"
    assert 4 in double.database.models["res.partner"].records
