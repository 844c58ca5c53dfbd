"""guard/policy.py's model as its readers use it: limits and windows, what a policy lists, hides
and counts, how a text or a file is read, and the lines of a refusal.

In process; rows found by `make mutants`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guard.policy import (
    Condition,
    Limit,
    PolicyError,
    RateLimitBlock,
    json_path,
    load_policy,
    parse_text,
    require_parts,
    split_path,
    state_scope,
)


def test_a_limit_window_in_seconds_and_in_words():
    assert [Limit(counter="c", window=w, max=1).seconds for w in ("second", "minute", "hour", "day", 90)] == [
        1, 60, 3600, 86400, 90]  # fmt: skip
    assert Limit(counter="c", window="hour", max=1).window_label == "hour"
    assert Limit(counter="c", window=90, max=1).window_label == "90 s"
    assert Limit(counter="c", window=90, max=1).scope == "global"


def test_a_rate_limit_block_is_a_session_counter_of_the_tool():
    assert RateLimitBlock(max=3, window="hour").as_limit("t") == Limit.model_construct(
        counter="rate_limit.t", window="hour", max=3, scope="session"
    )
    assert RateLimitBlock(max=3, window=60).as_limit("*").counter == "rate_limit._global"
    assert state_scope("*") == "_global" and state_scope("t") == "t"


def loaded(**document):
    return parse_text(json.dumps({"version": "1", "default": "deny", **document}))


def test_what_a_policy_lists_hides_and_counts():
    shared = {"counter": "s", "window": "minute", "max": 5}
    policy = loaded(
        hide=["h"],
        all_tools={"limits": [{"counter": "a", "window": "day", "max": 9}]},
        tools={
            "t": {"limits": [shared], "rate_limit": {"max": 2, "window": 60}},
            "u": {"limits": [shared]},
            "*": {"limits": [{"counter": "w", "window": "hour", "max": 7}]},
        },
    )
    assert policy.hides("h") and not policy.hides("t")
    assert policy.listed("t") and not policy.listed("*") and not policy.listed("h")
    assert policy.tool_names() == ["t", "u", "h"]
    assert [limit.counter for limit in policy.limits_for("t")] == ["a", "s", "rate_limit.t", "w"]
    assert [limit.counter for limit in policy.limits_for("v")] == ["a", "w"]
    assert [limit.counter for limit in policy.limits_for("*")] == ["a", "w"]
    assert list(policy.counters()) == ["a", "s", "rate_limit.t", "w"]
    assert [limit.max for limit in policy.counters().values()] == [9, 5, 2, 7]
    assert loaded(hide=["*"]).hides("anything")


def test_the_message_of_a_tool_entry():
    policy = loaded(tools={"a": {"on_deny": "x"}, "b": {"reason": "y"}, "c": {}})
    assert [policy.tools[n].message for n in "abc"] == ["x", "y", None]


def test_modes_and_notes():
    assert loaded(mode="shadow").shadow and not loaded().shadow
    yaml = parse_text('version: "1"\ntools: {}\n')
    assert yaml.default == "allow" and yaml.notes  # the implied default is said
    assert loaded().notes == []


def test_paths_and_require_strings():
    assert split_path("args.values.password") == ("args", ("values", "password"))
    assert split_path("state.t.c") == ("state", ("t", "c"))
    assert require_parts("args.values.x") == ("values", "x") and require_parts("reason") == ("reason",)
    condition = Condition(arg="values.password", op="exists")
    assert (condition.source, condition.parts) == ("args", ("values", "password"))
    assert Condition(path="state._global.n", op="lt", value=3).source == "state"
    assert Condition(path="args.a", op="matches", value="a+").pattern.fullmatch("aa")


def test_json_path_of_an_error_location():
    assert json_path(("tools", "t", "limits", 0, "max")) == "tools.t.limits[0].max"
    assert json_path((0, "a")) == "[0].a"
    assert json_path(("w", "named-window"), skip=frozenset({"named-window"})) == "w"
    assert json_path(()) == "(document)" and json_path((), whole="(arguments)") == "(arguments)"


def test_two_problems_at_one_path_are_one_line():
    with pytest.raises(PolicyError) as refused:
        loaded(tools={"t": {"limits": [{"counter": "c", "window": 0, "max": 1}]}})
    assert len(refused.value.problems) == 1 and refused.value.problems[0].startswith("tools.t.limits[0].window: ")


def test_the_spelling_is_guessed_from_the_text():
    assert parse_text('  {"version": "1", "default": "allow"}').default == "allow"
    assert parse_text("version: '1'\n").default == "allow"
    with pytest.raises(PolicyError) as refused:
        parse_text("{not json", "p.json")
    assert refused.value.source == "p.json"
    with pytest.raises(PolicyError):
        parse_text("version: '1'\ndefault: deny\n", spelling="json")  # told JSON: read as JSON


def test_a_yaml_document_reports_reading_and_model_problems_together():
    with pytest.raises(PolicyError) as refused:
        parse_text('version: "1"\ntools:\n  t:\n    rules:\n      - name: r\n        rate_limit: 5/week\n', "p.yaml")
    assert refused.value.source == "p.yaml"
    assert refused.value.problems == [
        "tools.t.rules[0]: rate_limit must be N/minute, N/hour or N/day with N a positive integer, got '5/week'"
    ]


def test_load_policy_reads_a_file_by_its_suffix_or_says_why_not(tmp_path: Path):
    (tmp_path / "p.json").write_text('{"version": "1", "default": "allow"}')
    (tmp_path / "p.yml").write_text("version: '1'\ndefault: deny\n")
    assert load_policy(tmp_path / "p.json").default == "allow"
    assert load_policy(str(tmp_path / "p.yml")).default == "deny"
    assert load_policy('{"version": "1", "default": "deny"}').default == "deny"
    assert load_policy("version: '1'\ndefault: deny\n").default == "deny"
    with pytest.raises(PolicyError) as refused:
        load_policy(tmp_path / "missing.json")
    assert (refused.value.source, refused.value.problems) == (str(tmp_path / "missing.json"), ["(file): not found"])
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe")
    with pytest.raises(PolicyError) as refused:
        load_policy(tmp_path / "bad.json")
    assert refused.value.problems[0].startswith("(file): cannot be read: ")
    with pytest.raises(PolicyError) as refused:
        load_policy(tmp_path)
    assert refused.value.problems == ["(file): cannot be read: Is a directory"]


def test_a_bad_pattern_is_one_problem_line_and_nothing_on_stderr(capfd):
    """RE2 logs a bad pattern to stderr by default; the policy's refusal says it once, in its own words."""
    with pytest.raises(PolicyError) as refused:
        loaded(tools={"t": {"require": [{"path": "args.a", "op": "regex", "value": "(a"}]}})
    assert refused.value.problems == ["tools.t.require[0]: bad regular expression '(a': missing ): (a"]
    assert capfd.readouterr().err == ""


