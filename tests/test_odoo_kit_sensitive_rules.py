"""The sensitive-data rules alone (tools/odoo_kit/sensitive_rules.py), and the pure helpers of its sensitive.py:
which models and fields are sensitive, what a domain, an order or a group-by touches, what the
policy's opt-in lifts, how answers are masked and capped."""

from __future__ import annotations

import json
from typing import Any

import pytest

from guard.policy import PolicyError, parse_policy
from odoo_client.errors import WouldBlock
from odoo_mcp.cli import checked_loader
from tools.odoo_kit.sensitive import _domains, _spec_paths, cap_rows, execute_refusal, mask_deep, mask_rows
from tools.odoo_kit.sensitive_rules import (
    MASK,
    SENSITIVE_MODELS,
    FieldInfo,
    SensitiveRules,
    field_is_sensitive,
    field_of,
    opt_in_problems,
    order_fields,
    rules_for,
    split_field,
)
from tools.odoo_kit.sensitive_rules import summary as sensitive_summary

SCHEMA = {
    "res.partner": {"user_ids": FieldInfo("one2many", "res.users"), "parent_id": FieldInfo("many2one", "res.partner"),
                    "name": FieldInfo("char"), "mail_server_id": FieldInfo("many2one", "ir.mail_server"),
                    "user_login": FieldInfo("char", related="user_ids.login"),
                    "user_name": FieldInfo("char", related="user_ids.name"),
                    "loop": FieldInfo("char", related="loop")},
    "res.users": {"login": FieldInfo("char"), "partner_id": FieldInfo("many2one", "res.partner"),
                  "api_key_ids": FieldInfo("one2many", "res.users.apikeys"), "name": FieldInfo("char")},
}
DEFAULT = SensitiveRules()


def opted_in_rules():
    """The rules of a policy that opts in one model and one field; made when a test runs, not at import
    (mutmut imports the tests once: rules built then by the original code would hide the opt-in's mutants)."""
    return rules_for(parse_policy({"version": "1", "default": "deny", "sensitive": {
        "allow_models": ["ir.mail_server"], "allow_fields": ["res.users.login"]}}).sensitive)


@pytest.mark.parametrize(("model", "field", "sensitive"), [
    ("res.users", "login", True),
    ("res.users", "password", True),
    ("res.users", "new_password", True),
    ("res.users", "totp_secret", True),
    ("res.users", "api_key_ids", True),
    ("res.users", "name", False),
    ("res.partner", "login", False),  # a login is sensitive on res.users only
    ("res.partner", "signup_token", True),
    ("sale.order", "access_token", True),
    ("ir.mail_server", "smtp_pass", True),
    ("fetchmail.server", "password", True),
    ("res.company", "l10n_es_private_key", True),
    ("iap.account", "account_token", True),
    ("any.model", "client_secret", True),
    ("any.model", "apikey", True),
    ("any.model", "x_pwd", True),
    ("any.model", "hmac", True),
    ("any.model", "passport_number", False),  # "pass" only as a whole word
    ("any.model", "compass", False),
    ("hr.employee", "pin", True),
    ("hr.employee", "is_pinned", False),
    ("payment.token", "provider_ref", True),
    ("payment.token", "payment_details", False),
    ("any.model", "key", False),
    ("payment.provider", "stripe_secret_key", True),
    ("payment.provider", "authorize_login", True),
    ("payment.provider", "adyen_hmac_key", True),
    ("payment.provider", "razorpay_key_id", True),
    ("payment.provider", "code", False),
    ("payment.provider", "name", False),
    ("payment.acquirer", "paypal_seller_account", False),
    ("payment.acquirer", "ogone_userid", True),
])
def test_which_fields_are_sensitive(model, field, sensitive):
    assert field_is_sensitive(model, field) is sensitive


