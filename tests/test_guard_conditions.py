"""Every operator and edge case of a condition, as an author reads it (in process, table-driven)."""

from __future__ import annotations

import json
import time

import pytest

from guard.conditions import holds, resolve
from guard.policy import Condition

CASES = [
    # (path, op, value, arguments, holds?)
    # eq: numbers across int/float, strict types otherwise, null == false
    ("args.n", "eq", 5, {"n": 5.0}, True),
    ("args.n", "eq", 5, {"n": "5"}, False),
    ("args.flag", "eq", True, {"flag": 1}, False),
    ("args.flag", "eq", 1, {"flag": True}, False),
    ("args.active", "eq", False, {"active": None}, True),
    ("args.active", "eq", False, {"active": False}, True),
    ("args.active", "eq", False, {"active": 0}, False),
    ("args.active", "eq", None, {"active": False}, True),
    ("args.s", "eq", "main", {"s": "main"}, True),
    ("args.l", "eq", [1, "a"], {"l": [1.0, "a"]}, True),
    ("args.l", "eq", [1], {"l": [True]}, False),
    ("args.o", "eq", {"a": 1}, {"o": {"a": 1}}, True),
    ("args.missing", "eq", None, {}, False),
    # neq / ne: not eq; a missing value fails every op but exists
    ("args.s", "neq", "draft", {"s": "posted"}, True),
    ("args.s", "neq", "draft", {"s": "draft"}, False),
    ("args.s", "neq", "draft", {}, False),
    ("args.s", "ne", 5, {"s": "5"}, True),
    ("args.active", "neq", False, {"active": None}, False),
    # in / not_in
    ("args.c", "in", ["usd", "eur"], {"c": "usd"}, True),
    ("args.c", "in", ["usd", "eur"], {"c": "gbp"}, False),
    ("args.n", "in", [1, 2], {"n": 2.0}, True),
    ("args.n", "in", ["1"], {"n": 1}, False),
    ("args.c", "not_in", ["admin"], {"c": "user"}, True),
    ("args.c", "not_in", ["admin"], {"c": "admin"}, False),
    ("args.c", "not_in", ["admin"], {}, False),
    ("args.a", "in", [False], {"a": None}, True),
    # lt lte gt gte: numbers (int/float alike); strings with strings (ours); mismatch false
    ("args.n", "lt", 10, {"n": 9.5}, True),
    ("args.n", "lte", 10, {"n": 10}, True),
    ("args.n", "gt", 10, {"n": 10}, False),
    ("args.n", "gte", 10.0, {"n": 10}, True),
    ("args.n", "gt", 10, {"n": "11"}, False),
    ("args.n", "gt", 0, {"n": True}, False),
    ("args.n", "lt", 10, {"n": None}, False),
    ("args.d", "gte", "2026-01-01", {"d": "2026-03-04"}, True),
    ("args.d", "lt", "2026-01-01", {"d": 5}, False),
    # regex: a search; matches (ours): the whole string
    ("args.b", "regex", "^feat/", {"b": "feat/x"}, True),
    ("args.b", "regex", "feat", {"b": "my-feat-1"}, True),
    ("args.b", "regex", "^feat/", {"b": "fix/feat/"}, False),
    ("args.b", "regex", "1", {"b": 1}, False),
    ("args.b", "matches", "[a-z]+", {"b": "abc"}, True),
    ("args.b", "matches", "[a-z]+", {"b": "abc1"}, False),
    # contains: substring, list element (eq), object key (ours)
    ("args.t", "contains", "test", {"t": "a test run"}, True),
    ("args.t", "contains", "x", {"t": "abc"}, False),
    ("args.t", "contains", 2, {"t": [1, 2.0]}, True),
    ("args.t", "contains", "2", {"t": [1, 2]}, False),
    ("args.t", "contains", "password", {"t": {"password": "x"}}, True),
    ("args.t", "contains", 1, {"t": "1"}, False),
    # exists: true is false for null; false is true for missing and null
    ("args.x", "exists", True, {"x": 0}, True),
    ("args.x", "exists", True, {"x": None}, False),
    ("args.x", "exists", True, {}, False),
    ("args.x", "exists", False, {}, True),
    ("args.x", "exists", False, {"x": None}, True),
    ("args.x", "exists", False, {"x": ""}, False),
    # len_gt / len_lte (ours)
    ("args.t", "len_gt", 2, {"t": [1, 2, 3]}, True),
    ("args.t", "len_lte", 2, {"t": "abc"}, False),
    ("args.t", "len_gt", 0, {"t": 5}, False),
    # paths: each dot descends one object level; anything else fails the condition
    ("args.values.password", "exists", True, {"values": {"password": "x"}}, True),
    ("args.a.b.c", "eq", 1, {"a": {"b": {"c": 1}}}, True),
    ("args.a.b.c", "eq", 1, {"a": {"b": 5}}, False),
    ("args.a.b", "eq", 1, {"a": "text"}, False),
    ("args.a.b", "exists", False, {"a": None}, True),
    ("args.args.0", "eq", "x", {"args": ["x", "y"]}, True),
    ("args.args.5", "exists", True, {"args": ["x"]}, False),
]


