"""Odoo domain semantics for the double: prefix normalisation and evaluation on one record.

Kept apart from the wire protocols and the database so it can be read (and tested) alone.
A domain is a list of `[field, operator, value]` terms and the prefix operators `&`, `|`
(arity 2) and `!` (arity 1); terms side by side are joined by an implicit `&`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

from .errors import ValueErrorOdoo

LOGIC = {"&": 2, "|": 2, "!": 1}
TRUE_LEAF = (1, "=", 1)
FALSE_LEAF = (0, "=", 1)


def normalize(domain: list[Any]) -> list[Any]:
    """Add the implicit `&`s so that the domain is a complete prefix expression."""
    if not domain:
        return [TRUE_LEAF]
    result: list[Any] = []
    expected = 1
    for token in domain:
        if expected == 0:
            result.insert(0, "&")
            expected = 1
        if isinstance(token, str) and token in LOGIC:
            expected += LOGIC[token] - 1
        elif isinstance(token, (list, tuple)) and len(token) == 3:
            expected -= 1
        else:
            raise ValueErrorOdoo(f"Invalid leaf {token!r}")
        result.append(token if isinstance(token, str) else tuple(token))
    if expected != 0:
        raise ValueErrorOdoo(f"Invalid domain {domain!r}: missing terms")
    return result


def _like(pattern: str, value: Any, *, insensitive: bool, wrap: bool) -> bool:
    if value in (False, None):
        return False
    text = str(value)
    if wrap:
        pattern = f"%{pattern}%"
    glob, escaped = "", False
    for char in pattern:  # SQL LIKE: % and _ are wildcards, a backslash makes the next character literal
        if escaped or char in "*?[":
            glob += f"[{char}]"
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            glob += {"%": "*", "_": "?"}.get(char, char)
    if insensitive:
        return fnmatch.fnmatchcase(text.lower(), glob.lower())
    return fnmatch.fnmatchcase(text, glob)


def _plain(value: Any) -> Any:
    """A many2one read as `[id, name]` compares by id."""
    if isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[0], int):
        return value[0]
    return value


def compare(operator: str, actual: Any, expected: Any) -> bool:
    """One leaf: `actual` is the stored value of the field, `expected` the domain's value."""
    if isinstance(actual, list) and operator in ("in", "not in", "=", "!="):
        # x2many: matches when any linked id matches
        hit = any(compare("in" if operator in ("in", "not in") else "=", item, expected) for item in actual)
        if not actual:
            hit = expected is False or expected == [] if operator in ("=", "!=") else False
        return hit if operator in ("in", "=") else not hit
    actual = _plain(actual)
    match operator:
        case "=" | "==":
            return actual == expected or (expected is False and actual in (None, False))
        case "!=" | "<>":
            return not compare("=", actual, expected)
        case "<" | ">" | "<=" | ">=":
            if actual is None or actual is False or expected is None or expected is False:  # 0 is a number
                return False
            try:
                return {"<": actual < expected, ">": actual > expected,
                        "<=": actual <= expected, ">=": actual >= expected}[operator]
            except TypeError as exc:
                raise ValueErrorOdoo(f"Cannot compare {actual!r} {operator} {expected!r}") from exc
        case "in" | "not in":
            values = expected if isinstance(expected, (list, tuple)) else [expected]
            hit = actual in values or (actual in (None, False) and False in values)
            return hit if operator == "in" else not hit
        case "like" | "ilike" | "not like" | "not ilike":
            hit = _like(str(expected), actual, insensitive="ilike" in operator, wrap=True)
            return hit if not operator.startswith("not") else not hit
        case "=like" | "=ilike":
            return _like(str(expected), actual, insensitive=operator == "=ilike", wrap=False)
        case "child_of" | "parent_of":
            values = expected if isinstance(expected, (list, tuple)) else [expected]
            return actual in values
    raise ValueErrorOdoo(f"Invalid operator {operator!r}")


def evaluate(domain: list[Any], getter: Callable[[str], Any]) -> bool:
    """Evaluate a domain on one record; `getter(field)` returns the record's stored value."""
    tokens = normalize(domain)
    position = 0

    def walk() -> bool:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "!":
            return not walk()
        if token in ("&", "|"):
            left = walk()
            right = walk()
            return (left and right) if token == "&" else (left or right)
        field, operator, value = token
        if (field, operator, value) in (TRUE_LEAF, FALSE_LEAF):
            return token == TRUE_LEAF
        return compare(operator, getter(field), value)

    return walk()
