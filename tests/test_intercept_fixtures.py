"""Intercept's own policies and test fixtures load here as Intercept loads them (tests/data/intercept/).

One case per file. The expected verdict comes from the fixture itself: a file whose name says
`invalid` must be refused (Intercept's tests refuse it too), every other one must load — and load
what it says: the same tools, the same number of rules each, its `default` (or Intercept's
implied `allow`). Intercept's `invalid_schema` fixture names, in each rule's `name`, what is wrong
with that rule: each of those rules is also refused on its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from guard.policy import PolicyError, load_policy, parse_text

DATA = Path(__file__).parent / "data" / "intercept"
FIXTURES = sorted(DATA.rglob("*.yaml"))


def expected_to_load(path: Path) -> bool:
    """The fixture's own naming: Intercept's invalid fixtures say so in their names."""
    return "invalid" not in path.stem


def test_every_fixture_is_here():
    # the 53 published policies, 4 copies of its testdata, the 5 files its Go tests read (one from `scan`)
    assert len(FIXTURES) == 62
    assert sum(not expected_to_load(path) for path in FIXTURES) == 4


@pytest.mark.parametrize("path", FIXTURES, ids=[str(path.relative_to(DATA)) for path in FIXTURES])
def test_a_valid_fixture_loads_what_it_says_and_an_invalid_one_is_refused(path):
    if not expected_to_load(path):
        with pytest.raises(PolicyError) as caught:
            load_policy(path)
        assert caught.value.problems, caught.value
        return
    policy = load_policy(path)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    tools = document.get("tools") or {}
    assert set(policy.tools) == set(tools)
    for name, entry in tools.items():
        assert len(policy.tools[name].rules) == len((entry or {}).get("rules") or []), name
    assert policy.default == document.get("default", "allow")


def invalid_schema_rules() -> list[tuple[str, dict]]:
    """Each rule of Intercept's invalid_schema fixture, alone in an otherwise valid document."""
    document = yaml.safe_load((DATA / "testdata" / "invalid_schema.yaml").read_text(encoding="utf-8"))
    return [
        (f"{tool}: {rule.get('name') or '(no name)'}", {"version": "1", "tools": {tool: {"rules": [rule]}}})
        for tool, entry in document["tools"].items()
        for rule in entry["rules"]
    ]


INVALID_RULES = invalid_schema_rules()


@pytest.mark.parametrize(("case", "document"), INVALID_RULES, ids=[case for case, _ in INVALID_RULES])
def test_each_rule_of_intercepts_invalid_schema_is_refused_on_its_own(case, document):
    with pytest.raises(PolicyError):
        parse_text(yaml.safe_dump(document), spelling="yaml")


def test_the_invalid_schema_cases_are_all_there():
    assert len(INVALID_RULES) == 13
