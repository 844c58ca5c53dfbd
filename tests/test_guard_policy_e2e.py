"""The policy decisions a user of the server sees, through the real client over stdio."""

from __future__ import annotations

import pytest

from tests.addons_helpers import copy_stub, stub_env
from tests.harness import guarded_server

pytestmark = pytest.mark.anyio

ISSUE_POLICY = {
    "version": "1",
    "default": "deny",
    "tools": {"ee_link": {"limits": [{"counter": "ee_link_rate", "window": "minute", "max": 10, "scope": "grant"}]}},
}


async def test_issue_policy_allows_only_ee_link_ten_times_a_minute(tmp_path):
    """The policy document of the issue, verbatim: ee_link allowed 10 times a minute, all else denied.
    Only calls that ran count: ee_link calls refused inside the handler leave the quota alone."""
    stub = copy_stub(tmp_path)
    async with guarded_server(ISSUE_POLICY, tmp_path=tmp_path, env=stub_env(stub)) as server:
        names = await server.tool_names()
        assert "ee_link" in names
        denied = await server.call("policy_status")
        assert denied.is_error
        assert denied.text == (
            "[POLICY DENIED] 'policy_status' is not allowed by this policy (default: deny); "
            'to allow it, add "policy_status" under "tools"'
        )
        link = {"modules": ["sale_subscription"]}
        outside = {"modules": ["sale_subscription"], "target_dir": "/tmp"}
        tags = []
        for index in range(10):
            tags.append((await server.call("ee_link", link)).tag)
            if index % 3 == 1:  # refused in the handler: not a configured target
                assert (await server.call("ee_link", outside)).tag == "PATH REFUSED"
        assert tags == [None] * 10
        assert (await server.call("ee_link", link)).tag == "RATE LIMITED"
        last = server.audit_records()[-1]
        assert last["outcome"] == "rate_limited"
        assert last["tool"] == "ee_link"


async def test_default_deny_names_the_rule_and_audits(tmp_path):
    async with guarded_server({"version": "1", "default": "deny"}, tmp_path=tmp_path, echo=True) as server:
        result = await server.call("guard_echo", {"text": "hello"})
        assert result.is_error
        assert result.text.startswith("[POLICY DENIED] 'guard_echo' is not allowed")
        [record] = server.audit_records()
        assert (record["tool"], record["decision"], record["rule"], record["outcome"]) == (
            "guard_echo",
            "deny",
            "default",
            "denied",
        )


async def test_default_allow_and_explicit_allow(tmp_path):
    async with guarded_server({"version": "1", "default": "allow"}, tmp_path=tmp_path, echo=True) as server:
        result = await server.call("guard_echo", {"text": "hello", "count": 3})
        assert not result.is_error, result.text
        assert result.data["text"] == "hello"
        assert result.data["count"] == 3


async def test_deny_with_reason(tmp_path):
    policy = {
        "version": "1",
        "default": "allow",
        "tools": {"guard_echo": {"action": "deny", "reason": "echo is switched off during the audit"}},
    }
    async with guarded_server(policy, tmp_path=tmp_path, echo=True) as server:
        result = await server.call("guard_echo", {})
        assert result.text == "[POLICY DENIED] echo is switched off during the audit"
        assert server.audit_records()[0]["rule"] == "tools.guard_echo.action"


async def test_hidden_tool_is_absent_and_refused_like_an_unknown_one(tmp_path):
    policy = {"version": "1", "default": "allow", "hide": ["guard_echo", "odoo_unlink"]}
    async with guarded_server(policy, tmp_path=tmp_path, echo=True) as server:
        names = await server.tool_names()
        assert "guard_echo" not in names
        assert "odoo_unlink" not in names
        assert "policy_status" in names
        hidden = await server.call("guard_echo", {"text": "x"})
        unknown = await server.call("no_such_tool", {"text": "x"})
        assert hidden.text == "[POLICY DENIED] unknown tool 'guard_echo'"
        assert unknown.text == "[POLICY DENIED] unknown tool 'no_such_tool'"
        rules = [r["rule"] for r in server.audit_records()]
        assert rules == ["hide", "unknown"]
        status = await server.call("policy_status")
        assert "guard_echo" not in status.text


async def test_hide_star_hides_everything(tmp_path):
    async with guarded_server({"version": "1", "default": "allow", "hide": ["*"]}, tmp_path=tmp_path) as server:
        assert await server.tool_names() == set()
        assert (await server.call("policy_status")).tag == "POLICY DENIED"


