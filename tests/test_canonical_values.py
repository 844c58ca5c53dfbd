"""Values are decided as Odoo will store them (issue 22): a `deny_if` on `values.active eq false`
refuses `active: 0` as it refuses `false`; what the policy saw is what Odoo receives.

Against the Odoo double over real HTTP, through the guard in process; the table of conversions
is tested on the pure function.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from guard.refusals import InvalidArguments
from tests.odoo_double import OdooDouble
from tests.odoo_double.seed import ADMIN
from tests.sensitive_cases import call, in_process
from tools.odoo.canonical import canonical_value

pytestmark = pytest.mark.anyio
NO_ARCHIVING = {"version": "1", "default": "allow", "tools": {
    "odoo_write": {"deny_if": [{"path": "args.values.active", "op": "eq", "value": False}]},
    "odoo_create": {"deny_if": [{"path": "args.values.color", "op": "gt", "value": 100}]}}}


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble(partners=3) as running:
        yield running


def partner(double: OdooDouble, record_id: int) -> dict:
    return double.database.models["res.partner"].records[record_id]


@pytest.mark.parametrize("protocol", ["jsonrpc", "json2"])
async def test_deny_if_on_a_boolean_refuses_every_spelling_of_false(double, tmp_path, protocol):
    partner(double, 1)["active"] = True
    async with in_process(NO_ARCHIVING, double, protocol, tmp_path / "f") as guard:
        for spelling, tag in ((False, "[POLICY DENIED]"), (0, "[POLICY DENIED]"), ("0", "[INVALID ARGUMENTS]"),
                              ("false", "[INVALID ARGUMENTS]"), ("", "[INVALID ARGUMENTS]")):
            result = await call(guard, "odoo_write", {"model": "res.partner", "ids": [1],
                                                      "values": {"active": spelling}})
            assert result.is_error and result.text.startswith(tag), (spelling, result.text)
            assert partner(double, 1)["active"] is True, spelling
        # the generic doors are decided on the same canonical values (odoo_write's rule applies to them)
        assert not (await call(guard, "odoo_web_login", {"password": ADMIN["password"]})).is_error
        for tool in ("odoo_execute", "odoo_web_call"):
            result = await call(guard, tool, {"model": "res.partner", "method": "write",
                                              "args": [[1], {"active": 0}]})
            assert result.text.startswith("[POLICY DENIED]"), result.text
            by_keyword = await call(guard, tool, {"model": "res.partner", "method": "write", "args": [[1]],
                                                  "kwargs": {"vals": {"active": "0"}}})
            assert by_keyword.text.startswith("[INVALID ARGUMENTS] kwargs.vals.active"), by_keyword.text
        allowed = await call(guard, "odoo_write", {"model": "res.partner", "ids": [1], "values": {"active": 1}})
        assert not allowed.is_error, allowed.text
        assert partner(double, 1)["active"] is True  # sent as true, not 1


async def test_what_the_policy_decided_on_is_what_odoo_receives(double, tmp_path):
    async with in_process(NO_ARCHIVING, double, "jsonrpc", tmp_path / "f") as guard:
        created = await call(guard, "odoo_create", {"model": "res.partner", "values": {
            "name": "Canonical", "color": "42", "credit_limit": "1.5e3", "is_company": 1, "city": 12}})
        assert not created.is_error, created.text
        record = partner(double, json.loads(created.text)["id"])
        assert (record["color"], record["credit_limit"], record["is_company"], record["city"]) == (
            42, 1500.0, True, "12")
        # "101" is a number for Odoo: the gt rule sees 101, not a text
        over = await call(guard, "odoo_create", {"model": "res.partner", "values": {"name": "X", "color": "101"}})
        assert over.text.startswith("[POLICY DENIED]"), over.text
        for values, needle in (({"name": "X", "color": 1.5}, "values.color"),
                               ({"name": "X", "type": "nonsense"}, "values.type"),
                               ({"name": "X", "parent_id": "1"}, "values.parent_id"),
                               ([{"name": "ok"}, {"name": "X", "is_company": "yes"}], "values[1].is_company")):
            refused = await call(guard, "odoo_create", {"model": "res.partner", "values": values})
            assert refused.text.startswith("[INVALID ARGUMENTS]") and needle in refused.text, refused.text
        assert not any(r["name"] in ("X", "ok") for r in double.database.models["res.partner"].records.values())


@pytest.mark.parametrize(("kind", "given", "stored"), [
    ("boolean", 0, False), ("boolean", 1, True), ("boolean", True, True),
    ("integer", 5.0, 5), ("integer", "-7", -7), ("integer", False, 0),
    ("float", 3, 3.0), ("float", "2.5", 2.5), ("monetary", None, 0.0),
    ("date", "2026-01-31", "2026-01-31"), ("date", "2026-01-31 23:00:00", "2026-01-31"), ("date", False, False),
    ("datetime", "2026-01-31", "2026-01-31 00:00:00"), ("datetime", "2026-01-31T10:20:30.123", "2026-01-31 10:20:30"),
    ("datetime", "2026-01-31T02:00:00+03:00", "2026-01-30 23:00:00"), ("datetime", "2026-01-31T10:00Z",
                                                                       "2026-01-31 10:00:00"),
    ("char", 12, "12"), ("char", False, False), ("many2one", 3, 3), ("one2many", [[6, 0, [1]]], [[6, 0, [1]]]),
])
def test_each_type_is_stored_as_odoo_stores_it(kind, given, stored):
    assert canonical_value(kind, None, given, "values.x") == stored


@pytest.mark.parametrize(("kind", "given"), [
    ("boolean", "0"), ("boolean", "true"), ("boolean", 2), ("boolean", None), ("integer", 1.5), ("integer", True),
    ("integer", "1e3"), ("integer", 2**31), ("float", "nan"), ("float", float("inf")), ("float", True),
    ("date", "31/01/2026"), ("date", "2026-02-30"), ("datetime", "yesterday"), ("datetime", 1700000000),
    ("char", True), ("many2one", "1"), ("many2one", [1, "Name"]), ("many2one", 0),
])
def test_values_odoo_cannot_store_or_would_store_otherwise_are_refused(kind, given):
    with pytest.raises(InvalidArguments) as caught:
        canonical_value(kind, None, given, "values.x")
    assert caught.value.render().startswith("[INVALID ARGUMENTS] values.x:")


async def test_a_field_added_after_the_first_call_is_canonicalised_too(double, tmp_path):
    from tests.odoo_double.database import Field

    policy = {"version": "1", "default": "allow", "tools": {"odoo_write": {"deny_if": [
        {"path": "args.values.x_blocked", "op": "eq", "value": False}]}}}
    async with in_process(policy, double, "jsonrpc", tmp_path / "f") as guard:
        first = await call(guard, "odoo_write", {"model": "res.partner", "ids": [1], "values": {"city": "X"}})
        assert not first.is_error, first.text  # res.partner's field types are now cached
        # a module installed since adds a boolean field: its 0 is false for the policy too (no stale field list)
        double.database.models["res.partner"].fields["x_blocked"] = Field("boolean", "Blocked")
        blocked = await call(guard, "odoo_write", {"model": "res.partner", "ids": [1], "values": {"x_blocked": 0}})
        assert blocked.text.startswith("[POLICY DENIED]"), blocked.text
