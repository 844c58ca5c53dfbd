"""One action, one rule: `odoo_execute` is also decided by the dedicated tool whose work it does."""

from __future__ import annotations

import json

import pytest

from guard.decisions import Verdict, decide
from guard.equivalence import combine
from guard.policy import parse_policy
from tests.harness import guarded_server
from tests.odoo_double import ADMIN, OdooDouble
from tools.odoo.records import ExecuteArgs
from tools.odoo_kit.equivalents import execute_equivalents

MAPPING = [
    # (model, method, args, kwargs) → [(dedicated tool, complete)]
    ("res.partner", "create", [{"name": "x"}], {}, [("odoo_create", True)]),
    ("res.partner", "write", [[1], {"name": "x"}], {}, [("odoo_write", True)]),
    ("res.partner", "write", [[1]], {"vals": {"name": "x"}}, [("odoo_write", True)]),
    ("res.partner", "unlink", [[1]], {}, [("odoo_unlink", True)]),
    ("res.partner", "copy", [1], {}, [("odoo_create", False)]),
    ("res.partner", "read", [[1]], {}, [("odoo_read", True)]),
    ("res.partner", "search_read", [[]], {}, [("odoo_search_read", True)]),
    ("res.partner", "name_search", [], {}, []),
    ("ir.module.module", "button_immediate_install", [[5]], {}, [("odoo_module_install", False)]),
    ("ir.module.module", "button_install", [[5]], {}, [("odoo_module_install", False)]),
    ("ir.module.module", "button_immediate_upgrade", [[5]], {}, [("odoo_module_upgrade", False)]),
    ("ir.module.module", "module_uninstall", [[5]], {}, [("odoo_module_uninstall", False)]),
    ("ir.module.module", "update_list", [], {}, [("odoo_module_update_list", True)]),
    ("ir.module.module", "write", [[5], {"state": "to install"}], {}, [("odoo_write", True)]),
    ("ir.module.module", "search_read", [[]], {}, [("odoo_search_read", True)]),
    ("ir.module.module", "button_something_new", [[5]], {},
     [("odoo_module_install", False), ("odoo_module_upgrade", False), ("odoo_module_uninstall", False)]),
    ("base.module.upgrade", "upgrade_module", [[1]], {}, [("odoo_module_upgrade", False)]),
    ("base.module.uninstall", "action_uninstall", [[1]], {}, [("odoo_module_uninstall", False)]),
]


@pytest.mark.parametrize(("model", "method", "args", "kwargs", "expected"), MAPPING)
def test_the_mapping(model, method, args, kwargs, expected):
    call = ExecuteArgs(model=model, method=method, args=args, kwargs=kwargs)
    assert [(e.tool, e.complete) for e in execute_equivalents(call)] == expected


def test_write_arguments_land_where_odoo_write_has_them():
    call = ExecuteArgs(model="ir.module.module", method="write", args=[[5], {"state": "to install"}])
    [write] = execute_equivalents(call)
    assert write.arguments == {"model": "ir.module.module", "ids": [5], "values": {"state": "to install"}}


POLICY = parse_policy({
    "version": "1",
    "default": "allow",
    "tools": {
        "odoo_module_install": {"action": "deny", "reason": "no installs"},
        "odoo_module_upgrade": {"deny_if": [{"arg": "modules", "op": "contains", "value": "base"}]},
        "odoo_write": {"deny_if": [{"arg": "model", "op": "eq", "value": "ir.module.module"}]},
        "odoo_unlink": {"action": "require_approval"},
        "odoo_execute": {},
    },
})
DECISIONS = [
    # (model, method, args, verdict, rule that decided)
    ("ir.module.module", "button_immediate_install", [[5]], Verdict.DENY, "tools.odoo_module_install.action"),
    ("ir.module.module", "button_immediate_upgrade", [[5]], Verdict.DENY, "tools.odoo_module_upgrade"),
    ("ir.module.module", "write", [[5], {"state": "to install"}], Verdict.DENY, "tools.odoo_write.deny_if[0]"),
    ("res.partner", "write", [[5], {"name": "x"}], Verdict.ALLOW, "tools.odoo_execute"),
    ("res.partner", "unlink", [[5]], Verdict.APPROVAL, "tools.odoo_unlink.action"),
    ("ir.module.module", "update_list", [], Verdict.ALLOW, "tools.odoo_execute"),
]


@pytest.mark.parametrize(("model", "method", "args", "verdict", "rule"), DECISIONS)
def test_the_dedicated_tools_rule_decides_too(model, method, args, verdict, rule):
    call = ExecuteArgs(model=model, method=method, args=args)
    own = decide(POLICY, "odoo_execute", call.model_dump(mode="json"))
    decision = combine(POLICY, "odoo_execute", own, execute_equivalents(call))
    assert (decision.verdict, decision.rule) == (verdict, rule)
    if verdict is Verdict.DENY:
        assert decision.reason.startswith("odoo_execute here does what odoo_")


def test_unlisted_dedicated_tool_under_default_deny_is_denied():
    policy = parse_policy({"version": "1", "default": "deny", "tools": {"odoo_execute": {}}})
    call = ExecuteArgs(model="res.partner", method="unlink", args=[[1]])
    own = decide(policy, "odoo_execute", call.model_dump(mode="json"))
    assert combine(policy, "odoo_execute", own, execute_equivalents(call)).verdict is Verdict.DENY


@pytest.mark.anyio
async def test_the_generic_door_is_guarded_like_the_dedicated_one(tmp_path):
    policy = {
        "version": "1",
        "default": "allow",
        "tools": {
            "odoo_module_install": {"action": "deny", "reason": "installs go through the release process"},
            "odoo_write": {"deny_if": [{"arg": "model", "op": "eq", "value": "ir.module.module"}]},
        },
    }
    with OdooDouble() as double:
        env = {"ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"],
               "ODOO_PASSWORD": ADMIN["password"], "ODOO_TIMEOUT": "5"}
        async with guarded_server(policy, tmp_path=tmp_path, env=env) as server:
            [sale] = (await server.call("odoo_search_read", {"model": "ir.module.module",
                                                             "domain": [["name", "=", "sale"]],
                                                             "fields": ["state"]})).data
            install = await server.call("odoo_execute", {"model": "ir.module.module",
                                                         "method": "button_immediate_install", "args": [[sale["id"]]]})
            write = await server.call("odoo_execute", {"model": "ir.module.module", "method": "write",
                                                       "args": [[sale["id"]], {"state": "to install"}]})
            partner = await server.call("odoo_execute", {"model": "res.partner", "method": "write",
                                                         "args": [[1], {"name": "allowed"}]})
            [after] = (await server.call("odoo_read", {"model": "ir.module.module", "ids": [sale["id"]],
                                                       "fields": ["state"]})).data
            records = server.audit_records()
    assert install.text == ("[POLICY DENIED] odoo_execute here does what odoo_module_install does: "
                            "installs go through the release process")
    assert write.tag == "POLICY DENIED" and "odoo_write" in write.text
    assert not partner.is_error, partner.text
    assert after["state"] == sale["state"] == "uninstalled"  # neither door changed the module
    denied = [r for r in records if r["tool"] == "odoo_execute" and r["outcome"] == "denied"]
    assert [(r["rule"], r["equivalent_of"]) for r in denied] == [
        ("tools.odoo_module_install.action", ["odoo_module_install"]),
        ("tools.odoo_write.deny_if[0]", ["odoo_write"]),
    ]
    assert json.dumps(denied)  # records are plain JSON
