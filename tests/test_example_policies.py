"""The example policies shipped in odoo_mcp/examples/ load, name only real tools, and let no secret out of Odoo."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard import decide, load_policy
from odoo_mcp.commands.policy_examples import examples
from odoo_mcp.families import all_specs
from odoo_mcp.policy_names import check_tool_names
from tests.odoo_double import OdooDouble
from tests.sensitive_cases import MASK, MASKED, call, everything_seen, in_process, leaked, routes

EXAMPLES = sorted(Path(str(entry)) for entry in examples().values())


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_policy_loads_and_names_real_tools(path):
    policy = load_policy(path)
    known = {spec.name for spec in all_specs()}
    assert set(policy.tools) - {"*"} <= known
    assert set(policy.hide) - {"*"} <= known
    assert check_tool_names(policy, known).problems == []
    assert policy.default == "deny"


def test_there_are_examples_in_both_spellings():
    assert {"readonly", "addons-maintainer", "intercept-sales-assistant"} <= set(examples())
    assert any(path.suffix in (".yaml", ".yml") for path in EXAMPLES)


def test_the_yaml_example_means_what_its_comments_say():
    policy = load_policy(Path(str(examples()["intercept-sales-assistant"])))
    batch = {"model": "res.partner", "ids": [1, 2], "values": [{"name": "A"}, {"name": "B", "credit_limit": 9e9}]}
    assert decide(policy, "odoo_write", batch).message == "Credit limits are set by finance, not by the assistant"
    assert decide(policy, "odoo_write", {"model": "res.partner", "ids": [1], "values": {"name": "A"}}).allowed
    assert decide(policy, "odoo_search_read", {"model": "res.users", "limit": 5}).message == (
        "This assistant reads partners, quotes and products only"
    )
    assert not decide(policy, "odoo_search_read", {"model": "res.partner", "limit": 80},
                      {"state.odoo_search_read.records_read": 5001}).allowed  # fmt: skip
    assert decide(policy, "odoo_unlink", {}).rule == "hide"
    assert decide(policy, "odoo_create", {}).rule == "tools.odoo_create.rules[0]"


@pytest.mark.anyio
@pytest.mark.parametrize("protocol", ["jsonrpc", "json2"])
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
async def test_example_policy_keeps_every_secret_in_odoo(path, protocol, tmp_path):
    """Every route a secret could take (tests/sensitive_cases.py) under the example as shipped:
    refused (by the example's own rules or by the sensitive-data rules) or masked, never seen."""
    files = tmp_path / "files"
    with OdooDouble() as double:
        async with in_process(path, double, protocol, files) as guard:
            for route in routes(double):
                result = await call(guard, route.tool, route.args)
                seen = everything_seen(result, files)
                assert not leaked(seen), f"{route.name}: {leaked(seen)}"
                if result.is_error:
                    assert result.text.startswith("[POLICY DENIED]"), f"{route.name}: {result.text}"
                else:
                    assert route.shipped == MASKED and MASK in seen, f"{route.name}: {result.text[:300]}"