@pytest.mark.parametrize(("model", "refused"), [
    ("ir.config_parameter", True), ("res.users.apikeys", True), ("auth_totp.device", True),
    ("ir.mail_server", True), ("fetchmail.server", True), ("certificate.key", True), ("res.users", False),
    ("res.partner", False), ("payment.provider", False),
])
def test_which_models_are_refused_whole(model, refused):
    assert (DEFAULT.model_refusal(model) is not None) is refused


@pytest.mark.parametrize(("model", "domain", "refused_on"), [
    ("res.partner", [["name", "=", "x"]], None),
    ("res.partner", [["signup_token", "=", "x"]], "res.partner.signup_token"),
    ("res.users", ["|", ["name", "=", "x"], ["login", "=like", "a%"]], "res.users.login"),
    ("res.users", ["!", ["password", "!=", False]], "res.users.password"),
    ("res.partner", [["user_ids.login", "=", "admin"]], "res.users.login"),  # through a relation
    ("res.partner", [["parent_id.user_ids.login", "=", "a"]], "res.users.login"),  # two relations
    ("res.partner", [["user_ids.name", "=", "a"]], None),
    ("res.partner", [["user_ids", "any", [["login", "=", "a"]]]], "res.users.login"),  # sub-domain on the relation
    ("res.partner", [["user_ids", "not any", [["name", "=", "a"]]]], None),
    ("res.partner", [["user_ids", "any", [["api_key_ids.name", "=", "ci"]]]], "res.users.api_key_ids"),
    ("res.partner", [["mail_server_id.name", "=", "smtp"]], "ir.mail_server"),  # entering a refused model
    ("res.partner", [["mail_server_id", "=", 1]], None),  # naming the link is not entering it
    ("ir.config_parameter", [["key", "=", "database.secret"]], "ir.config_parameter"),
    ("res.partner", [["unknown_id.totp_secret", "=", "x"]], "totp_secret"),  # unknown relation: judged by name
    ("res.partner", [["unknown_id", "any", [["secret_code", "=", "x"]]]], "secret_code"),
    ("res.partner", [["unknown_id.login", "=", "x"]], None),  # by name alone, a login is not a secret
    ("res.partner", [["user_login", "=", "admin"]], "res.users.login"),  # a related field mirrors a secret
    ("res.partner", [["parent_id.user_login", "=", "admin"]], "res.users.login"),
    ("res.partner", [["user_name", "=", "Admin"]], None),
    ("res.partner", [["loop", "=", "x"]], "nested deeper"),  # a related cycle is refused, not followed forever
    ("res.users", [["display_name", "ilike", "adm"]], "also searches it in res.users.login"),
    ("res.partner", [["user_ids.display_name", "ilike", "adm"]], "res.users.login"),
    ("res.partner", [["display_name", "ilike", "adm"]], None),
])
def test_what_a_domain_touches(model, domain, refused_on):
    refusal = DEFAULT.domain_refusal(SCHEMA, model, domain)
    if refused_on is None:
        assert refusal is None
    else:
        assert refusal is not None and refused_on in refusal, refusal


@pytest.mark.parametrize(("model", "domain", "default", "opted_in"), [
    ("res.users", [["login", "=", "a"]], True, False),
    ("res.partner", [["user_ids.login", "=", "a"]], True, False),
    ("res.users", [["password", "=", "a"]], True, True),  # only the named field is opted in
    ("res.partner", [["mail_server_id.name", "=", "smtp"]], True, False),
    ("ir.mail_server", [["smtp_pass", "=", "x"]], True, True),  # the model opens, its password stays masked
])
def test_the_opt_in_lifts_only_what_it_names(model, domain, default, opted_in):
    assert (DEFAULT.domain_refusal(SCHEMA, model, domain) is not None) is default
    assert (opted_in_rules().domain_refusal(SCHEMA, model, domain) is not None) is opted_in


@pytest.mark.parametrize(("spec", "field"), [
    ("login", "login"), ("date:month", "date"), ("amount:sum", "amount"), ("total:max(amount)", "amount"),
    ("name desc", "name"), ("user_id/login", "user_id.login"), ("user_id/.id", "user_id"), (".id", "id"),
    ("partner_id/id", "partner_id"),  # an export path's external id: the field it belongs to
    ("login\tdesc", "login"), ("login\n desc", "login"),  # Odoo's order syntax takes any blank between
])
def test_field_of_a_spec(spec, field):
    assert field_of(spec) == field


