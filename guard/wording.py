"""Refusals in words: what a policy condition, a default deny or an argument pattern means.

A refusal is read by an agent (which must decide what to try instead) and by the human
reading its transcript; neither should have to know our operator names (`len_gt`) or read
a regular expression. Every phrase lives here, pure and table-driven, so that the guard,
`policy_status` and `policy explain` say the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Phrase = Callable[[str, Any], str]


def _value(value: Any) -> str:
    """A policy value as a reader sees it: strings quoted, lists as "a, b or c"."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _choices(values: Any, last: str) -> str:
    items = [_value(v) for v in values] if isinstance(values, list) else [_value(values)]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _plural(subject: str) -> bool:
    """`modules`, `ids`, `values` name a collection: "more than 5 modules" reads well."""
    leaf = subject.rsplit(".", 1)[-1]
    return leaf.endswith("s") and not leaf.endswith("ss")


def _more_than(subject: str, count: Any) -> str:
    if _plural(subject):
        return f"more than {count} {subject} are given"
    return f"{subject} is longer than {count}"


def _at_most(subject: str, count: Any) -> str:
    if _plural(subject):
        return f"at most {count} {subject} are given"
    return f"{subject} is at most {count} long"


def _exists(subject: str, expected: Any) -> str:
    return f"{subject} is given" if expected in (None, True) else f"{subject} is not given"


OPERATOR_PHRASES: dict[str, Phrase] = {
    "eq": lambda s, v: f"{s} is {_value(v)}",
    "neq": lambda s, v: f"{s} is not {_value(v)}",
    "ne": lambda s, v: f"{s} is not {_value(v)}",
    "in": lambda s, v: f"{s} is one of {_choices(v, 'or')}",
    "not_in": lambda s, v: f"{s} is none of {_choices(v, 'or')}",
    "lt": lambda s, v: f"{s} is less than {_value(v)}",
    "lte": lambda s, v: f"{s} is at most {_value(v)}",
    "gt": lambda s, v: f"{s} is more than {_value(v)}",
    "gte": lambda s, v: f"{s} is at least {_value(v)}",
    "regex": lambda s, v: f"{s} contains a match for the pattern {_value(v)}",
    "matches": lambda s, v: f"{s} as a whole matches the pattern {_value(v)}",
    "contains": lambda s, v: f"{s} contains {_value(v)}",
    "exists": _exists,
    "len_gt": _more_than,
    "len_lte": _at_most,
}
"""One phrase per condition operator, both spellings (Intercept's and ours): `(subject, value) -> clause`."""


def subject_of(condition: Any) -> str:
    """The argument a condition looks at, as the caller named it (`args.` prefix dropped)."""
    subject = getattr(condition, "path", None) or getattr(condition, "arg", None) or "?"
    return str(subject).removeprefix("args.")


def condition_words(condition: Any) -> str:
    """A condition (or a bare `"args.reason"` string: must be given) as a clause in words."""
    if isinstance(condition, str):
        return f"{condition.removeprefix('args.')} is given"
    op = str(condition.op)
    phrase = OPERATOR_PHRASES.get(op)
    subject = subject_of(condition)
    if phrase is None:  # an operator added to the model without words: say it plainly, never fail
        return f"{subject} {op} {_value(condition.value)}"
    return phrase(subject, condition.value)


def default_deny_reason(tool: str) -> str:
    """A default deny that tells the policy's author which key would allow the tool."""
    return f'\'{tool}\' is not allowed by this policy (default: deny); to allow it, add "{tool}" under "tools"'


