"""guard/conditions.py at its edges: where a path leads nowhere, JSON text, lists of records, null.

Table-driven on `holds` (what the decision engine calls) with conditions built as a policy
would build them. Each row is a case the module docstring promises and that a one-line change
got past the rest of the suite (found by `make mutants`).
"""

from __future__ import annotations

import pytest

from guard.conditions import equal, holds
from guard.policy import Condition


def c(path: str, op: str, value=None, **extra) -> Condition:
    return (
        Condition(path=path, op=op, value=value, **extra)
        if op != "exists" or value is not None
        else Condition(path=path, op=op)
    )


RECORDS = {"values": [{"name": "a", "password": "x"}, {"name": "b"}]}

HOLDS = [
    # a path that leads nowhere is missing, never null: `eq false` (null == false) must not match it
    ("missing key is not null", c("args.values.x", "eq", False), {"values": {}}, True, False),
    ("missing key under a list element", c("args.values.0.x", "eq", False), {"values": [{}]}, True, False),
    ("index past the end is missing", c("args.tags.2", "eq", False), {"tags": ["a", "b"]}, True, False),
    ("index past the end, exists", c("args.tags.2", "exists", True), {"tags": ["a", "b"]}, True, False),
    ("exists with no value means given", Condition(path="args.tags", op="exists"), {"tags": ["a"]}, True, True),
    ("exists with no value, absent", Condition(path="args.tags", op="exists"), {}, True, False),
    ("index exactly the length", c("args.tags.1", "eq", "b"), {"tags": ["a", "b"]}, True, True),
    ("empty list of records is missing", c("args.values.name", "eq", False), {"values": []}, True, False),
    ("step into a number is missing", c("args.count.x", "eq", False), {"count": 3}, True, False),
    ("bad JSON text is missing", c("args.values.x", "eq", False), {"values": "{not json"}, True, False),
    ("first step missing, deeper path", c("args.values.x", "eq", False), {}, True, False),
    ("first step missing, neq", c("args.values.x", "neq", "a"), {}, True, False),
    # JSON text is decoded, objects as well as lists
    ("JSON object text", c("args.values.credit_limit", "gt", 5), {"values": '{"credit_limit": 9}'}, True, True),
    ("JSON list text", c("args.values.name", "eq", "b"), {"values": '[{"name": "a"}, {"name": "b"}]'}, False, True),
    # records: deny_if needs one match, require/evaluate every record
    ("one record of two, any", c("args.values.password", "exists", True), RECORDS, False, True),
    ("one record of two, every", c("args.values.password", "exists", True), RECORDS, True, False),
    # contains on the three container kinds, and on a value that is none of them
    ("a number is not in a string", c("args.text", "contains", 5), {"text": "a5"}, True, False),
    ("a substring", c("args.text", "contains", "5"), {"text": "a5"}, True, True),
    ("a number has no members", c("args.count", "contains", "1"), {"count": 1}, True, False),
    ("an object's key", c("args.values", "contains", "password"), {"values": {"password": 1}}, True, True),
    ("a number is not an object's key", c("args.values", "contains", 1), {"values": {"1": 1}}, True, False),
    ("a list is not an object's key", c("args.values", "contains", ["a"]), {"values": {"a": 1}}, True, False),
    # equal: type-strict, null == false only
    ("a list is not its joined string", c("args.tags", "eq", "ab"), {"tags": ["a", "b"]}, True, False),
    ("null is not a string", c("args.text", "eq", "a"), {"text": None}, True, False),
    ("null is false", c("args.text", "eq", False), {"text": None}, True, True),
    ("objects with the same keys differ by value", c("args.values", "eq", {"a": 1}), {"values": {"a": 2}}, True, False),
    ("objects equal", c("args.values", "eq", {"a": [1, 2.0]}), {"values": {"a": [1.0, 2]}}, True, True),
]


@pytest.mark.parametrize(("case", "condition", "arguments", "every", "expected"), HOLDS, ids=[r[0] for r in HOLDS])
def test_holds(case, condition, arguments, every, expected):
    assert holds(condition, arguments, every=every) is expected


BARE = [
    ("present in one record of two, any", "values.password", RECORDS, False, True),
    ("present in one record of two, every", "values.password", RECORDS, True, False),
    ("absent from every record, any", "values.secret", RECORDS, False, False),
    ("empty string is not present", "args.text", {"text": ""}, True, False),
]


@pytest.mark.parametrize(("case", "entry", "arguments", "every", "expected"), BARE, ids=[r[0] for r in BARE])
def test_a_bare_require_string(case, entry, arguments, every, expected):
    assert holds(entry, arguments, every=every) is expected


def test_a_counter_not_counted_yet_is_zero():
    condition = c("state.t.n", "lt", 1)
    assert holds(condition, {}, {}) is True
    assert holds(condition, {}, {"state.t.n": 1}) is False
    assert holds(condition, {}, None) is True  # no store: holds, as Intercept's engine


EQUAL = [
    (None, None, True),
    (None, False, True),
    (False, None, True),
    (None, 0, False),
    (None, "", False),
    (1, 1.0, True),
    (True, 1, False),
    ("5", 5, False),
    ([1, [2]], [1, [2]], True),
    ([1], [1, 2], False),
    ({"a": 1}, {"a": 1, "b": 2}, False),
    ({"a": 1}, {"a": 1}, True),
]


@pytest.mark.parametrize(("actual", "expected", "same"), EQUAL)
def test_equal(actual, expected, same):
    assert equal(actual, expected) is same