def test_order_and_names():
    assert order_fields("name asc, login desc") == ["name", "login"]
    assert order_fields(None) == []
    refusal = DEFAULT.names_refusal(SCHEMA, "res.users", ["name", "login:count"], "group by")
    assert refusal is not None and "cannot group by res.users.login" in refusal and "allow_fields" in refusal
    assert DEFAULT.names_refusal(SCHEMA, "res.partner", ["user_ids.login"], "sort by") is not None


@pytest.mark.parametrize(("sensitive", "problem"), [
    ({"allow_fields": ["login"]}, "sensitive.allow_fields[0]: String should match pattern"),
    ({"allow_fields": "res.users.login"}, "sensitive.allow_fields: Input should be a valid list"),
    ({"allow": ["res.users.login"]}, "sensitive.allow: unknown key"),
    (["res.users.login"], "sensitive: Input should be a valid dictionary"),
])
def test_a_bad_opt_in_rejects_the_policy(sensitive, problem):
    with pytest.raises(PolicyError) as caught:
        parse_policy({"version": "1", "default": "deny", "sensitive": sensitive})
    assert any(line.startswith(problem) for line in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(("sensitive", "problem"), [
    ({"allow_models": ["res.partner"]}, "sensitive.allow_models: 'res.partner' is not a sensitive model"),
    ({"allow_fields": ["res.partner.name"]}, "sensitive.allow_fields: 'res.partner.name' is not a sensitive field"),
])
def test_an_opt_in_to_nothing_sensitive_rejects_the_policy_as_the_server_loads_it(tmp_path, sensitive, problem):
    """The policy language knows the key's shape; the server checks the names against Odoo's lists
    when it loads a policy (at start, on reload, `policy check`), as it checks tool names."""
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"version": "1", "default": "deny", "sensitive": sensitive}))
    with pytest.raises(PolicyError) as caught:
        checked_loader()(path)
    assert any(line.startswith(problem) for line in caught.value.problems), caught.value.problems
    assert opt_in_problems(parse_policy({"version": "1", "default": "deny", "sensitive": sensitive}).sensitive)


def test_no_opt_in_means_the_built_in_rules():
    policy = parse_policy({"version": "1", "default": "deny"})
    assert rules_for(policy.sensitive) == DEFAULT


def test_masking_keeps_the_key_and_says_which():
    rows = [{"id": 2, "name": "Admin", "login": "admin", "totp_secret": "X"}, {"id": 6, "name": "Demo", "login": "d"}]
    assert mask_rows(DEFAULT, "res.users", rows) == ["login", "totp_secret"]
    assert rows[0] == {"id": 2, "name": "Admin", "login": MASK, "totp_secret": MASK}
    rows = [{"id": 2, "login": "admin", "totp_secret": "X"}]
    assert mask_rows(opted_in_rules(), "res.users", rows) == ["totp_secret"] and rows[0]["login"] == "admin"


@pytest.mark.parametrize(("rows", "masked", "clear"), [
    # a sensitive key that only a later row carries (an answer mixing record shapes)
    ([{"id": 1, "name": "A"}, {"id": 2, "name": "B", "totp_secret": "X"}], ["totp_secret"], ["A", "B"]),
    # rows whose keys differ, then return to the first shape
    ([{"id": 1, "login": "a"}, {"id": 2, "name": "B"}, {"id": 3, "login": "c"}], ["login"], ["B"]),
    # a row that is not a record is left as it is
    ([{"id": 1, "name": "A"}, 7, {"id": 2, "login": "b", "name": "B"}], ["login"], ["A", "B"]),
])
def test_masking_judges_every_row_shape(rows, masked, clear):
    assert mask_rows(DEFAULT, "res.users", rows) == masked
    assert all(row[name] == MASK for row in rows if isinstance(row, dict) for name in masked if name in row)
    assert [row["name"] for row in rows if isinstance(row, dict) and "name" in row] == clear


