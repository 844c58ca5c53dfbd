"""guard/wording.py phrase by phrase: each operator, value and subject as the agent reads it.

Table-driven on `condition_words` with conditions built as a policy builds them; rows found by
`make mutants`.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from guard.policy import Condition
from guard.wording import condition_words, default_deny_reason, pattern_words, subject_of

PHRASES = [
    ("args.state", "eq", "draft", "state is 'draft'"),
    ("args.active", "eq", False, "active is false"),
    ("args.active", "eq", True, "active is true"),
    ("args.partner", "eq", None, "partner is null"),
    ("args.state", "neq", "done", "state is not 'done'"),
    ("args.state", "ne", 3, "state is not 3"),
    ("args.state", "in", ["a"], "state is one of 'a'"),
    ("args.state", "in", ["a", "b", "c"], "state is one of 'a', 'b' or 'c'"),
    ("args.state", "not_in", ["a", "b"], "state is none of 'a' or 'b'"),
    ("args.state", "in", [], "state is one of "),
    ("args.amount", "lt", 5, "amount is less than 5"),
    ("args.amount", "lte", 5.5, "amount is at most 5.5"),
    ("args.amount", "gt", 5, "amount is more than 5"),
    ("args.amount", "gte", 5, "amount is at least 5"),
    ("args.name", "regex", "^a", "name contains a match for the pattern '^a'"),
    ("args.name", "matches", "a+", "name as a whole matches the pattern 'a+'"),
    ("args.values", "contains", "password", "values contains 'password'"),
    ("args.values.password", "exists", True, "values.password is given"),
    ("args.values.password", "exists", False, "values.password is not given"),
    ("args.modules", "len_gt", 5, "more than 5 modules are given"),
    ("args.name", "len_gt", 5, "name is longer than 5"),
    ("args.address", "len_gt", 5, "address is longer than 5"),  # "ss": not a plural
    ("args.values.ids", "len_lte", 2, "at most 2 values.ids are given"),
    ("args.name", "len_lte", 2, "name is at most 2 long"),
    ("state.t.calls", "lt", 3, "state.t.calls is less than 3"),
]


@pytest.mark.parametrize(("path", "op", "value", "words"), PHRASES, ids=[f"{r[1]}: {r[3].strip()}" for r in PHRASES])
def test_a_condition_in_words(path, op, value, words):
    assert condition_words(Condition(path=path, op=op, value=value)) == words


def test_exists_without_a_value_means_given_and_the_older_spelling_reads_the_same():
    assert condition_words(Condition(path="args.reason", op="exists")) == "reason is given"
    assert condition_words(Condition(arg="values.x", op="eq", value=1)) == "values.x is 1"
    assert condition_words("args.reason") == "reason is given"
    assert condition_words("reason") == "reason is given"


def test_an_operator_without_words_is_still_said():
    unknown = SimpleNamespace(op="near", path="args.x", arg=None, value=[1, "a"])
    assert condition_words(unknown) == "x near [1, 'a']"
    assert subject_of(SimpleNamespace(path=None, arg=None)) == "?"


def test_default_deny_and_patterns_in_words():
    assert default_deny_reason("t") == (
        '\'t\' is not allowed by this policy (default: deny); to allow it, add "t" under "tools"'
    )
    assert pattern_words(r"^[A-Za-z]{2}$") == "must be a two-letter country code (e.g. be)"
    assert pattern_words("^x$") == "does not have the allowed form (^x$)"
