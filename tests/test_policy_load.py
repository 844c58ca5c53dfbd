"""Loading a policy in either spelling: what loads unchanged, and every broken key with its path.

In process and table-driven; tests/test_startup_fail_closed.py proves once, through a real
process, that `serve` refuses to start on such a policy.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

import guard
from guard.decisions import decide, plan_for
from guard.policy import PolicyError, parse_policy, parse_text

LIMIT = {"counter": "c", "window": "minute", "max": 5, "scope": "grant"}


def doc(**changes):
    base = {"version": "1", "default": "deny", "tools": {"ee_link": {"limits": [dict(LIMIT)]}}}
    base.update(changes)
    return base


def with_limit(**changes):
    return doc(tools={"ee_link": {"limits": [{**LIMIT, **changes}]}})


def with_rule(**rule):
    return doc(tools={"ee_link": rule})


def cond(**fields):
    return with_rule(require=[fields])


JSON_INVALID = [
    ("missing version", {"default": "deny"}, "version: required key is missing"),
    ("version 2", doc(version="2"), "version: Input should be '1'"),
    ("version as number", doc(version=1), "version: Input should be '1'"),
    ("missing default", {"version": "1"}, "default: required key is missing"),
    ("default maybe", doc(default="maybe"), "default: Input should be 'allow' or 'deny'"),
    ("unknown top-level key", doc(tool={}), "tool: unknown key"),
    ("tools is a list", doc(tools=[]), "tools: must be an object mapping tool names to rules"),
    ("hide is a string", doc(hide="odoo_unlink"), "hide: Input should be a valid list"),
    ("hide entry empty", doc(hide=[""]), "hide[0]: String should match pattern"),
    ("hide entry twice", doc(hide=["odoo_unlink", "odoo_unlink"]), "hide[1]: duplicate entry 'odoo_unlink'"),
    ("tool name with a space", doc(tools={"ee link": {}}), "tools.ee link.[key]: String should match pattern"),
    ("unknown rule key", with_rule(allow=True), "tools.ee_link.allow: unknown key"),
    ("unknown action", with_rule(action="ask"), "tools.ee_link.action: Input should be 'allow', 'deny' or"),
    ("reason not a string", with_rule(reason=5), "tools.ee_link.reason: Input should be a valid string"),
    ("on_deny not a string", with_rule(on_deny=["x"]), "tools.ee_link.on_deny: Input should be a valid string"),
    ("on_deny and reason", with_rule(on_deny="a", reason="b"), "tools.ee_link: give on_deny or its alias reason"),
    ("window unknown", with_limit(window="fortnight"), "tools.ee_link.limits[0].window: Input should be 'second'"),
    ("window zero", with_limit(window=0), "tools.ee_link.limits[0].window: Input should be greater than or equal to 1"),
    ("window true", with_limit(window=True), "tools.ee_link.limits[0].window: Input should be a valid integer"),
    ("max as string", with_limit(max="10"), "tools.ee_link.limits[0].max: Input should be a valid integer"),
    ("max zero", with_limit(max=0), "tools.ee_link.limits[0].max: Input should be greater than or equal to 1"),
    ("scope unknown", with_limit(scope="user"), "tools.ee_link.limits[0].scope: Input should be 'grant', 'session'"),
    (
        "counter missing",
        doc(tools={"ee_link": {"limits": [{"window": "minute", "max": 1}]}}),
        "tools.ee_link.limits[0].counter: required key is missing",
    ),
    ("counter with spaces", with_limit(counter="my counter"), "tools.ee_link.limits[0].counter: String should match"),
    ("limit extra key", with_limit(burst=3), "tools.ee_link.limits[0].burst: unknown key"),
    ("rate_limit max zero", with_rule(rate_limit={"max": 0, "window": 60}), "tools.ee_link.rate_limit.max: Input"),
    ("rate_limit window", with_rule(rate_limit={"max": 1, "window": "week"}), "tools.ee_link.rate_limit.window:"),
    ("rate_limit as text", with_rule(rate_limit="10/minute"), "tools.ee_link.rate_limit: Input should be"),
    ("rate_limit extra", with_rule(rate_limit={"max": 1, "window": 60, "per": "agent"}), "rate_limit.per: unknown"),
    ("unknown op", cond(arg="modules", op="like", value="x"), "tools.ee_link.require[0].op: Input should be 'eq'"),
    ("bad regex", cond(path="args.branch", op="regex", value="(["), "tools.ee_link.require[0]: bad regular expression"),
    ("lookahead regex", cond(path="args.b", op="matches", value="(?=x)"), "require[0]: bad regular expression"),
    ("regex not a string", cond(path="args.b", op="regex", value=5), "op 'regex' needs a regular expression string"),
    ("in without list", cond(arg="branch", op="in", value="19.0"), "tools.ee_link.require[0]: op 'in' needs a list"),
    ("not_in without list", cond(path="args.b", op="not_in", value=1), "op 'not_in' needs a list of values"),
    ("lt with a list", cond(path="args.n", op="lt", value=[1]), "op 'lt' needs a numeric value"),
    ("gte with a bool", cond(path="args.n", op="gte", value=True), "op 'gte' needs a numeric value"),
    ("exists with a string", cond(path="args.n", op="exists", value="yes"), "op 'exists' takes true or false"),
    ("eq without value", cond(path="args.n", op="eq"), "op 'eq' needs a value"),
    ("neq without value", cond(path="args.n", op="neq"), "op 'neq' needs a value"),
    ("contains without value", cond(path="args.n", op="contains"), "op 'contains' needs a value"),
    ("len op with negative", cond(arg="modules", op="len_gt", value=-1), "op 'len_gt' needs a non-negative integer"),
    ("condition without path", cond(op="exists"), "tools.ee_link.require[0]: give the value's 'path'"),
    ("path and arg", cond(path="args.a", arg="a", op="exists"), "give the value's 'path'"),
    ("path without args.", cond(path="values.a", op="exists"), "path must be args.<name>[.<key>…] or state."),
    ("state path too short", cond(path="state.c", op="lte", value=1), "require[0]: path must be args.<name>"),
    ("state nobody counts", cond(path="state.ee_link.c", op="lte", value=1), "require[0].path: state.ee_link.c is not"),
    ("condition extra key", cond(path="args.a", op="exists", note="x"), "tools.ee_link.require[0].note: unknown key"),
    ("empty require string", with_rule(require=[""]), "tools.ee_link.require[0]: String should have at least 1"),
    ("all_tools unknown key", doc(all_tools={"limit": []}), "all_tools.limit: unknown key"),
    (
        "shared counter defined twice",
        doc(tools={"ee_link": {"limits": [LIMIT]}, "ee_unlink": {"limits": [{**LIMIT, "max": 6}]}}),
        "tools.ee_unlink.limits[0].max: counter 'c' is defined with max 5 at tools.ee_link.limits[0]",
    ),
    ("document is a list", [], "(document): must be a JSON object"),
]


@pytest.mark.parametrize(("mistake", "document", "message"), JSON_INVALID, ids=[c[0] for c in JSON_INVALID])
def test_broken_json_policy_names_the_path(mistake, document, message):
    with pytest.raises(PolicyError) as caught:
        parse_text(json.dumps(document), "p.json", spelling="json")
    assert message in str(caught.value)


def test_the_cases_are_distinct():
    assert len({mistake for mistake, _, _ in JSON_INVALID}) == len(JSON_INVALID)
    assert len({message for _, _, message in JSON_INVALID}) >= len(JSON_INVALID) - 1  # version 2 / version 1


RULE = "version: '1'\ntools:\n  create_issue:\n    rules:\n"

YAML_INVALID = [
    ("version 2", "version: '2'\ntools: {}\n", "version: Input should be '1'"),
    ("default maybe", "version: '1'\ndefault: maybe\n", "default: Input should be 'allow' or 'deny'"),
    ("unknown top-level key", "version: '1'\nrule: []\n", "rule: unknown key"),
    ("JSON-only key at the top", "version: '1'\nall_tools: {}\n", "all_tools: unknown key"),
    ("tool key besides rules", "version: '1'\ntools:\n  a:\n    action: deny\n", "tools.a.action: unknown key"),
    ("tool is a list", "version: '1'\ntools:\n  a: [1]\n", "tools.a: must be a mapping with 'rules'"),
    ("rules not a list", RULE.removesuffix("\n") + " 5\n", "tools.create_issue.rules: Input should be a valid list"),
    ("rule without name", RULE + "      - action: deny\n", "tools.create_issue.rules[0].name: required key"),
    ("unknown action", RULE + "      - {name: a, action: allow}\n", "rules[0].action: Input should be 'evaluate'"),
    ("deny with conditions", RULE + "      - {name: a, action: deny, conditions: [{path: args.a, op: exists, "
     "value: true}]}\n", "tools.create_issue.rules[0]: deny rules must not have conditions"),
    ("evaluate without conditions", RULE + "      - {name: a}\n", "rules[0]: evaluate rules must have at least one"),
    ("unknown rule key", RULE + "      - {name: a, action: deny, when: x}\n", "rules[0].when: unknown key"),
    ("path not args/state", RULE + "      - {name: a, conditions: [{path: amount, op: gt, value: 1}]}\n",
     "rules[0].conditions[0]: path must be args."),
    ("unknown operator", RULE + "      - {name: a, conditions: [{path: args.a, op: like, value: 1}]}\n",
     "rules[0].conditions[0].op: Input should be"),
    ("invalid regex", RULE + "      - {name: a, conditions: [{path: args.a, op: regex, value: '(a'}]}\n",
     "rules[0].conditions[0]: bad regular expression '(a'"),
    ("rate_limit week", RULE + "      - {name: a, rate_limit: 5/week}\n", "rules[0]: rate_limit must be N/minute"),
    ("rate_limit zero", RULE + "      - {name: a, rate_limit: 0/hour}\n", "rules[0]: rate_limit must be N/minute"),
    ("rate_limit with deny", RULE + "      - {name: a, rate_limit: 5/hour, action: deny}\n",
     "rules[0]: rate_limit cannot be used with action 'deny'"),
    ("rate_limit with conditions", RULE + "      - {name: a, rate_limit: 5/hour, conditions: [{path: args.a, "
     "op: exists, value: true}]}\n", "rules[0]: rate_limit cannot be combined with conditions or state"),
    ("two rate_limits, same window", RULE + "      - {name: a, rate_limit: 5/hour}\n      - {name: b, rate_limit: "
     "9/hour}\n", "tools.create_issue.rules[1]: duplicate state counter '_rate_hour' (also used by rules[0])"),
    ("state window week", RULE + "      - {name: a, conditions: [{path: state.create_issue.c, op: lte, value: 1}], "
     "state: {counter: c, window: week}}\n", "rules[0].state.window: Input should be 'minute', 'hour' or 'day'"),
    ("state without counter", RULE + "      - {name: a, conditions: [{path: args.a, op: exists, value: true}], "
     "state: {window: day}}\n", "rules[0].state.counter: required key is missing"),
    ("increment_from not args", RULE + "      - {name: a, conditions: [{path: state.create_issue.c, op: lte, "
     "value: 1}], state: {counter: c, window: day, increment_from: amount}}\n", "state.increment_from: String should"),
    ("increment and increment_from", RULE + "      - {name: a, conditions: [{path: state.create_issue.c, op: lte, "
     "value: 1}], state: {counter: c, window: day, increment: 2, increment_from: args.n}}\n",
     "rules[0].state: give increment or increment_from, not both"),
    ("state path without block", RULE + "      - {name: a, conditions: [{path: state.create_issue.n, op: lte, "
     "value: 1}]}\n", "rules[0].conditions[0].path: state.create_issue.n is not counted by any rule"),
    ("_global without a * block", RULE + "      - {name: a, conditions: [{path: state._global.n, op: lte, "
     "value: 1}]}\n", "state._global.n is not counted by any rule"),
    ("hide entry twice", "version: '1'\nhide: [a, a]\n", "hide[1]: duplicate entry 'a'"),
    ("key written twice", "version: '1'\ndefault: deny\ndefault: allow\n", "(yaml): line 3: key 'default' written"),
    ("anchors", "version: '1'\ntools:\n  a: &r {rules: []}\n  b: *r\n", "anchors and aliases (*name) are not"),
    ("not yaml", "version: '1'\ntools: [1,\n", "(yaml): line 3 column 1"),
    ("a list", "- 1\n", "(document): must be a mapping with version and tools"),
    ("a date is not a string", "version: '1'\ndescription: 2026-01-01\n", "(document)"),
]  # fmt: skip


INTERCEPT_REFUSES = [
    # what Intercept's validator (internal/config/validate.go, config.go) refuses at load, with its reason
    ("lt with a string", "{path: args.n, op: lt, value: '10'}", "op 'lt' needs a numeric value in an Intercept rule"),
    ("lte with a date", "{path: args.d, op: lte, value: '2026-01-01'}", "op 'lte' needs a numeric value"),
    ("gt with true", "{path: args.n, op: gt, value: true}", "op 'gt' needs a numeric value"),
    ("gte with no value", "{path: args.n, op: gte}", "op 'gte' needs a numeric value"),
    ("exists without value", "{path: args.n, op: exists}", "op 'exists' takes true or false"),
    ("exists with a string", "{path: args.n, op: exists, value: 'yes'}", "op 'exists' takes true or false"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "condition", "message"), INTERCEPT_REFUSES, ids=[c[0] for c in INTERCEPT_REFUSES])
def test_intercept_rules_refuse_at_load_what_intercept_refuses(case, condition, message):
    text = RULE + f"      - name: a\n        conditions: [{condition}]\n"
    with pytest.raises(PolicyError) as caught:
        parse_text(text, "p.yaml", spelling="yaml")
    [problem] = caught.value.problems
    assert problem.startswith("tools.create_issue.rules[0]") and message in problem, problem
    rules_in_json = {"version": "1", "default": "deny", "tools": {"t": {"rules": [
        {"name": "a", "conditions": [yaml.safe_load(condition)]}]}}}  # fmt: skip
    with pytest.raises(PolicyError, match=re.escape(message)):  # the same rules in the JSON spelling
        parse_text(json.dumps(rules_in_json))


def test_the_json_spellings_own_conditions_keep_their_extensions():
    """`require`/`deny_if` (JSON) may compare strings (ISO dates) and say `exists` alone: our extensions."""
    policy = parse_text(json.dumps({"version": "1", "default": "deny", "tools": {"t": {
        "require": [{"path": "args.day", "op": "lte", "value": "2026-12-31"}],
        "deny_if": [{"path": "args.secret", "op": "exists"}]}}}))  # fmt: skip
    assert decide(policy, "t", {"day": "2026-01-01"}).allowed
    assert not decide(policy, "t", {"day": "2027-01-01"}).allowed
    assert not decide(policy, "t", {"day": "2026-01-01", "secret": "x"}).allowed


@pytest.mark.parametrize(
    ("rate_limit", "loads"),
    [("5/hour", True), ("+5/hour", True), ("05/minute", True), (" 5/hour", False), ("5/hour ", False),
     ("5 /hour", False), ("5/ hour", False), ("\uff15/hour", False), ("5.0/hour", False), ("-5/hour", False),
     ("0/day", False), ("9223372036854775808/day", False), ("5/Hour", False), ("5", False)],
)  # fmt: skip
def test_rate_limit_is_read_exactly_as_intercept_reads_it(rate_limit, loads):
    text = RULE + f"      - name: a\n        rate_limit: {json.dumps(rate_limit)}\n"
    if loads:
        [counter] = plan_for(parse_text(text, spelling="yaml"), "create_issue").counters
        assert counter.cap == 5
    else:
        with pytest.raises(PolicyError, match="rate_limit must be N/minute"):
            parse_text(text, spelling="yaml")


def test_a_counter_name_is_any_text_as_in_intercept():
    text = (
        RULE + "      - name: daily spend\n        conditions: [{path: 'state.create_issue.daily spend', op: lt, "
        "value: 3}]\n        state: {counter: daily spend, window: day, increment: 0}\n"
        "      - name: dotted\n        conditions: [{path: state.create_issue.a.b, op: lte, value: 1}]\n"
        "        state: {counter: a.b, window: hour}\n"
        "      - name: spaced argument\n        conditions: [{path: 'args.first name', op: eq, value: Ada}]\n"
    )
    policy = parse_text(text, spelling="yaml")
    plan = plan_for(policy, "create_issue")
    assert [(c.path, c.cap, c.increment) for c in plan.counters] == [
        ("state.create_issue.daily spend", 2, 1), ("state.create_issue.a.b", 1, 1),
    ]  # fmt: skip  (increment 0 is Intercept's "not given": 1)
    assert decide(policy, "create_issue", {"first name": "Ada"}).allowed
    assert not decide(policy, "create_issue", {"first name": "Bob"}).allowed
    with pytest.raises(PolicyError, match="is not counted by any rule"):  # the name must still match its block
        parse_text(text.replace("state.create_issue.daily spend", "state.create_issue.daily_spend"), spelling="yaml")
    with pytest.raises(PolicyError, match="increment"):  # a negative increment would give quota back
        parse_text(text.replace("increment: 0", "increment: -1"), spelling="yaml")


@pytest.mark.parametrize(("mistake", "text", "message"), YAML_INVALID, ids=[c[0] for c in YAML_INVALID])
def test_broken_intercept_policy_names_the_path(mistake, text, message):
    if mistake == "a date is not a string":
        # YAML 1.2 (Intercept's yaml.v3) has no implicit dates: a bare date stays a string, so it loads
        assert parse_text(text, spelling="yaml").description == "2026-01-01"
        return
    with pytest.raises(PolicyError) as caught:
        parse_text(text, "p.yaml", spelling="yaml")
    assert message in str(caught.value), str(caught.value)


def test_every_problem_is_listed_at_once():
    with pytest.raises(PolicyError) as caught:
        parse_text(json.dumps({"version": "2", "default": "maybe", "tools": {"x": {"limits": [{"counter": "c"}]}}}))
    assert len(caught.value.problems) == 4
    assert "invalid policy <policy>:" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"version": "1", "default": "deny", "default": "allow"}', "default: key written more than once"),
        ('{"version": "1", "default": "allow", "tools": {"a": {}, "a": {"action": "deny"}}}', "tools.a: key written"),
        ('{"version": "1", "default": "deny",}', "(json): line 1 column"),
        ("[" * 100_000 + "]" * 100_000, "(document): nested more than 64 levels deep"),
        ('{"a": ' * 70 + "1" + "}" * 70, "nested more than 64 levels deep"),
        ("version: '1'\n" + "x:\n" + "".join("  " * i + " - \n" for i in range(1, 3000)), "nested more than"),
    ],
    ids=["duplicate default", "duplicate tool", "trailing comma", "deep JSON array", "deep JSON object", "deep YAML"],
)
def test_documents_a_lenient_parser_would_misread_are_refused(text, message):
    with pytest.raises(PolicyError) as caught:
        parse_text(text)
    assert message in str(caught.value)


def test_yaml_1_1_booleans_stay_strings_as_in_intercept():
    policy = parse_text(
        "version: '1'\ntools:\n  t:\n    rules:\n      - name: no\n        conditions:\n"
        "          - {path: args.answer, op: eq, value: yes}\n"
    )
    [check] = plan_for(policy, "t").checks
    assert check.conditions[0].value == "yes"
    assert check.message == 'Denied by rule "no"'


def test_intercept_defaults_and_version_as_number():
    policy = parse_text("version: 1\ntools:\n  read_file:\n    rules: []\n  other:\n")
    assert policy.default == "allow"
    assert policy.notes == ["default: not given, so 'allow' (Intercept's default): tools not listed may be called"]
    assert set(policy.tools) == {"read_file", "other"}
    assert parse_text('{"version": "1", "default": "deny"}').notes == []


def test_rate_limit_shorthand_expands_as_intercept_does():
    policy = parse_text(
        "version: '1'\ntools:\n  create_issue:\n    rules:\n      - name: hourly\n        rate_limit: 5/hour\n"
        "  '*':\n    rules:\n      - name: global\n        rate_limit: 60/minute\n        on_deny: slow down\n"
    )
    plan = plan_for(policy, "create_issue")
    own, wildcard = plan.checks
    assert (own.conditions[0].label, own.conditions[0].op, own.conditions[0].value) == (
        "state.create_issue._rate_hour",
        "lte",
        5,
    )
    assert own.message == "Rate limit of 5 per hour reached. Try again later."
    assert wildcard.conditions[0].label == "state._global._rate_minute"
    assert wildcard.message == "slow down"
    assert [(c.path, c.window, c.cap, c.increment) for c in plan.counters] == [
        ("state.create_issue._rate_hour", "hour", 5, 1),
        ("state._global._rate_minute", "minute", 60, 1),
    ]


@pytest.mark.parametrize(
    ("op", "value", "cap"), [("lte", 10, 10), ("lt", 10, 9), ("gt", 10, None), ("lte", 2.5, 2)]
)
def test_a_counters_cap_comes_from_its_own_lt_or_lte_condition(op, value, cap):
    policy = parse_text(
        "version: '1'\ntools:\n  pay:\n    rules:\n      - name: budget\n        conditions:\n"
        f"          - {{path: state.pay.spent, op: {op}, value: {value}}}\n"
        "        state: {counter: spent, window: day, increment_from: args.amount}\n"
    )
    [counter] = plan_for(policy, "pay").counters
    assert (counter.cap, counter.increment_from, counter.window) == (cap, ("amount",), "day")


def test_hosted_json_forms_load():
    policy = parse_policy(
        {
            "version": "1",
            "default": "deny",
            "tools": {
                "ee_link": {
                    "on_deny": "links need a reason",
                    "require": ["args.reason", {"path": "args.values.password", "op": "exists", "value": False}],
                    "rate_limit": {"max": 10, "window": 60},
                },
                "*": {"deny_if": [{"path": "args.model", "op": "regex", "value": "^ir\\."}]},
            },
        }
    )
    limit = policy.limits_for("ee_link")[0]
    assert (limit.counter, limit.max, limit.seconds, limit.scope) == ("rate_limit.ee_link", 10, 60, "session")
    assert policy.tools["ee_link"].message == "links need a reason"
    assert not policy.listed("*")


def test_load_policy_takes_a_path_or_the_text_of_either_spelling(tmp_path: Path):
    yaml_text = "version: '1'\ndefault: deny\ntools:\n  a:\n    rules: []\n"
    (tmp_path / "p.yml").write_text(yaml_text)
    (tmp_path / "p.json").write_text('{"version": "1", "default": "deny", "tools": {"a": {}}}')
    for source in (tmp_path / "p.yml", str(tmp_path / "p.yml"), tmp_path / "p.json", yaml_text):
        assert set(guard.load_policy(source).tools) == {"a"}
    with pytest.raises(PolicyError, match=r"\(file\): not found"):
        guard.load_policy(tmp_path / "nowhere.yaml")
    (tmp_path / "bad.json").write_text("version: '1'\n")  # YAML in a .json file is not JSON
    with pytest.raises(PolicyError, match=r"\(json\): line 1"):
        guard.load_policy(tmp_path / "bad.json")


def test_public_api_is_exactly_what_it_says():
    assert set(guard.__all__) == {"Decision", "Policy", "PolicyError", "Verdict", "decide", "load_policy"}
    for name in guard.__all__:
        assert getattr(guard, name)


def test_our_top_level_additions_mean_the_same_in_both_spellings():
    yaml_text = "version: '1'\ndefault: deny\nsensitive:\n  allow_models: [ir.config_parameter]\n"
    json_text = json.dumps({"version": "1", "default": "deny", "sensitive": {"allow_models": ["ir.config_parameter"]}})
    from_yaml = parse_text(yaml_text, "p.yaml", spelling="yaml")
    from_json = parse_text(json_text, "p.json", spelling="json")
    assert from_yaml.sensitive == from_json.sensitive
    assert from_yaml.sensitive.allow_models == ["ir.config_parameter"]
