"""A mounted tool's input schema, made safe to run inside the guard.

A mounted server is not trusted, yet the JSON Schema it gives for a tool's arguments is run by the
guard, in the server's process, on the event loop that serves every grant. So, at mount time:

- every `$ref` (`$dynamicRef`, `$recursiveRef`) must point inside the schema itself (`#…`). To
  validate `{"$ref": "http://…"}` jsonschema would fetch the URL from the guard's host: a request
  the mounted server chose, sent from inside the operator's network. Such a tool is refused; and
  the validator's registry retrieves nothing, as a second lock.
- `pattern` and `patternProperties` run on RE2 (`guard.policy.compile_pattern`, linear in the
  input), never on Python's backtracking `re`: `^(a+)+$` against 30 characters would hold the
  event loop for minutes. A pattern RE2 cannot run (lookaround, backreferences) makes the tool
  unusable here: refused, with the pattern and RE2's reason.
- `unevaluatedProperties` in a schema that has `patternProperties` is refused: jsonschema
  evaluates those patterns with `re` inside its own code, with no public hook to replace it.

What is refused is one tool, not its mount (`odoo_mcp/mounts.py` reports it on stderr and in
the audit). The replacement keywords use only jsonschema's public extension API
(`validators.extend`, `Validator.descend`, `ValidationError`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
import referencing
import referencing.exceptions

from guard.policy import compile_pattern

REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
"""Keywords whose values are data, not schemas: a `{"pattern": …}` inside them is not a pattern."""


class UnusableSchema(ValueError):
    """A mounted tool's schema the guard will not run; the message says why (one line)."""


def _nodes(node: Any, where: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every object in the schema with its JSON-pointer-like place, data keywords skipped."""
    if isinstance(node, Mapping):
        yield where or "/", node
        for key, value in node.items():
            if key not in DATA_KEYWORDS:
                yield from _nodes(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nodes(value, f"{where}/{index}")


def _compile(pattern: str, where: str) -> Any:
    try:
        return compile_pattern(pattern)
    except ValueError as exc:
        detail = str(exc).partition(f"{pattern!r}: ")[2] or str(exc)
        raise UnusableSchema(f"{where}: pattern {pattern!r}: RE2 cannot run it ({detail})") from None


def check(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse what the guard will not run (UnusableSchema); the schema's patterns, compiled by RE2."""
    patterns: dict[str, Any] = {}
    uses_unevaluated = uses_pattern_properties = False
    for where, node in _nodes(schema):
        for keyword in REF_KEYWORDS:
            ref = node.get(keyword)
            if isinstance(ref, str) and not ref.startswith("#"):
                raise UnusableSchema(f"{where}: {keyword} {ref[:200]!r} points outside its own schema (never fetched)")
        pattern = node.get("pattern")
        if isinstance(pattern, str) and pattern not in patterns:
            patterns[pattern] = _compile(pattern, where)
        keyed = node.get("patternProperties")
        if isinstance(keyed, Mapping):
            uses_pattern_properties = True
            for pattern in keyed:
                if pattern not in patterns:
                    patterns[pattern] = _compile(pattern, f"{where}/patternProperties")
        uses_unevaluated = uses_unevaluated or "unevaluatedProperties" in node
    if uses_unevaluated and uses_pattern_properties:
        raise UnusableSchema("unevaluatedProperties with patternProperties: their patterns would run outside RE2")
    return patterns


def _refuse_retrieval(uri: str) -> referencing.Resource[Any]:
    raise referencing.exceptions.NoSuchResource(ref=uri)


def validator(schema: Mapping[str, Any]) -> Any:
    """A jsonschema validator for `schema` whose patterns run on RE2 and which fetches nothing."""
    patterns = check(schema)

    def compiled(pattern: str) -> Any:
        found = patterns.get(pattern)
        if found is None:  # a pattern check() did not see: compile it the same way
            found = patterns[pattern] = _compile(pattern, "(schema)")
        return found

    def pattern_keyword(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
        if validator.is_type(instance, "string") and not compiled(pattern).search(instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")

    def pattern_properties(validator: Any, keyed: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not validator.is_type(instance, "object"):
            return
        for pattern, subschema in keyed.items():
            matcher = compiled(pattern)
            for key, value in instance.items():
                if matcher.search(key):
                    yield from validator.descend(value, subschema, path=key, schema_path=pattern)

    base = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    plain_additional = base.VALIDATORS.get("additionalProperties")

    def additional_properties(validator: Any, allowed: Any, instance: Any, schema: Any) -> Iterator[Any]:
        keyed = schema.get("patternProperties")
        if not isinstance(keyed, Mapping):
            if plain_additional is not None:
                yield from plain_additional(validator, allowed, instance, schema)
            return
        if not validator.is_type(instance, "object"):
            return
        properties = schema.get("properties") or {}
        matchers = [compiled(pattern) for pattern in keyed]
        extras = [key for key in instance if key not in properties and not any(m.search(key) for m in matchers)]
        if validator.is_type(allowed, "object"):
            for extra in extras:
                yield from validator.descend(instance[extra], allowed, path=extra)
        elif allowed is False and extras:
            names = ", ".join(repr(extra) for extra in sorted(extras))
            regexes = ", ".join(repr(pattern) for pattern in sorted(keyed))
            verb = "does" if len(extras) == 1 else "do"
            yield jsonschema.ValidationError(f"{names} {verb} not match any of the regexes: {regexes}")

    keywords = {"pattern": pattern_keyword, "patternProperties": pattern_properties}
    if "additionalProperties" in base.VALIDATORS:
        keywords["additionalProperties"] = additional_properties
    safe = jsonschema.validators.extend(base, validators=keywords)
    return safe(schema, registry=referencing.Registry(retrieve=_refuse_retrieval))
