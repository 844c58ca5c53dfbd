"""Refusals in words: conditions, default deny, argument patterns (in process, table-driven)."""

from __future__ import annotations

import typing
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from guard.decisions import decide
from guard.guard import format_validation
from guard.policy import Condition, Op, parse_policy
from guard.wording import OPERATOR_PHRASES, PATTERN_WORDS, condition_words, default_deny_reason, pattern_words
from odoo_mcp.families import all_specs

WORDS = [
    ({"arg": "model", "op": "eq", "value": "res.users"}, "model is 'res.users'"),
    ({"arg": "state", "op": "ne", "value": "draft"}, "state is not 'draft'"),
    ({"arg": "model", "op": "in", "value": ["res.users", "ir.config_parameter"]},
     "model is one of 'res.users' or 'ir.config_parameter'"),
    ({"arg": "model", "op": "not_in", "value": ["a", "b", "c"]}, "model is none of 'a', 'b' or 'c'"),
    ({"arg": "amount", "op": "lt", "value": 10}, "amount is less than 10"),
    ({"arg": "amount", "op": "lte", "value": 10}, "amount is at most 10"),
    ({"arg": "amount", "op": "gt", "value": 10000}, "amount is more than 10000"),
    ({"arg": "amount", "op": "gte", "value": 1}, "amount is at least 1"),
    ({"arg": "method", "op": "matches", "value": "action_.*"}, "method as a whole matches the pattern 'action_.*'"),
    ({"arg": "values", "op": "contains", "value": "password"}, "values contains 'password'"),
    ({"arg": "reason", "op": "exists"}, "reason is given"),
    ({"arg": "reason", "op": "exists", "value": False}, "reason is not given"),
    ({"arg": "modules", "op": "len_gt", "value": 5}, "more than 5 modules are given"),
    ({"arg": "ids", "op": "len_lte", "value": 5}, "at most 5 ids are given"),
    ({"arg": "body", "op": "len_gt", "value": 500}, "body is longer than 500"),
    ({"arg": "values.state", "op": "eq", "value": "done"}, "values.state is 'done'"),
]  # fmt: skip


@pytest.mark.parametrize(("condition", "words"), WORDS, ids=[w for _, w in WORDS])
def test_conditions_read_as_words(condition, words):
    assert condition_words(Condition(**condition)) == words


def test_intercept_spellings_have_words_too():
    """neq and regex (Intercept's names) read like ne and a search."""

    class Spelled:
        def __init__(self, op, value):
            self.path, self.op, self.value = "args.model", op, value

    assert condition_words(Spelled("neq", "res.users")) == "model is not 'res.users'"
    assert condition_words(Spelled("regex", "^res\\.")) == "model contains a match for the pattern '^res\\.'"
    assert condition_words("args.reason") == "reason is given"


def test_every_operator_of_the_policy_model_has_words():
    listed = {"eq", "neq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "regex", "matches", "contains", "exists",
              "len_gt", "len_lte"}  # fmt: skip
    assert listed <= set(OPERATOR_PHRASES)
    assert set(typing.get_args(Op)) <= set(OPERATOR_PHRASES)


def test_a_refusal_uses_the_words_not_the_operator():
    policy = parse_policy(
        {"version": "1", "default": "deny", "tools": {
            "ee_link": {"deny_if": [{"arg": "modules", "op": "len_gt", "value": 5}]},
            "odoo_unlink": {"require": [{"arg": "ids", "op": "len_lte", "value": 5}]},
        }}
    )  # fmt: skip
    refused = decide(policy, "ee_link", {"modules": list("abcdef")})
    assert refused.reason == "'ee_link' is refused when more than 5 modules are given"
    required = decide(policy, "odoo_unlink", {"ids": list(range(6))})
    assert required.reason == "'odoo_unlink' is allowed only when at most 5 ids are given"
    default = decide(policy, "odoo_write", None)
    assert default.reason == default_deny_reason("odoo_write")
    assert 'add "odoo_write" under "tools"' in default.reason


def _patterns(schema, found):
    if isinstance(schema, dict):
        if isinstance(schema.get("pattern"), str):
            found.add(schema["pattern"])
        for value in schema.values():
            _patterns(value, found)
    elif isinstance(schema, list):
        for value in schema:
            _patterns(value, found)
    return found


def test_every_argument_pattern_of_the_catalogue_has_words():
    patterns = set()
    for spec in all_specs():
        _patterns(spec.args.model_json_schema(), patterns)
    assert patterns, "the catalogue has patterned arguments"
    assert patterns - set(PATTERN_WORDS) == set()


def _ee_link_error(arguments):
    spec = next(s for s in all_specs() if s.name == "ee_link")
    with pytest.raises(ValidationError) as caught:
        spec.args.model_validate(arguments)
    return format_validation(caught.value)


def test_argument_errors_are_words_with_the_allowed_form():
    text = _ee_link_error({"modules": ["../../../etc"]})
    assert text == (
        "modules[0]: must be a module's technical name: lowercase letters, digits and _ (e.g. account_reports)"
    )
    assert "^" not in text and "{0,99}" not in text


def test_argument_errors_never_name_internal_classes():
    text = _ee_link_error(["account_reports"])
    assert "Args" not in text
    assert text == "(arguments): must be an object of named arguments"


def test_an_unknown_pattern_is_still_named():
    assert pattern_words("^x+$") == "does not have the allowed form (^x+$)"


# Rows found by `make mutants`: a duck-typed condition (an Intercept `path`, our `arg`, or neither)
# and a single value where a list is usual must still read as a clause, never fail.
DUCK_TYPED = [
    (SimpleNamespace(arg="args.model", op="eq", value="res.users"), "model is 'res.users'"),
    (SimpleNamespace(op="eq", value=1), "? is 1"),
    (SimpleNamespace(path="args.state", op="in", value="draft"), "state is one of 'draft'"),
    (SimpleNamespace(path="args.state", op="not_in", value="abc"), "state is none of 'abc'"),
]


@pytest.mark.parametrize(("condition", "words"), DUCK_TYPED, ids=[w for _, w in DUCK_TYPED])
def test_any_condition_shape_reads_as_a_clause(condition, words):
    """(break: a missing `path` or `arg` attribute raises, or a single value is spelt letter by letter)."""
    assert condition_words(condition) == words