DENY_IF = [
    ({"arg": "text", "op": "eq", "value": "boom"}, {"text": "boom"}),
    ({"arg": "values.mode", "op": "ne", "value": "safe"}, {"values": {"mode": "wild"}}),
    ({"arg": "amount", "op": "gt", "value": 1000}, {"amount": 1000.5}),
    ({"arg": "values.n", "op": "gte", "value": 50}, {"values": {"n": 50}}),
    ({"arg": "amount", "op": "lt", "value": -100}, {"amount": -101}),
    ({"arg": "values.m", "op": "lte", "value": -1}, {"values": {"m": -1}}),
    ({"arg": "text", "op": "in", "value": ["forbidden", "banned"]}, {"text": "banned"}),
    ({"arg": "values.kind", "op": "not_in", "value": ["a", "b"]}, {"values": {"kind": "c"}}),
    ({"arg": "text", "op": "matches", "value": "DROP .*"}, {"text": "DROP TABLE x"}),
    ({"arg": "values.danger", "op": "exists"}, {"values": {"danger": 0}}),
    ({"arg": "tags", "op": "len_gt", "value": 3}, {"tags": ["a", "b", "c", "d"]}),
    ({"arg": "values.short", "op": "len_lte", "value": 1}, {"values": {"short": "x"}}),
    ({"arg": "values", "op": "contains", "value": "password"}, {"values": {"password": "pw"}}),
    ({"arg": "tags", "op": "contains", "value": "root"}, {"tags": ["root"]}),
    ({"arg": "text", "op": "contains", "value": "sudo"}, {"text": "please sudo now"}),
]
SAFE_ARGS = [
    {"text": "boo"},
    {"values": {"mode": "safe"}},
    {"amount": 1000},
    {"values": {"n": 49}},
    {"amount": -100},
    {"values": {"m": 0}},
    {"text": "fine"},
    {"values": {"kind": "a"}},
    {"text": "SELECT DROP"},
    {"values": {"other": 1}},
    {"tags": ["a", "b", "c"]},
    {"values": {"short": "xy"}},
    {"values": {"user": "x"}},
    {"tags": ["rooted"]},
    {"text": "su do"},
]


async def test_deny_if_every_op(tmp_path):
    """Each op fires on the arguments meant for it, names its rule, and lets the near miss through."""
    policy = {"version": "1", "default": "deny", "tools": {"guard_echo": {"deny_if": [c for c, _ in DENY_IF]}}}
    async with guarded_server(policy, tmp_path=tmp_path, echo=True) as server:
        for index, (condition, arguments) in enumerate(DENY_IF):
            result = await server.call("guard_echo", arguments)
            assert result.tag == "POLICY DENIED", (condition, result.text)
            assert "is refused when " in result.text  # the words themselves: tests/test_guard_wording.py
            assert server.audit_records()[-1]["rule"] == f"tools.guard_echo.deny_if[{index}]"
        for arguments in SAFE_ARGS:
            result = await server.call("guard_echo", arguments)
            assert not result.is_error, (arguments, result.text)


async def test_require_conditions(tmp_path):
    policy = {
        "version": "1",
        "default": "deny",
        "tools": {
            "guard_echo": {
                "require": [
                    "text",
                    {"arg": "count", "op": "lte", "value": 10},
                    {"arg": "tags", "op": "len_gt", "value": 0},
                ]
            }
        },
    }
    async with guarded_server(policy, tmp_path=tmp_path, echo=True) as server:
        missing = await server.call("guard_echo", {"count": 1, "tags": ["t"]})
        assert missing.text == "[POLICY DENIED] 'guard_echo' is allowed only when text is given"
        empty = await server.call("guard_echo", {"text": "", "count": 1, "tags": ["t"]})
        assert empty.tag == "POLICY DENIED"
        too_many = await server.call("guard_echo", {"text": "x", "count": 11, "tags": ["t"]})
        assert too_many.text == "[POLICY DENIED] 'guard_echo' is allowed only when count is at most 10"
        no_tags = await server.call("guard_echo", {"text": "x", "count": 1})
        assert no_tags.tag == "POLICY DENIED"
        ok = await server.call("guard_echo", {"text": "x", "count": 10, "tags": ["t"]})
        assert not ok.is_error, ok.text
        rules = [r["rule"] for r in server.audit_records()]
        assert rules == [
            "tools.guard_echo.require[0]",
            "tools.guard_echo.require[0]",
            "tools.guard_echo.require[1]",
            "tools.guard_echo.require[2]",
            "tools.guard_echo",
        ]