@pytest.mark.parametrize(
    ("path", "op", "value", "arguments", "expected"), CASES, ids=[f"{c[0]} {c[1]} {c[2]!r} on {c[3]}" for c in CASES]
)
def test_operator(path, op, value, arguments, expected):
    condition = Condition(path=path, op=op, value=value)
    assert holds(condition, arguments) is expected


def test_arg_is_the_older_spelling_of_the_same_path():
    assert holds(Condition(arg="values.password", op="exists", value=True), {"values": {"password": "x"}})
    assert not holds(Condition(arg="values.password", op="exists", value=True), {"values": {}})


BATCH = {"values": [{"name": "a"}, {"name": "b", "credit_limit": 5}]}

LIST_CASES = [
    # (path, op, value, arguments, any-record result (deny_if), every-record result (require))
    ("args.values.credit_limit", "exists", True, BATCH, True, False),
    ("args.values.name", "exists", True, BATCH, True, True),
    ("args.values.name", "eq", "a", BATCH, True, False),
    ("args.values.credit_limit", "gt", 1, BATCH, True, False),
    ("args.values.credit_limit", "exists", True, {"values": json.dumps(BATCH["values"])}, True, False),
    ("args.values.credit_limit", "exists", True, {"values": {"credit_limit": 1}}, True, True),
    ("args.values.x", "exists", True, {"values": []}, False, False),
    ("args.values.x", "exists", False, {"values": []}, True, True),
    ("args.rows.lines.qty", "gt", 10, {"rows": [{"lines": [{"qty": 1}]}, {"lines": [{"qty": 11}]}]}, True, False),
    ("args.values.active", "eq", False, {"values": [{"active": None}, {"active": False}]}, True, True),
]


@pytest.mark.parametrize(
    ("path", "op", "value", "arguments", "any_record", "every_record"),
    LIST_CASES,
    ids=[f"{c[0]} {c[1]} {c[2]!r}" for c in LIST_CASES],
)
def test_a_path_through_a_list_of_records_applies_to_every_record(
    path, op, value, arguments, any_record, every_record
):
    condition = Condition(path=path, op=op, value=value)
    assert holds(condition, arguments, every=False) is any_record
    assert holds(condition, arguments, every=True) is every_record


def test_resolve_collects_one_value_per_record():
    assert resolve(BATCH, ("values", "name")) == ["a", "b"]


@pytest.mark.parametrize(
    ("entry", "arguments", "expected"),
    [
        ("args.reason", {"reason": "audit"}, True),
        ("args.reason", {"reason": ""}, False),
        ("args.reason", {"reason": None}, False),
        ("args.reason", {}, False),
        ("reason", {"reason": "audit"}, True),
        ("args.values.name", {"values": [{"name": "a"}, {"name": ""}]}, False),
        ("args.values.name", {"values": [{"name": "a"}, {"name": "b"}]}, True),
    ],
)
def test_require_string_means_present_not_null_not_empty(entry, arguments, expected):
    assert holds(entry, arguments) is expected


def test_state_conditions_read_counters_and_hold_without_them():
    condition = Condition(path="state.create_issue.hourly", op="lte", value=5)
    assert holds(condition, {}, None)
    assert holds(condition, {}, {"state.create_issue.hourly": 5})
    assert not holds(condition, {}, {"state.create_issue.hourly": 6})
    assert holds(condition, {}, {})  # not counted yet: 0


def test_regex_runs_in_linear_time():
    """`(a+)+b` backtracks exponentially in Python's `re`; the guard's engine does not."""
    condition = Condition(path="args.s", op="regex", value="(a+)+b")
    started = time.perf_counter()
    assert not holds(condition, {"s": "a" * 5000 + "c"})
    assert time.perf_counter() - started < 0.1
