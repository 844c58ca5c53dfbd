"""Well-formed Odoo domains and names, checked before anything is sent to Odoo.

A domain is a list of terms `[field, operator, value]` (a field path like `parent_id.name`, a
known operator) and the prefix operators `&`, `|` (two operands) and `!` (one); terms side by
side are joined by an implicit `&`. Checking arity here turns a malformed domain into an
argument error naming the problem, instead of a traceback from the server.
"""

from __future__ import annotations

import re
from typing import Any

OPERATORS = frozenset({
    "=", "!=", "<>", ">", ">=", "<", "<=", "=?", "=like", "=ilike", "like", "not like", "ilike", "not ilike",
    "in", "not in", "child_of", "parent_of", "any", "not any",
})
PREFIX = {"&": 2, "|": 2, "!": 1}
MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
FIELD_PATH = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")
METHOD_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")
MAX_TERMS = 200


class DomainError(ValueError):
    """The domain is not well-formed; the message says where."""


def _check_value(value: Any, where: str, depth: int = 0) -> None:
    if depth > 4:
        raise DomainError(f"{where}: value nested too deep")
    if isinstance(value, list):
        if len(value) > 10_000:
            raise DomainError(f"{where}: list value longer than 10000 items")
        for item in value:
            _check_value(item, where, depth + 1)
    elif not (value is None or isinstance(value, (str, int, float, bool))):
        raise DomainError(f"{where}: value must be a string, number, boolean, null or a list of those")


def check_domain(domain: Any) -> list[Any]:
    """Return the domain unchanged when well-formed; raise `DomainError` saying what is wrong."""
    if not isinstance(domain, list):
        raise DomainError("a domain is a list of terms such as [\"name\", \"ilike\", \"acme\"]")
    if len(domain) > MAX_TERMS:
        raise DomainError(f"more than {MAX_TERMS} items")
    needed = 1
    for index, token in enumerate(domain):
        where = f"item {index}"
        if needed == 0:
            needed = 1  # an implicit '&' joins this term to what came before
        if isinstance(token, str):
            if token not in PREFIX:
                raise DomainError(f"{where}: {token!r} is not '&', '|' or '!' (a term is a 3-item list)")
            needed += PREFIX[token] - 1
            continue
        if not isinstance(token, list) or len(token) != 3:
            raise DomainError(f"{where}: a term is a list [field, operator, value] of exactly 3 items")
        field, operator, value = token
        if not isinstance(field, str) or not FIELD_PATH.match(field):
            raise DomainError(f"{where}: {field!r} is not a field name (or a dotted path of field names)")
        if not isinstance(operator, str) or operator.lower() not in OPERATORS:
            raise DomainError(f"{where}: unknown operator {operator!r}; known: {', '.join(sorted(OPERATORS))}")
        if operator in ("in", "not in") and not isinstance(value, list):
            raise DomainError(f"{where}: operator {operator!r} needs a list value")
        if operator in ("any", "not any"):
            check_domain(value)
        else:
            _check_value(value, where)
        needed -= 1
    if domain and needed != 0:
        raise DomainError(f"prefix operators need {needed} more term(s)")
    return domain