def test_masking_follows_related_fields_and_attachment_owners():
    rows = [{"id": 1, "name": "A", "user_login": "admin", "user_name": "Admin"}]
    assert mask_rows(DEFAULT, "res.partner", rows, SCHEMA) == ["user_login"]
    assert rows[0]["user_login"] == MASK and rows[0]["user_name"] == "Admin"
    attachments = [
        {"id": 1, "datas": "aGk=", "res_model": "res.partner", "res_field": False},
        {"id": 2, "datas": "c2VjcmV0", "res_model": "ir.mail_server", "res_field": False},
        {"id": 3, "datas": "a2V5", "res_model": "res.company", "res_field": "l10n_private_key"},
        {"id": 4, "raw": "cmF3"},  # owner not read: fail closed
    ]
    assert mask_rows(DEFAULT, "ir.attachment", attachments) == ["datas", "raw"]
    assert [row.get("datas", row.get("raw")) for row in attachments] == ["aGk=", MASK, MASK, MASK]


class ColdSchema(dict):
    """A schema whose unknown models would need Odoo: on the event loop, `WouldBlock`."""

    def __missing__(self, model: str) -> Any:
        raise WouldBlock(model)

    def get(self, model: str, default: Any = None) -> Any:  # as LazySchema: every model goes through __missing__
        return self[model]


def test_masking_decides_everything_before_it_changes_a_row():
    """A schema look-up refused on the loop leaves the rows untouched, so the thread's rerun masks them once."""
    schema = ColdSchema({"res.users": {"partner_id": FieldInfo("many2one", "res.partner"),
                                       "mirror": FieldInfo("char", None, "partner_id.email")}})
    rows = [{"id": 1, "password": "p"}, {"id": 2, "password": "q", "mirror": "m"}]
    with pytest.raises(WouldBlock):
        mask_rows(SensitiveRules(), "res.users", rows, schema)
    assert rows == [{"id": 1, "password": "p"}, {"id": 2, "password": "q", "mirror": "m"}]
    schema["res.partner"] = {}
    assert mask_rows(SensitiveRules(), "res.users", rows, schema) == ["password"]
    assert [row["password"] for row in rows] == [MASK, MASK]


def test_deep_masking_of_an_execute_answer():
    masked: dict[str, None] = {}
    answer = mask_deep(DEFAULT, "res.users", {"records": [{"login": "a", "nested": {"api_key": "k"}}], "n": 1}, masked)
    assert answer == {"records": [{"login": MASK, "nested": {"api_key": MASK}}], "n": 1}
    assert list(masked) == ["login", "api_key"]


def test_domains_and_specifications_found_in_execute_arguments():
    found = _domains([[[["name", "=", "x"]]], {"domain": ["|", ["a", "=", 1], ["b", "=", 2]], "limit": 3}])
    assert [["name", "=", "x"]] in found and ["|", ["a", "=", 1], ["b", "=", 2]] in found
    assert _domains([[1, 2], {"values": {"name": "x"}}]) == []
    spec = {"name": {}, "user_id": {"fields": {"login": {}, "partner_id": {"fields": {"email": {}}}}}}
    assert _spec_paths(spec) == ["name", "user_id", "user_id.login", "user_id.partner_id", "user_id.partner_id.email"]


@pytest.mark.parametrize(("rows", "max_chars", "kept"), [
    ([{"a": "x" * 10}] * 10, 10_000, 10),
    ([{"a": "x" * 10}] * 10, 60, 3),  # each row is 19 characters with its comma
    ([{"a": "x" * 100}] * 3, 10, 1),  # never an empty answer
    ([], 10, 0),
])
def test_cap_rows(rows, max_chars, kept):
    assert cap_rows(rows, max_chars) == kept