def test_a_wildcard_rate_limit_block_counts_every_call_of_the_session():
    policy = loaded(tools={"t": {}, "*": {"rate_limit": {"max": 4, "window": "minute"}}})
    assert [(limit.counter, limit.scope, limit.max) for limit in policy.limits_for("t")] == [
        ("rate_limit._global", "session", 4)
    ]


def test_problems_at_one_path_are_joined_and_a_refusal_lists_every_line():
    from guard.policy import _describe

    errors = [
        {"loc": ("tools", "t", "max"), "msg": "too big", "type": "less_than_equal"},
        {"loc": ("tools", "t", "max"), "msg": "Value error, not a number", "type": "value_error"},
        {"loc": ("tools", "t", "max"), "msg": "too big", "type": "less_than_equal"},
        {"loc": ("tools", "t", "x"), "msg": "Extra inputs are not permitted", "type": "extra_forbidden"},
        {"loc": ("default",), "msg": "Field required", "type": "missing"},
    ]
    assert _describe(errors) == [
        "tools.t.max: too big / not a number",
        "tools.t.x: unknown key",
        "default: required key is missing",
    ]
    with pytest.raises(PolicyError) as refused:
        loaded(tools={"t": {"limits": [{"counter": "c", "window": 0, "max": 1}]}, "u": {"bogus": 1}})
    assert len(refused.value.problems) == 2
    assert str(refused.value) == "invalid policy <policy>:\n  - " + "\n  - ".join(refused.value.problems)


def test_a_policy_file_is_named_in_its_refusal(tmp_path: Path):
    for name, text in (("p.json", '{"version": "1"}'), ("p.yaml", "version: '2'\n")):
        (tmp_path / name).write_text(text)
        with pytest.raises(PolicyError) as refused:
            load_policy(tmp_path / name)
        assert refused.value.source == str(tmp_path / name)
    with pytest.raises(PolicyError) as refused:
        load_policy(tmp_path)
    assert refused.value.source == str(tmp_path)
    assert load_policy('   {"version": "1", "default": "deny"}').default == "deny"  # text, even indented
