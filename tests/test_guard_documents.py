"""guard/documents.py: a policy's text into a plain document, strictly, in either spelling.

In process, on the module's own functions: every silence a lenient parser would keep (a key
written twice, a deep document, YAML aliases, YAML 1.1 booleans and dates) is a problem line
with its path; an Intercept document comes out in the JSON spelling's shape, with its notes.
"""

from __future__ import annotations

import pytest

from guard.documents import (
    MAX_DEPTH,
    DocumentProblems,
    from_intercept,
    looks_like_yaml,
    read_json,
    read_yaml,
    structural_problems,
)


def problems_of(reader, text: str) -> list[str]:
    with pytest.raises(DocumentProblems) as refused:
        reader(text)
    assert str(refused.value) == "; ".join(refused.value.problems)
    return refused.value.problems


def test_keys_written_twice_are_named_with_their_path_each_once():
    assert problems_of(read_json, '{"a": {"b": 1, "b": 2}, "c": [{"d": 1, "d": 1}], "a": 1}') == [
        "a: key written more than once",  # the first "a", with its own duplicate, is gone: not reported
        "c[0].d: key written more than once",
    ]
    assert problems_of(read_json, '{"x": {"b": 1, "b": 2, "b": 3}, "c": [{"d": 1, "d": 1}]}') == [
        "c[0].d: key written more than once",
        "x.b: key written more than once",
    ]
    assert problems_of(read_yaml, "a: 1\nb: 2\na: 3\n") == ["(yaml): line 3: key 'a' written twice"]


def test_depth_is_counted_from_one_and_refused_past_the_limit():
    assert structural_problems(eval("[" * MAX_DEPTH + "]" * MAX_DEPTH)) == []
    assert structural_problems(eval("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))) == [
        "[0]" * MAX_DEPTH + f": nested more than {MAX_DEPTH} levels deep"
    ]
    assert structural_problems({"a": {"b": 1}}) == []


def test_json_and_yaml_syntax_errors_say_where():
    assert problems_of(read_json, '{"a": 1,}') == [
        "(json): line 1 column 9: Expecting property name enclosed in double quotes"
    ]
    assert problems_of(read_yaml, "a: [1,\n") == [
        "(yaml): line 2 column 1: expected the node content, but found '<stream end>'"
    ]
    assert problems_of(read_yaml, "{1: a}\n") == ["(yaml): line 1 column 2: key 1 must be a string"]
    assert problems_of(read_yaml, "a: &x 1\nb: *x\n") == [
        "(yaml): line 2 column 4: anchors and aliases (*name) are not supported in a policy"
    ]


def test_yaml_is_read_as_yaml_1_2():
    assert read_yaml("a: yes\nb: on\nc: true\nd: False\ne: 2026-01-01\n") == {
        "a": "yes", "b": "on", "c": True, "d": False, "e": "2026-01-01"}  # fmt: skip


INTERCEPT = [
    ("default implied, version as a number", {"version": 1, "tools": {"t": None}},
     {"version": "1", "default": "allow", "tools": {"t": {"rules": []}}},
     ["default: not given, so 'allow' (Intercept's default): tools not listed may be called"], []),
    ("default given, version true stays", {"version": True, "default": "deny"},
     {"version": True, "default": "deny"}, [], []),
    ("our additions are kept", {"version": "1", "default": "deny", "mode": "shadow", "list": "allowed"},
     {"version": "1", "default": "deny", "mode": "shadow", "list": "allowed"}, [], []),
    ("unknown keys", {"version": "1", "default": "deny", "limits": [], "tools": {"u": [1], "t": {"rules": None,
                                                                                             "action": "deny"}}},
     {"version": "1", "default": "deny", "tools": {"t": {"rules": []}}}, [],
     ["limits: unknown key", "tools.u: must be a mapping with 'rules'",
      "tools.t.action: unknown key (an Intercept tool entry has only 'rules')"]),
    ("tools: null", {"version": "1", "default": "deny", "tools": None}, {"version": "1", "default": "deny"}, [], []),
    ("tools not a mapping is left to the model", {"version": "1", "default": "deny", "tools": [1]},
     {"version": "1", "default": "deny", "tools": [1]}, [], []),
    ("not a mapping", [1], {}, [], ["(document): must be a mapping with version and tools"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "document", "out", "notes", "problems"), INTERCEPT, ids=[r[0] for r in INTERCEPT])
def test_an_intercept_document_in_the_json_shape(case, document, out, notes, problems):
    assert from_intercept(document)[:3] == (out, notes, problems)  # [3]: what was implied (test_reload.py)


def test_the_spelling_by_suffix():
    assert looks_like_yaml("p.yaml") and looks_like_yaml("P.YML") and not looks_like_yaml("p.json")
    assert not looks_like_yaml("yaml")


def test_a_document_too_deep_for_the_parser_is_one_problem():
    deep = "[" * 100_000 + "]" * 100_000
    assert problems_of(read_json, deep) == [f"(document): nested more than {MAX_DEPTH} levels deep"]
    assert problems_of(read_yaml, deep) == [f"(document): nested more than {MAX_DEPTH} levels deep"]
    assert problems_of(read_yaml, "[" * 70 + "]" * 70) == [
        "[0]" * MAX_DEPTH + f": nested more than {MAX_DEPTH} levels deep"
    ]
