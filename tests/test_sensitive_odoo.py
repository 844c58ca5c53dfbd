"""Secrets stay in Odoo: every route of tests/sensitive_cases.py against the Odoo double over real
HTTP (JSON-RPC and JSON-2), first with the built-in rules, then with the policy's explicit opt-in;
and reads sized for an agent. The guard runs in this process (one per protocol and policy, many
calls each); one test goes through the real server process over stdio.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from guard.spec import Call, Caller, PolicyRefusal
from tests.harness import guarded_server
from tests.odoo_double import OdooDouble
from tests.odoo_double.database import Field
from tests.odoo_double.seed import SECRETS
from tests.sensitive_cases import (
    MASK,
    MASKED,
    OPT_IN,
    REFUSE,
    call,
    everything_seen,
    in_process,
    leaked,
    odoo_env,
    routes,
)
from tools.odoo.previews import write_preview
from tools.odoo.records import WriteArgs
from tools.odoo_kit.sensitive import BINARY, SCHEMA_TTL, SchemaCache

pytestmark = pytest.mark.anyio

PROTOCOLS = ["jsonrpc", "json2"]
ALLOW_ALL = {"version": "1", "default": "allow"}
OPTED_IN = {**ALLOW_ALL, "sensitive": OPT_IN}


@pytest.fixture
def double() -> Iterator[OdooDouble]:
    with OdooDouble() as running:
        yield running


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_every_route_is_refused_or_masked_by_default(protocol, double, tmp_path):
    files = tmp_path / "files"
    async with in_process(ALLOW_ALL, double, protocol, files) as guard:
        for route in routes(double):
            result = await call(guard, route.tool, route.args)
            seen = everything_seen(result, files)
            assert not leaked(seen), f"{route.name}: {leaked(seen)} in {seen[:300]}"
            if route.shipped == REFUSE:
                assert result.is_error and result.text.startswith("[POLICY DENIED] sensitive data: "), \
                    f"{route.name}: {result.text[:300]}"
                assert "opt in with \"sensitive\"" in result.text
            else:
                assert route.shipped == MASKED
                assert not result.is_error and MASK in seen and "masked_fields" in result.text, \
                    f"{route.name}: {result.text[:300]}"
    assert double.database.models["res.users"].records[2]["login"] == "admin"
    assert len(double.database.models["ir.config_parameter"].records) == 2  # nothing was created


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_each_route_opens_with_the_explicit_opt_in(protocol, double, tmp_path):
    files = tmp_path / "files"
    async with in_process(OPTED_IN, double, protocol, files) as guard:
        for route in routes(double):
            result = await call(guard, route.tool, route.args)
            assert not result.text.startswith("[POLICY DENIED]"), f"{route.name}: {result.text[:300]}"
            if route.reveals:
                assert route.reveals in everything_seen(result, files), f"{route.name}: {result.text[:300]}"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_opt_in_opens_only_what_it_names(protocol, double, tmp_path):
    policy = {**ALLOW_ALL, "sensitive": {"allow_models": ["ir.mail_server"], "allow_fields": ["res.users.login"]}}
    async with in_process(policy, double, protocol, tmp_path / "files") as guard:
        servers = await call(guard, "odoo_search_read", {"model": "ir.mail_server"})
        assert not servers.is_error and servers.data["records"][0]["smtp_host"] == "smtp.example.com"
        masked = servers.data["masked_fields"]  # Odoo's own token fields (google_gmail_*, ...) are masked too
        assert servers.data["records"][0]["smtp_pass"] == MASK and "smtp_pass" in masked and "smtp_host" not in masked
        users = await call(guard, "odoo_search_read", {"model": "res.users", "fields": ["login", "totp_secret"],
                                                       "domain": [["login", "=", "admin"]]})
        assert users.data["records"] == [{"id": 2, "login": "admin", "totp_secret": MASK}]
        oracle = await call(guard, "odoo_search_count",
                            {"model": "res.users", "domain": [["totp_secret", "=like", "J%"]]})
        assert oracle.text.startswith("[POLICY DENIED] sensitive data: cannot filter on res.users.totp_secret")
        other = await call(guard, "odoo_search_read", {"model": "fetchmail.server"})
        assert other.text.startswith("[POLICY DENIED] sensitive data: fetchmail.server")
        status = (await call(guard, "policy_status", {})).data["sensitive_data"]
        assert "ir.mail_server" not in status["refused_models"] and "fetchmail.server" in status["refused_models"]
        assert status["opted_in"] == {"models": ["ir.mail_server"], "fields": ["res.users.login"]}
        described = (await call(guard, "odoo_fields_get", {"model": "res.users"})).data
        assert "sensitive" in described["totp_secret"] and "sensitive" not in described["login"]
        assert "sensitive" not in described["name"]
        partner = (await call(guard, "odoo_fields_get", {"model": "res.partner"})).data
        assert "sensitive" in partner["signup_token"] and "sensitive" not in partner["x_user_login"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_reads_without_fields_are_sized_for_an_agent(protocol, double, tmp_path):
    async with in_process(ALLOW_ALL, double, protocol, tmp_path / "files") as guard:
        now = [1000.0]
        cache = guard.runtime.service("odoo_schema", lambda _runtime: SchemaCache(clock=lambda: now[0]))
        comment = double.database.models["res.partner"].records[1]["comment"]
        answer = (await call(guard, "odoo_read", {"model": "res.partner", "ids": [1]})).data
        [company] = answer["records"]
        assert company["name"] == "YourCompany" and company["city"] == "Brussels"
        left_out = answer["fields_left_out"]  # every x2many and binary field of Odoo's res.partner
        assert {"category_id": "many2many", "image_1920": "binary", "child_ids": "one2many",
                "user_ids": "one2many"}.items() <= left_out.items()
        assert set(left_out.values()) == {"many2many", "one2many", "binary"}
        assert not set(answer["fields_left_out"]) & set(company)
        assert company["comment"].startswith(comment[:2000]) and len(company["comment"]) < 2100
        assert "read it with fields=[\"comment\"]" in company["comment"] and answer["html_cut"] == ["comment"]
        assert "name them in `fields`" in answer["note"]

        full = await call(guard, "odoo_read", {"model": "res.partner", "ids": [1], "fields": ["comment", "child_ids"]})
        assert full.data == [{"id": 1, "comment": comment, "child_ids": [2, 3]}]  # asked for by name: all of it

        image = (await call(guard, "odoo_read", {"model": "res.partner", "ids": [1], "fields": ["name", "image_1920"]}))
        assert image.data["records"] == [{"id": 1, "name": "YourCompany", "image_1920": BINARY}]
        assert image.data["binary_fields"] == ["image_1920"] and "odoo_record_backup" in image.data["note"]

        fetched = cache.fetches
        await call(guard, "odoo_search_read", {"model": "res.partner", "limit": 3})
        await call(guard, "odoo_read", {"model": "res.partner", "ids": [2]})
        assert cache.fetches == fetched  # fields_get once per model and connection...
        double.database.models["res.partner"].fields["x_new"] = Field("char", "New")  # a module adds a field
        assert "x_new" not in (await call(guard, "odoo_read", {"model": "res.partner", "ids": [2]})).data["records"][0]
        now[0] += SCHEMA_TTL + 1
        assert "x_new" in (await call(guard, "odoo_read", {"model": "res.partner", "ids": [2]})).data["records"][0]
        assert cache.fetches == fetched + 1  # ...until it is trusted no more


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_long_answer_is_capped_with_a_way_to_the_rest(protocol, double, tmp_path):
    async with in_process(ALLOW_ALL, double, protocol, tmp_path / "files", ODOO_MCP_MAX_ANSWER_CHARS="3000") as guard:
        arguments = {"model": "res.partner", "fields": ["name", "email"], "limit": 100, "order": "id"}
        answer = await call(guard, "odoo_search_read", arguments)
        first = answer.data
        kept = first["truncated"]["returned"]
        assert 10 < kept < 100 and first["truncated"]["read"] == 100 and len(first["records"]) == kept
        assert 2500 < len(answer.text) <= 3000
        assert f"offset={kept}" in first["note"]
        rest = (await call(guard, "odoo_search_read", {**arguments, "offset": kept, "limit": 1})).data
        everyone = (await call(guard, "odoo_search", {"model": "res.partner", "order": "id", "limit": 200})).data
        assert rest[0]["id"] == everyone[kept]  # the note's offset continues where the answer stopped
        by_ids = (await call(guard, "odoo_read", {"model": "res.partner", "ids": everyone[:100],
                                                  "fields": ["name", "email"]})).data
        assert f"from id {everyone[by_ids['truncated']['returned']]} on" in by_ids["note"]

    async with in_process(ALLOW_ALL, double, protocol, tmp_path / "f2", ODOO_MCP_MAX_ANSWER_CHARS="lots") as guard:
        bad = await call(guard, "odoo_search_read", {"model": "res.partner", "limit": 1})
        assert bad.text.startswith("[NOT CONFIGURED] ODOO_MCP_MAX_ANSWER_CHARS")


async def test_through_the_server_refusals_are_audited_as_denied(double, tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    env = {**odoo_env(double, "json2"), "ODOO_MCP_FILES_DIR": str(files)}
    async with guarded_server(ALLOW_ALL, tmp_path=tmp_path, env=env) as server:
        grouped = await server.call("odoo_read_group", {"model": "ir.config_parameter", "groupby": ["value"]})
        assert grouped.tag == "POLICY DENIED" and SECRETS["database.secret"] not in grouped.text
        users = await server.call("odoo_search_read", {"model": "res.users", "fields": ["name", "login"]})
        assert not users.is_error and {row["login"] for row in users.data["records"]} == {MASK}
        assert (await server.call("odoo_search_count", {"model": "res.partner", "domain": []})).data > 100
    records = server.audit_records()
    assert [r["outcome"] for r in records] == ["denied", "ok", "ok"]
    assert "sensitive data" in records[0]["error"]


async def test_an_approval_preview_shows_no_secret(double, tmp_path):
    """The human approving a write sees current values read under the same rules (masked, or refused)."""
    async with in_process(ALLOW_ALL, double, "json2", tmp_path / "files") as guard:
        preview_call = Call(caller=Caller(), runtime=guard.runtime)
        login = WriteArgs(model="res.users", ids=[2], values={"login": "root", "name": "Admin"})
        changes = write_preview(login, preview_call)["records"][0]["changes"]
        assert changes == {"login": {"from": MASK, "to": "root"}, "name": {"from": "Mitchell Admin", "to": "Admin"}}
        secret = WriteArgs(model="ir.config_parameter", ids=[2], values={"value": "new"})
        with pytest.raises(PolicyRefusal, match=r"ir\.config_parameter"):
            write_preview(secret, preview_call)
