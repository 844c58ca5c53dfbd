"""One action, one rule for the tools that write a field through another door (translations, website snippets):
`odoo_write`'s rule decides them too (tools/odoo_kit/equivalents.py, guard/equivalence.py), in process."""

from __future__ import annotations

import pytest

from guard.decisions import Verdict, decide
from guard.equivalence import combine, equivalent_limits, once_per_tool
from guard.policy import parse_policy
from tools.odoo_kit.equivalents import field_write_equivalents
from tools.translations.tools import ContextAwareArgs, TranslateFieldArgs, TranslateHtmlArgs
from tools.website.tools import RemoveArgs, UpdateArgs

FIELD = {"model": "res.groups", "res_id": 7, "field_name": "name"}
PAGE = {"model": "ir.ui.view", "res_id": 3, "field_name": "arch_db"}

MAPPING = [
    # (args, [(ids, values or "unknown")])
    (TranslateFieldArgs(**FIELD, translations={"fr_FR": "Admins", "de_DE": None}),
     [([7], {"name": "Admins"}), ([7], {"name": False})]),
    (TranslateFieldArgs(**FIELD, translations={"fr_FR": "x"}, dry_run=True), []),
    (TranslateHtmlArgs(**{**FIELD, "field_name": "description"}, mode="replace", translations={"fr_FR": "<p>x</p>"}),
     [([7], {"description": "<p>x</p>"})]),
    (TranslateHtmlArgs(**FIELD, mode="terms", translations={"fr_FR": {"a": "b"}}), [([7], "unknown")]),
    (TranslateHtmlArgs(**FIELD, mode="extract"), []),
    (ContextAwareArgs(model="ir.ui.menu", ids=[4, 5], target_lang="fr_FR", dry_run=False, token="t",
                      translations={"4": {"name": "Ventes"}, "5": {"name": "x", "note": {"a": "b"}}}),
     [([4], {"name": "Ventes"}), ([5], "unknown")]),
    (ContextAwareArgs(model="ir.ui.menu", ids=[4], target_lang="fr_FR"), []),
    (UpdateArgs(**PAGE, snippet_xpath="/section", substitutions={"p": "x"}), [([3], "unknown")]),
    (RemoveArgs(**PAGE, snippet_xpath="/section", dry_run=True), []),
]


@pytest.mark.parametrize(("args", "expected"), MAPPING)
def test_the_field_writers_map_to_odoo_write(args, expected):
    found = field_write_equivalents(args)
    assert all(e.tool == "odoo_write" and e.arguments["model"] == args.model for e in found)
    assert [(e.arguments["ids"], "unknown" if e.unknown else e.arguments["values"]) for e in found] == expected


MODELS = parse_policy({"version": "1", "default": "allow", "tools": {"odoo_write": {"deny_if": [
    {"arg": "model", "op": "in", "value": ["res.groups", "ir.ui.menu", "ir.ui.view"]}]}}})
VALUES = parse_policy({"version": "1", "default": "allow", "tools": {"odoo_write": {"deny_if": [
    {"path": "args.values.name", "op": "contains", "value": "admin"}]}}})
DENIED = parse_policy({"version": "1", "default": "allow", "tools": {"odoo_write": {"action": "deny"}}})
UNLISTED = parse_policy({"version": "1", "default": "deny", "tools": {"odoo_translate_field": {},
                                                                       "odoo_website_update_snippet": {}}})

DECISIONS = [
    # (policy, tool, args, verdict, words in the reason)
    (MODELS, "odoo_translate_field", TranslateFieldArgs(**FIELD, translations={"fr_FR": "x"}), Verdict.DENY,
     "odoo_translate_field here does what odoo_write does"),
    (MODELS, "odoo_translate_field", TranslateFieldArgs(**{**FIELD, "model": "product.template"},
                                                        translations={"fr_FR": "x"}), Verdict.ALLOW, ""),
    (MODELS, "odoo_website_update_snippet", UpdateArgs(**PAGE, snippet_xpath="/s", substitutions={"p": "x"}),
     Verdict.DENY, "odoo_write"),
    (MODELS, "odoo_website_update_snippet", UpdateArgs(**{**PAGE, "model": "product.template"}, snippet_xpath="/s",
                                                       substitutions={"p": "x"}), Verdict.ALLOW, ""),
    (VALUES, "odoo_translate_field", TranslateFieldArgs(**FIELD, translations={"fr_FR": "ok", "de_DE": "admins"}),
     Verdict.DENY, "odoo_write"),  # checked on every language's value
    (VALUES, "odoo_translate_field", TranslateFieldArgs(**FIELD, translations={"fr_FR": "ok"}), Verdict.ALLOW, ""),
    (VALUES, "odoo_translate_html", TranslateHtmlArgs(**FIELD, mode="terms", translations={"fr_FR": {"a": "b"}}),
     Verdict.DENY, "only computes when it runs"),
    (VALUES, "odoo_website_update_snippet", UpdateArgs(**PAGE, snippet_xpath="/s", substitutions={"p": "x"}),
     Verdict.DENY, "only computes when it runs"),
    (VALUES, "odoo_website_update_snippet", UpdateArgs(**PAGE, snippet_xpath="/s", substitutions={"p": "x"},
                                                       dry_run=True), Verdict.ALLOW, ""),
    (DENIED, "odoo_translate_field", TranslateFieldArgs(**FIELD, translations={"fr_FR": "x"}), Verdict.DENY,
     "odoo_write"),
    (UNLISTED, "odoo_website_update_snippet", UpdateArgs(**PAGE, snippet_xpath="/s", substitutions={"p": "x"}),
     Verdict.DENY, "odoo_write"),
]


@pytest.mark.parametrize(("policy", "tool", "args", "verdict", "words"), DECISIONS)
def test_odoo_writes_rule_decides_the_field_writers(policy, tool, args, verdict, words):
    own = decide(policy, tool, args.model_dump(mode="json"))
    decision = combine(policy, tool, own, field_write_equivalents(args))
    assert decision.verdict is verdict, decision
    assert words in (decision.reason or "")


def test_a_translation_in_three_languages_counts_once_against_odoo_writes_limits():
    policy = parse_policy({"version": "1", "default": "allow", "tools": {"odoo_write": {
        "limits": [{"counter": "writes", "window": "minute", "max": 5}]}}})
    args = TranslateFieldArgs(**FIELD, translations={"fr_FR": "a", "de_DE": "b", "bg_BG": "c"})
    equivalents = field_write_equivalents(args)
    assert len(equivalents) == 3 and len(once_per_tool(equivalents)) == 1
    assert [limit.counter for limit in equivalent_limits(policy, equivalents)] == ["writes"]