@pytest.mark.parametrize(("model", "method", "args", "kwargs", "refused_on"), [
    ("res.users", "search", [[["login", "=", "a"]]], {}, "filter on res.users.login"),
    ("res.users", "search", [[["name", "=", "a"]], 0, 10, "login desc"], {}, "sort by res.users.login"),
    ("res.users", "search_read", [[], ["name"]], {"order": "totp_secret"}, "sort by res.users.totp_secret"),
    ("res.users", "read_group", [[], ["totp_secret:count_distinct"], ["name"]], {}, "aggregate"),
    ("res.users", "read_group", [[], [], ["login"]], {}, "group by res.users.login"),
    ("res.users", "read_group", [[], [], ["name"]], {"orderby": "login"}, "sort by res.users.login"),
    ("res.users", "formatted_read_group", [[], ["name"], ["login:count_distinct"]], {}, "aggregate res.users.login"),
    ("res.users", "formatted_read_group", [], {"groupby": ["name"], "order": "login"}, "sort by"),
    ("res.users", "export_data", [[2], ["name", "partner_id/email", "login"]], {}, "export res.users.login"),
    ("res.partner", "export_data", [[1], ["name", "user_ids/login"]], {}, "export res.users.login"),
    ("res.partner", "web_read", [[1]], {"specification": {"user_ids": {"fields": {"login": {}}}}},
     "read res.users.login"),
    ("res.partner", "web_search_read", [[], {"name": {}}], {}, None),
    ("res.users", "name_search", ["adm"], {}, "it also searches res.users.login"),
    ("res.partner", "name_search", ["adm"], {}, None),
    ("res.partner", "message_post", [[1]], {"body": "<p>password reset</p>"}, None),  # free text is not a field
    ("res.partner", "any_method", [[1], {"filter": [["user_ids.login", "=", "a"]]}], {}, "res.users.login"),
    ("ir.config_parameter", "get_param", ["database.secret"], {}, "ir.config_parameter holds"),
    ("res.users", "read", [[2]], {"fields": ["login"]}, None),  # a read is masked afterwards, not refused
])
def test_what_an_execute_call_touches(model, method, args, kwargs, refused_on):
    refusal = execute_refusal(DEFAULT, SCHEMA, model, method, args, kwargs)
    if refused_on is None:
        assert refusal is None
    else:
        assert refusal is not None and refused_on in refusal, refusal
    assert execute_refusal(opted_in_rules(), SCHEMA, "res.users", "name_search", ["adm"], {}) is None


def test_what_policy_status_says_about_sensitive_data():
    optin = parse_policy({"version": "1", "default": "deny", "sensitive": {
        "allow_models": ["ir.mail_server"], "allow_fields": ["res.users.login"]}}).sensitive  # fmt: skip
    summary = sensitive_summary(optin)
    assert summary["refused_models"] == sorted(set(SENSITIVE_MODELS) - {"ir.mail_server"})
    assert summary["opted_in"] == {"models": ["ir.mail_server"], "fields": ["res.users.login"]}
    assert summary["masked_fields"] == (
        "names containing password, secret, token, totp, api/private/access key, credential "
        "(and pass, pwd, otp, hmac, pin as words); res.users login, payment provider "
        "credentials; related fields that mirror them. Filters, sorts and group-bys on them are refused.")
    assert set(summary) == {"refused_models", "masked_fields", "opted_in"}


@pytest.mark.parametrize(("spec", "parts"), [
    ("res.users.login", ("res.users", "login")),
    ("res.users.apikeys.key", ("res.users.apikeys", "key")),  # a model name may have dots, a field never
])
def test_a_field_spec_splits_at_its_last_dot(spec, parts):
    assert split_field(spec) == parts


