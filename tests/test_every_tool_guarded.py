"""No tool can be reached around the guard, and every tool describes its risk."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard.guard import Guard, GuardedTool
from guard.policy import parse_policy
from guard.spec import Risk
from guard.wording import default_deny_reason
from odoo_mcp.config import Settings
from odoo_mcp.families import all_specs
from odoo_mcp.server import _mcp_tool, assert_all_guarded, build_guard, build_server
from tests.harness import guarded_server

DENY_ALL = {"version": "1", "default": "deny"}


def test_a_bare_handler_cannot_be_registered():
    spec = all_specs()[0]
    with pytest.raises(TypeError, match="only guarded tools"):
        _mcp_tool(spec, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="only guarded tools"):
        _mcp_tool(spec.handler, None)  # type: ignore[arg-type]


def test_a_guarded_tool_is_made_by_the_guard_only():
    spec = all_specs()[0]
    guard = Guard(parse_policy(DENY_ALL))
    with pytest.raises(TypeError, match=r"Guard\.wrap only"):
        GuardedTool(guard, spec, object())
    assert isinstance(guard.wrap(spec), GuardedTool)


def test_server_refuses_to_serve_a_tool_added_around_the_guard(tmp_path):
    settings = Settings(policy_path=Path("unused"))
    guard, _ = build_guard(settings, parse_policy(DENY_ALL))
    server = build_server(guard)
    assert_all_guarded(server)

    def sneaky() -> str:
        """Not guarded."""
        return "reached"

    server.add_tool(sneaky)
    with pytest.raises(RuntimeError, match="'sneaky' is registered without the guard"):
        assert_all_guarded(server)


@pytest.mark.anyio
async def test_every_listed_tool_is_refused_by_a_deny_all_policy(tmp_path):
    """Every tool the server lists answers through the guard: denied, and audited."""
    async with guarded_server(DENY_ALL, tmp_path=tmp_path) as server:
        tools = await server.list_tools()
        catalogue = {spec.name: spec for spec in all_specs()}
        assert {tool.name for tool in tools} == set(catalogue)
        for tool in tools:
            result = await server.call(tool.name, {})
            assert result.text == f"[POLICY DENIED] {default_deny_reason(tool.name)}"
        audited = [record["tool"] for record in server.audit_records()]
        assert audited == [tool.name for tool in tools]


@pytest.mark.anyio
async def test_tools_declare_family_risk_and_matching_annotations(tmp_path):
    """The listed hints say each tool's risk class, read with the MCP defaults for absent hints
    (readOnly false, destructive true, idempotent false, openWorld true)."""
    catalogue = {spec.name: spec for spec in all_specs()}
    async with guarded_server(DENY_ALL, tmp_path=tmp_path) as server:
        for tool in await server.list_tools():
            spec = catalogue[tool.name]
            assert spec.family
            hints = tool.annotations
            read_only = hints.read_only_hint is True
            assert read_only is (spec.risk is Risk.READ), tool.name
            if not read_only:  # the other hints only mean something for a tool that changes things
                assert (hints.destructive_hint is not False) is (spec.risk is Risk.DESTRUCTIVE), tool.name
                assert (hints.idempotent_hint is True) is spec.idempotent, tool.name
            assert (hints.open_world_hint is not False) is spec.open_world, tool.name
            assert tool.input_schema["type"] == "object"
            assert tool.input_schema.get("additionalProperties") is False, tool.name
            assert tool.description


def test_the_guard_package_imports_no_mcp_and_no_odoo_code():
    import subprocess
    import sys

    from tests.harness import REPO

    probe = (
        "import pkgutil, importlib, sys, guard\n"
        "for m in pkgutil.iter_modules(guard.__path__): importlib.import_module('guard.' + m.name)\n"
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'mcp', 'mcp_types', 'odoorpc', 'odoo_mcp', 'tools'}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "[]"