PATTERN_WORDS: dict[str, str] = {
    r"^[a-z0-9][a-z0-9_]{0,99}$": "a module's technical name: lowercase letters, digits and _ (e.g. account_reports)",
    r"^[a-z0-9_]{1,128}$": "a module's technical name: lowercase letters, digits and _ (e.g. sale_management)",
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$": "a repository name: letters, digits, - and _ (e.g. sale-workflow)",
    r"^[0-9A-Za-z][0-9A-Za-z_-]{0,40}(\.[0-9A-Za-z_-]{1,40}){0,5}$": "a branch name such as 19.0 or saas-18.4",
    r"^[a-z0-9][a-z0-9_-]{0,63}$": "an instance name: lowercase letters, digits, - and _",
    r"^[A-Za-z0-9_.~+/=-]{1,512}$": "a token: letters, digits and . _ ~ + / = -",
    r"^[A-Za-z]{2}$": "a two-letter country code (e.g. be)",
    r"^[A-Za-z0-9_.-]{1,64}$": "a connection alias: letters, digits, . _ and - (at most 64)",
    r"^[A-Za-z0-9_.-]{1,63}$": "a database name: letters, digits, . _ and - (at most 63)",
    r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$": "a model's technical name: lowercase words joined by dots (e.g. res.partner)",
    r"^[\w.+-]+/[\w.+-]+$": "a MIME type such as application/pdf",
    r"^[a-zA-Z][a-zA-Z0-9_]*$": "a public method name: a letter, then letters, digits and _ (e.g. action_post)",
    r"^[a-z_][a-z0-9_]*$": "a field name: lowercase letters, digits and _ (e.g. partner_id)",
    r"^[a-z_]+$": "a field attribute: lowercase letters and _ (e.g. string)",
    r"^[a-z_][a-z0-9_]*(:(day|week|month|quarter|year))?$": "a field name, optionally :day, :week, :month, "
    ":quarter or :year (e.g. date:month)",
    r"^(__count|[a-z_][a-z0-9_]*:(sum|avg|min|max|count|count_distinct|array_agg|bool_and|bool_or))$": "__count, or "
    "field:aggregate with sum, avg, min, max, count, count_distinct, array_agg, bool_and or bool_or (e.g. amount:sum)",
    r"^[a-z_][a-z0-9_]*( (asc|desc|ASC|DESC))?(, ?[a-z_][a-z0-9_]*( (asc|desc|ASC|DESC))?)*$": "field names, each "
    'optionally followed by asc or desc, separated by commas (e.g. "name asc, id desc")',
    r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$": "a report's technical name: module.report (e.g. account.report_invoice)",
    r"^https://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]{0,400})?$": "an https URL without query or "
    "fragment (e.g. https://github.com/OCA/sale-workflow)",
    r"^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$": "a SHA-256 fingerprint: 32 hexadecimal pairs separated by colons "
    "(as odoo_cert_info shows it)",
    r"^[0-9a-f]{64}$": "the fingerprint the dry run returned: 64 lowercase hexadecimal digits",
    r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$": "a profile or connection name: letters, digits, _ - and ., not starting "
    "with . (at most 64)",
    r"^[\w][\w .,/#:-]{0,63}$": "a plain-text reference: letters, digits, spaces and . , / # : - (at most 64; no "
    "quotes or brackets)",
    r"^[A-Za-z0-9_.-]{1,32}$": "a selection code: letters, digits, . _ and - (at most 32)",
    r"^[a-z0-9_]{1,64}$": "a module's technical name: lowercase letters, digits and _ (e.g. website)",
    r"^[a-z]{2,3}(_[A-Z]{2})?(@[a-z]+)?$": "a language code such as fr_FR, en_US or sr@latin",
    r"^[a-z]{2,3}(_[A-Z]{2})?$": "a language code such as fr_FR or en_US",
    r"^[a-z_][a-z0-9_]*(/[a-z_][a-z0-9_]*)*$": "a field name or a path of field names (e.g. partner_id/name)",
    r"^[a-z0-9_]+\.s_[a-z0-9_]+$": "a snippet template key: module.s_name (e.g. website.s_banner)",
    r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$": "a tool's name: letters, digits, _ . and -, not starting with . or - "
    "(e.g. odoo_search_read)",
}
"""The argument patterns of the tool catalogue in words (a test checks that every pattern has some)."""


def pattern_words(pattern: str) -> str:
    """`must be <words>` for a known pattern; an unknown one is still named, never left unexplained."""
    words = PATTERN_WORDS.get(pattern)
    return f"must be {words}" if words else f"does not have the allowed form ({pattern})"
