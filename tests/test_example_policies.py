"""The example policies shipped in odoo_mcp/examples/ load, and name only tools this server has."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard.policy import load_policy
from odoo_mcp.policy_examples import examples
from tools.registry import all_specs

EXAMPLES = {name: Path(str(entry)) for name, entry in examples().items() if str(entry).endswith(".json")}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_policy_loads_and_names_real_tools(name):
    policy = load_policy(EXAMPLES[name])
    known = {spec.name for spec in all_specs()}
    assert set(policy.tools) <= known
    assert set(policy.hide) - {"*"} <= known
    assert policy.default == "deny"


def test_there_are_examples():
    assert {"readonly", "addons-maintainer"} <= set(EXAMPLES)
