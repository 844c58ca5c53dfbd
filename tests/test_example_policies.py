"""The example policies in examples/ load, and name only tools this server has."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard.policy import load_policy
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
