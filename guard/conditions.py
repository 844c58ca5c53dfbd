"""Evaluating conditions on a call's validated arguments (and on counters), as Intercept does.

Pure functions over JSON-like values. The operators mean what Intercept's engine makes them
mean, with these rules, all fail-closed:

- A path (`args.values.password`) descends one object level per dot. A missing step, or a
  step into something that is not an object, makes the condition false (`exists: false` true).
- A path that meets a list of records (`values: [{…}, {…}]`, Odoo's batch form; also when it
  arrives as JSON text) applies to every record: the condition is tested on each, and the
  caller says whether one match is enough (`deny_if`) or every record must pass (`require`,
  Intercept's `evaluate`). A numeric step (`args.args.0`) still picks one list element.
- Numbers compare numerically across int and float; otherwise types must match (a string
  "5" is not the number 5; `true` is not 1) — a mismatch makes `eq`, `in`, `lt`… false.
- `null` equals `false`: Odoo answers and stores an empty value as `false`, so an author who
  wrote `active eq false` means the `null` a client may send as well.
- `regex` is a search anywhere in the string, `matches` (ours) a full match; both run on RE2,
  in time linear in the input.
- `exists: true` is false for `null`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from guard.policy import Condition, require_parts

_MISSING: Any = object()


def _descend(value: Any, parts: tuple[str, ...], found: list[Any]) -> None:
    """Append to `found` every value `parts` leads to from `value` (`_MISSING` where it leads nowhere)."""
    for index, part in enumerate(parts):
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                value = json.loads(value)
            except ValueError:
                found.append(_MISSING)
                return
        if isinstance(value, dict):
            if part not in value:
                found.append(_MISSING)
                return
            value = value[part]
        elif isinstance(value, list):
            if part.isdigit():
                position = int(part)
                if position >= len(value):
                    found.append(_MISSING)
                    return
                value = value[position]
            elif value:
                rest = parts[index:]
                for element in value:
                    _descend(element, rest, found)
                return
            else:
                found.append(_MISSING)
                return
        else:
            found.append(_MISSING)
            return
    found.append(value)


def resolve(arguments: Mapping[str, Any], parts: tuple[str, ...]) -> list[Any]:
    """Every value at `parts` (several when the path runs through a list of records)."""
    first = arguments.get(parts[0], _MISSING)
    if len(parts) == 1:
        return [first]
    found: list[Any] = []
    if first is _MISSING:
        return [_MISSING]
    _descend(first, parts[1:], found)
    return found


def lookup(arguments: Mapping[str, Any], dotted: str) -> Any:
    """The single value at `a.b.c`, or `_MISSING` (kept for callers that want one value)."""
    values = resolve(arguments, tuple(dotted.split(".")))
    return values[0] if len(values) == 1 else _MISSING


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def equal(actual: Any, expected: Any) -> bool:
    """Intercept's `eq`, type-strict, with `null` == `false` (Odoo's empty value)."""
    if actual is None or expected is None:
        return actual is expected or actual is False or expected is False
    if _is_number(actual) and _is_number(expected):
        return actual == expected
    if type(actual) is not type(expected) and not (isinstance(actual, str) and isinstance(expected, str)):
        return False
    if isinstance(actual, list):
        return len(actual) == len(expected) and all(equal(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(equal(actual[k], expected[k]) for k in actual)
    return actual == expected


def _ordered(op: str, actual: Any, expected: Any) -> bool:
    """`lt`… on two numbers (Intercept), or on two strings (ours: ISO dates, versions)."""
    if not (_is_number(actual) and _is_number(expected)) and not (
        isinstance(actual, str) and isinstance(expected, str)
    ):
        return False
    if op == "lt":
        return actual < expected
    if op == "lte":
        return actual <= expected
    if op == "gt":
        return actual > expected
    return actual >= expected


def _contains(container: Any, item: Any) -> bool:
    """A substring, a list element (`eq`), or an object's key (ours: `values contains password`)."""
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, list):
        return any(equal(element, item) for element in container)
    if isinstance(container, dict):
        return isinstance(item, str) and item in container
    return False


def passes(condition: Condition, value: Any) -> bool:
    """Whether one resolved value passes `condition`."""
    op, expected = condition.op, condition.value
    if op == "exists":
        present = value is not _MISSING and value is not None
        return present if expected is None else present is expected
    if value is _MISSING:
        return False
    if op == "eq":
        return equal(value, expected)
    if op in ("neq", "ne"):
        return not equal(value, expected)
    if op in ("lt", "lte", "gt", "gte"):
        return _ordered(op, value, expected)
    if op == "in":
        return any(equal(value, item) for item in expected)
    if op == "not_in":
        return not any(equal(value, item) for item in expected)
    if op == "regex":
        return isinstance(value, str) and condition.pattern.search(value) is not None
    if op == "matches":
        return isinstance(value, str) and condition.pattern.fullmatch(value) is not None
    if op == "contains":
        return _contains(value, expected)
    if op in ("len_gt", "len_lte"):
        if not isinstance(value, str | list | dict):
            return False
        return len(value) > expected if op == "len_gt" else len(value) <= expected
    return False


def is_present(value: Any) -> bool:
    """Present, not null and not empty: what a bare string in `require` asks for."""
    return value is not _MISSING and value is not None and value != "" and value != [] and value != {}


def holds(
    condition: Condition | str,
    arguments: Mapping[str, Any],
    counters: Mapping[str, float] | None = None,
    *,
    every: bool = True,
) -> bool:
    """Whether `condition` holds for the call.

    `every`: on a path through a list of records, must every record pass (`require`, evaluate
    rules) or is one enough (`deny_if`)? A `state.` condition reads `counters` (a counter not in
    it is 0); without counters it holds, as in Intercept's engine without a state store.
    """
    if isinstance(condition, str):
        values = resolve(arguments, require_parts(condition))
        return all(map(is_present, values)) if every else any(map(is_present, values))
    if condition.source == "state":
        if counters is None:
            return True
        return passes(condition, counters.get(condition.label, 0))
    values = resolve(arguments, condition.parts)
    if len(values) == 1:
        return passes(condition, values[0])
    if every:
        return all(passes(condition, value) for value in values)
    return any(passes(condition, value) for value in values)


def describe(condition: Condition | str) -> str:
    """A short human form for refusal messages: `args.model in ['res.users']`."""
    if isinstance(condition, str):
        return f"{condition} is given"
    if condition.op == "exists":
        return f"{condition.label} exists" if condition.value in (None, True) else f"{condition.label} is absent"
    return f"{condition.label} {condition.op} {condition.value!r}"
