"""The example policies in examples/ load, name only tools this server has, and let no secret out of Odoo."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard.policy import load_policy
from tests.odoo_double import OdooDouble
from tests.odoo_double.seed import SECRETS
from tests.sensitive_cases import MASK, MASKED, call, everything_seen, in_process, routes
from tools.registry import all_specs

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_policy_loads_and_names_real_tools(path):
    policy = load_policy(path)
    known = {spec.name for spec in all_specs()}
    assert set(policy.tools) <= known
    assert set(policy.hide) - {"*"} <= known
    assert policy.default == "deny"


def test_there_are_examples():
    assert len(EXAMPLES) >= 2


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
                leaked = [name for name, secret in SECRETS.items() if secret in seen]
                assert not leaked and '"admin"' not in seen, f"{route.name}: {leaked}"
                if result.is_error:
                    assert result.text.startswith("[POLICY DENIED]"), f"{route.name}: {result.text}"
                else:
                    assert route.shipped == MASKED and MASK in seen, f"{route.name}: {result.text[:300]}"
