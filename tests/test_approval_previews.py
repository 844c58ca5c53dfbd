"""What the human sees before approving an Odoo write, unlink, module change or ee_link.

The Odoo previews run through the real server against the Odoo double (out-of-band, so the
question is in the `[APPROVAL PENDING]` answer); `ee_link`'s preview on a stub copy.
"""

from __future__ import annotations

import pytest

from tests.addons_helpers import copy_stub, stub_call
from tests.harness import guarded_server
from tests.odoo_double import OdooDouble
from tests.test_odoo_tools_e2e import odoo_env
from tools.addons import ee_tools as ee

pytestmark = pytest.mark.anyio

APPROVE = {"action": "require_approval"}
POLICY = {
    "version": "1",
    "default": "allow",
    "tools": {name: APPROVE for name in ("odoo_write", "odoo_unlink", "odoo_module_uninstall", "odoo_module_install")},
}


async def test_odoo_questions_show_what_would_change_and_change_nothing(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    with OdooDouble() as double:
        async with guarded_server(POLICY, tmp_path=tmp_path, env=odoo_env(double, "jsonrpc", files)) as server:
            [company] = (await server.call("odoo_search_read", {"model": "res.partner", "fields": ["name", "city"],
                                                                 "domain": [["name", "=", "YourCompany"]]})).data
            write = await server.call("odoo_write", {"model": "res.partner", "ids": [company["id"]],
                                                     "values": {"city": "Leuven", "name": "OurCompany"}})
            assert write.tag == "APPROVAL PENDING"
            assert '"name": "YourCompany"' in write.text  # the record's display name
            assert '"from": "YourCompany",\n' in write.text and '"to": "OurCompany"' in write.text
            assert f'"from": {_json(company["city"])},\n' in write.text and '"to": "Leuven"' in write.text
            unlink = await server.call("odoo_unlink", {"model": "res.partner", "ids": [company["id"]]})
            assert '"deleted": [' in unlink.text and '"name": "YourCompany"' in unlink.text
            uninstall = await server.call("odoo_module_uninstall", {"modules": ["mail"], "confirm": True})
            assert '"removed_with_them": [\n    "contacts"\n  ]' in uninstall.text
            install = await server.call("odoo_module_install", {"modules": ["sale"]})
            assert '"state": "uninstalled"' in install.text and '"title": "Sales"' in install.text
            [after] = (await server.call("odoo_read", {"model": "res.partner", "ids": [company["id"]],
                                                       "fields": ["name", "city"]})).data
            assert (after["name"], after["city"]) == ("YourCompany", company["city"])  # nothing ran
            mail = (await server.call("odoo_module_info", {"module": "mail"})).data
            assert mail["state"] == "installed"


def _json(value) -> str:
    import json

    return json.dumps(value)


def test_ee_link_preview_lists_modules_and_dependencies_without_linking(tmp_path):
    stub = copy_stub(tmp_path)
    call = stub_call(stub)
    preview = ee.ee_link_preview(ee.EeLinkArgs(modules=["account_reports"], with_depends=True), call)
    assert preview["modules_linked"] == ["web_enterprise", "account_accountant", "account_reports"]
    assert preview["dependencies_added"] == ["web_enterprise", "account_accountant"]
    assert preview["target"].startswith("main (")
    assert sorted(p.name for p in (stub / "target").iterdir()) == [".gitkeep"]
    assert ee.ee_link_preview(ee.EeLinkArgs(modules=["sign"]), call)["dependencies_added"] == []
