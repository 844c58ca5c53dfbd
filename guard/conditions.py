"""Evaluating `require` / `deny_if` conditions on a call's validated arguments.

Pure functions over JSON-like values. A condition on an argument that is absent, or
whose type does not fit the op, is simply false: `require` then denies (fail closed)
and `deny_if` does not fire — a policy cannot be made to throw at call time.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from guard.policy import Condition
from guard.wording import condition_words

_MISSING = object()


def lookup(arguments: dict[str, Any], dotted: str) -> Any:
    """The value at `a.b.c` inside nested dicts (or list indexes); `_MISSING` if absent."""
    value: Any = arguments
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _comparable(left: Any, right: Any) -> bool:
    numbers = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        return False
    return (isinstance(left, numbers) and isinstance(right, numbers)) or (
        isinstance(left, str) and isinstance(right, str)
    )


def _contains(container: Any, item: Any) -> bool:
    """A list item, a substring, or an object's key (so `values` contains `password` works)."""
    if isinstance(container, list):
        return item in container
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, dict):
        return isinstance(item, str) and item in container
    return False


def is_present(value: Any) -> bool:
    """Present and non-empty: the meaning of a bare string in `require`."""
    return value is not _MISSING and value is not None and value != "" and value != [] and value != {}


def holds(condition: Condition | str, arguments: dict[str, Any]) -> bool:
    """Whether `condition` holds for `arguments`."""
    if isinstance(condition, str):
        return is_present(lookup(arguments, condition))
    value = lookup(arguments, condition.arg)
    op, expected = condition.op, condition.value
    if op == "exists":
        present = value is not _MISSING and value is not None
        return present if expected is None else present is expected
    if value is _MISSING:
        return False
    match op:
        case "eq":
            return value == expected
        case "ne":
            return value != expected
        case "gt" | "gte" | "lt" | "lte":
            if not _comparable(value, expected):
                return False
            return {
                "gt": value > expected,
                "gte": value >= expected,
                "lt": value < expected,
                "lte": value <= expected,
            }[op]
        case "in":
            return value in expected
        case "not_in":
            return value not in expected
        case "matches":
            return isinstance(value, str) and _regex(expected).fullmatch(value) is not None
        case "len_gt" | "len_lte":
            if not isinstance(value, str | list | dict):
                return False
            return len(value) > expected if op == "len_gt" else len(value) <= expected
        case "contains":
            return _contains(value, expected)
    return False


def describe(condition: Condition | str) -> str:
    """A condition in words for refusal messages (`more than 5 modules are given`): see `guard.wording`."""
    return condition_words(condition)