async def test_invalid_arguments_never_reach_the_handler(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    policy = {"version": "1", "default": "allow"}
    env = {"ODOO_MCP_FILES_DIR": str(files)}
    async with guarded_server(policy, tmp_path=tmp_path, echo=True, env=env) as server:
        wrong_type = await server.call("guard_echo", {"count": "many", "save_path": "a.txt", "text": "x"})
        assert wrong_type.text == (
            "[INVALID ARGUMENTS] count: Input should be a valid integer, unable to parse string as an integer"
        )
        out_of_range = await server.call("guard_echo", {"count": 5000, "save_path": "b.txt"})
        assert out_of_range.text == "[INVALID ARGUMENTS] count: Input should be less than or equal to 1000"
        extra = await server.call("guard_echo", {"save_path": "c.txt", "sneaky": True})
        assert extra.text == "[INVALID ARGUMENTS] sneaky: unexpected argument"
        nested = await server.call("guard_echo", {"tags": ["ok", 7]})
        assert nested.text == "[INVALID ARGUMENTS] tags[1]: Input should be a valid string"
        assert list(files.iterdir()) == []
        written = await server.call("guard_echo", {"save_path": "d.txt", "text": "kept"})
        assert not written.is_error, written.text
        assert (files / "d.txt").read_text() == "kept"
        outcomes = [r["outcome"] for r in server.audit_records()]
        assert outcomes == ["invalid", "invalid", "invalid", "invalid", "ok"]


async def test_handler_failures_are_tagged_and_the_server_keeps_running(tmp_path):
    async with guarded_server({"version": "1", "default": "allow"}, tmp_path=tmp_path, echo=True) as server:
        failed = await server.call("guard_echo", {"fail": True})
        assert failed.text == "[TOOL ERROR] asked to fail"
        crashed = await server.call("guard_echo", {"crash": True})
        assert crashed.text.startswith("[INTERNAL ERROR] guard_echo failed unexpectedly (RuntimeError)")
        assert "secret internal detail" not in crashed.text
        assert "Traceback" not in crashed.text
        again = await server.call("guard_echo", {"text": "still here"})
        assert again.data["text"] == "still here"
        assert "secret internal detail" in server.stderr_text()


async def test_path_argument_confined_to_its_root(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (files / "escape").symlink_to(outside)
    env = {"ODOO_MCP_FILES_DIR": str(files)}
    async with guarded_server({"version": "1", "default": "allow"}, tmp_path=tmp_path, echo=True, env=env) as server:
        for hostile in ["../outside/x.txt", str(outside / "x.txt"), "escape/x.txt", "~/x.txt", "a\x00b"]:
            result = await server.call("guard_echo", {"save_path": hostile, "text": "x"})
            assert result.tag == "PATH REFUSED", (hostile, result.text)
            assert result.text.startswith("[PATH REFUSED] save_path: ")
        assert list(outside.iterdir()) == []
    async with guarded_server({"version": "1", "default": "allow"}, tmp_path=tmp_path, echo=True) as server:
        result = await server.call("guard_echo", {"save_path": "x.txt"})
        assert result.text == "[NOT CONFIGURED] save_path: the 'files' root is not configured on this server"


async def test_secrets_never_reach_the_audit_log_or_stderr(tmp_path):
    policy = {"version": "1", "default": "allow", "tools": {"guard_echo": {"deny_if": ["secret_token"]}}}
    secrets = ["S3cr3t-token-123", "hunter2-pw", "sk-live-abcdef", "QWxhZGRpbjpvcGVu", "pa55word"]
    async with guarded_server(policy, tmp_path=tmp_path, echo=True) as server:
        await server.call("guard_echo", {"secret_token": secrets[0]})
        await server.call(
            "guard_echo",
            {
                "values": {"password": secrets[1], "api_key": secrets[2], "nested": {"Authorization": "x"}},
                "text": f"Basic {secrets[3]}",
            },
        )
        await server.call("guard_echo", {"text": f"https://admin:{secrets[4]}@odoo.example.com"})
        await server.call("no_such_tool", {"password": secrets[1]})
        audit = server.audit_path.read_text()
        assert len(server.audit_records()) == 4
        for secret in secrets:
            assert secret not in audit
            assert secret not in server.stderr_text()
        assert '"password":"***"' in audit  # compact JSON lines (orjson)


async def test_lists_and_objects_sent_as_json_text_are_decoded(tmp_path):
    """Some clients (Claude Desktop) send list/object arguments as JSON text; strings stay strings."""
    policy = {
        "version": "1",
        "default": "deny",
        "tools": {"guard_echo": {"deny_if": [{"arg": "tags", "op": "contains", "value": "root"}]}},
    }
    async with guarded_server(policy, tmp_path=tmp_path, echo=True) as server:
        result = await server.call("guard_echo", {"tags": '["a", "b"]', "values": '{"k": 1}', "text": '["kept"]'})
        assert not result.is_error, result.text
        assert (result.data["tags"], result.data["values"], result.data["text"]) == (["a", "b"], {"k": 1}, '["kept"]')
        # the decoded value is what the policy sees
        assert (await server.call("guard_echo", {"tags": '["root"]'})).tag == "POLICY DENIED"
        broken = await server.call("guard_echo", {"tags": '["a",'})
        assert broken.text == "[INVALID ARGUMENTS] tags: Input should be a valid list"