@pytest.mark.parametrize(("domain", "refused"), [
    ([["x_link_id", "any", [["name", "=", "a"]]]], None),
    ([["x_link_id", "any", [["api_key", "=", "a"]]]], "cannot filter on x_link_id: api_key is a sensitive field name"),
    ([["x_link_id", "any", [["owner.token_ids.name", "=", "a"]]]],
     "cannot filter on x_link_id: token_ids is a sensitive field name"),
    ([["x_link_id", "not any", [["y_id", "any", [["password", "!=", False]]]]]],
     "cannot filter on x_link_id: password is a sensitive field name"),
    ([["x_link_id", "any", [["y_id", "any", [["name", "!=", False]]]]]], None),
])
def test_a_sub_domain_on_a_model_the_schema_does_not_know_is_judged_by_names(domain, refused):
    """`x_link_id` is not in the schema: its target is unknown, so every step of every path inside is judged by name."""
    assert DEFAULT.domain_refusal(SCHEMA, "res.partner", domain) == refused


def test_a_method_that_searches_a_sensitive_field_is_refused_with_how_to_opt_in():
    assert DEFAULT.method_refusal("res.users", "name_search") == (
        "cannot call res.users.name_search: it also searches res.users.login, a sensitive field; opt in with "
        '"sensitive": {"allow_fields": ["res.users.login"]} in the policy')
    assert DEFAULT.method_refusal("res.users", "search") is None
    assert opted_in_rules().method_refusal("res.users", "name_search") is None


@pytest.mark.parametrize(("model", "path", "target"), [
    ("res.partner", "user_ids", "res.users"),
    ("res.partner", "user_ids.partner_id", "res.partner"),
    ("res.partner", "name", None),
    ("res.partner", "nothing.user_ids", None),
    ("res.users", "partner_id.user_ids.api_key_ids", "res.users.apikeys"),
])
def test_the_model_a_relational_path_ends_on(model, path, target):
    assert DEFAULT.target_model(SCHEMA, model, path) == target


def test_sorting_by_a_secret_with_a_tab_before_the_direction_is_refused():
    """Odoo reads an order term's blank with `\\s+` (a tab too): `login<TAB>desc` sorts by login."""
    refusal = DEFAULT.names_refusal(SCHEMA, "res.users", order_fields("name asc, login\tdesc"), "sort by")
    assert refusal is not None and refusal.startswith("cannot sort by res.users.login: it is a sensitive field")


@pytest.mark.parametrize(("model", "domain", "refusal"), [
    ("res.users", [["login", "=", "a"]],
     'cannot filter on res.users.login: it is a sensitive field; opt in with "sensitive": '
     '{"allow_fields": ["res.users.login"]} in the policy'),
    ("res.users", [["display_name", "ilike", "adm"]],
     'cannot filter on display_name: Odoo also searches it in res.users.login, a sensitive field; opt in with '
     '"sensitive": {"allow_fields": ["res.users.login"]} in the policy'),
    ("res.partner", [["user_ids", "not any", [["login", "=", "a"]]]],
     'cannot filter on res.users.login: it is a sensitive field; opt in with "sensitive": '
     '{"allow_fields": ["res.users.login"]} in the policy'),
    ("res.partner", [["x_link_id", "any", [["name", "=", "a"]]], ["user_ids.login", "=", "a"]],  # checked on
     'cannot filter on res.users.login: it is a sensitive field; opt in with "sensitive": '
     '{"allow_fields": ["res.users.login"]} in the policy'),
])  # fmt: skip
def test_a_refusal_names_the_field_and_how_to_opt_in(model, domain, refusal):
    assert DEFAULT.domain_refusal(SCHEMA, model, domain) == refusal


def test_a_related_field_is_refused_naming_what_it_mirrors():
    assert DEFAULT.domain_refusal(SCHEMA, "res.partner", [["user_login", "=", "a"]]) == (
        "res.partner.user_login mirrors user_ids.login: cannot filter on res.users.login: it is a sensitive "
        'field; opt in with "sensitive": {"allow_fields": ["res.users.login"]} in the policy')


def test_every_step_past_an_unknown_relation_is_judged_by_its_name():
    refusal = DEFAULT.path_refusal(SCHEMA, "res.partner", "x_link_id.name.token", "filter on")
    assert refusal == "cannot filter on x_link_id.name.token: token is a sensitive field name"
