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
from collections.abc import Callable, Mapping
from typing import Any

from guard.policy import Condition, require_parts
from guard.wording import condition_words

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


def _orderable(actual: Any, expected: Any) -> bool:
    """`lt`… compare two numbers (Intercept), or two strings (ours: ISO dates, versions)."""
    return (_is_number(actual) and _is_number(expected)) or (isinstance(actual, str) and isinstance(expected, str))


def _contains(container: Any, item: Any) -> bool:
    """A substring, a list element (`eq`), or an object's key (ours: `values contains password`)."""
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, list):
        return any(equal(element, item) for element in container)
    if isinstance(container, dict):
        return isinstance(item, str) and item in container
    return False


_TESTS: dict[str, Callable[[Any, Any, Condition], bool]] = {
    "eq": lambda value, expected, _: equal(value, expected),
    "neq": lambda value, expected, _: not equal(value, expected),
    "ne": lambda value, expected, _: not equal(value, expected),
    "lt": lambda value, expected, _: _orderable(value, expected) and value < expected,
    "lte": lambda value, expected, _: _orderable(value, expected) and value <= expected,
    "gt": lambda value, expected, _: _orderable(value, expected) and value > expected,
    "gte": lambda value, expected, _: _orderable(value, expected) and value >= expected,
    "in": lambda value, expected, _: any(equal(value, item) for item in expected),
    "not_in": lambda value, expected, _: not any(equal(value, item) for item in expected),
    "regex": lambda value, _, condition: isinstance(value, str) and condition.pattern.search(value) is not None,
    "matches": lambda value, _, condition: isinstance(value, str) and condition.pattern.fullmatch(value) is not None,
    "contains": lambda value, expected, _: _contains(value, expected),
    "len_gt": lambda value, expected, _: isinstance(value, str | list | dict) and len(value) > expected,
    "len_lte": lambda value, expected, _: isinstance(value, str | list | dict) and len(value) <= expected,
}
"""Each operator on a present value (`exists` and absent values are handled before)."""


def passes(condition: Condition, value: Any) -> bool:
    """Whether one resolved value passes `condition`."""
    op = condition.op
    if op == "exists":
        present = value is not _MISSING and value is not None
        expected = condition.value
        return present if expected is None else present is expected
    if value is _MISSING:
        return False
    return _TESTS[op](value, condition.value, condition)


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
    private = condition.__pydantic_private__  # direct: this runs on every call
    if private["_source"] == "state":
        if counters is None:
            return True
        return passes(condition, counters.get(condition.label, 0))
    parts = private["_parts"]
    if len(parts) == 1:
        return passes(condition, arguments.get(parts[0], _MISSING))
    values = resolve(arguments, parts)
    if len(values) == 1:
        return passes(condition, values[0])
    if every:
        return all(passes(condition, value) for value in values)
    return any(passes(condition, value) for value in values)


def argument_of(condition: Condition | str) -> str | None:
    """The top-level argument a condition reads (`values` for `args.values.name`), "" for a counter, None when
    it cannot be told."""
    if isinstance(condition, str):
        return require_parts(condition)[0]
    private = condition.__pydantic_private__
    if private["_source"] == "state":
        return ""
    return private["_parts"][0] if private["_parts"] else None


def describe(condition: Condition | str) -> str:
    """A condition in words for refusal messages (`more than 5 modules are given`): see `guard.wording`."""
    return condition_words(condition)
