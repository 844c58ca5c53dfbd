"""What `tools/list` shows of a tool's arguments: the pydantic schema, minus what says nothing.

An agent pays for the tool list in context on every conversation, so the listed schema keeps
what changes a call — types, required names, bounds, patterns, enums, descriptions, defaults
that matter — and drops what pydantic adds for its own reasons:

- `title` on every property and on the model (the property's name, re-capitalised);
- `anyOf: [X, {"type": "null"}]` with `default: null` (an optional argument): listed as X and not
  required, which is what omitting it means; sending null is still accepted;
- defaults that carry nothing: null, false, "", [], {} (absent means the same);
- `items: {}` (any item) and `$defs` / `$ref` (inlined where used);
- `maxLength`: caps against abuse (a 128-character model name, a 1024-character path) that no
  real call comes near; the guard still refuses a longer value, with the field named;
- an argument's `pattern` where the argument has a description: the model reads the words
  (which say what the value is, usually with an example), not the regular expression, which
  the guard still enforces; patterns of list items (module names, `groupby`) are kept;
- the indentation docstrings leave inside descriptions.

Validation is unaffected: the guard validates every call with the tool's own pydantic model,
never with this listing.
"""

from __future__ import annotations

import functools
from typing import Any

from guard.spec import Risk, ToolSpec

_EMPTY_DEFAULTS: tuple[Any, ...] = (None, False, "", [], {})
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "contains")


def _says_nothing(value: Any) -> bool:
    return any(value == empty and type(value) is type(empty) for empty in _EMPTY_DEFAULTS)


def _compact(node: Any, definitions: dict[str, Any]) -> Any:
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = definitions.get(str(node["$ref"]).rsplit("/", 1)[-1], {})
        merged = {**target, **{key: value for key, value in node.items() if key != "$ref"}}
        return _compact(merged, definitions)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "$defs", "maxLength"):
            continue
        if key == "description" and isinstance(value, str):
            out[key] = listed_description(value)
            continue
        if key == "default" and _says_nothing(value):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _listed_property(schema, definitions) for name, schema in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_compact(option, definitions) for option in value]
        elif key in _SCHEMA_VALUES and isinstance(value, dict):
            if key == "items" and not value:
                continue  # any item
            out[key] = _compact(value, definitions)
        else:
            out[key] = value
    options = out.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        (kept,) = [option for option in options if option != {"type": "null"}]
        rest = {key: value for key, value in out.items() if key != "anyOf"}
        out = {**kept, **rest}  # the optional argument's own type, its description and bounds
    return out


def _listed_property(schema: Any, definitions: dict[str, Any]) -> Any:
    out = _compact(schema, definitions)
    if isinstance(out, dict) and "pattern" in out and out.get("description"):
        del out["pattern"]
    return out


def listed_description(text: str) -> str:
    """A description on one line per paragraph: docstring line breaks and indentation removed."""
    paragraphs = [" ".join(block.split()) for block in text.strip().split("\n\n")]
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def listed_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema `tools/list` shows for an argument model's `model_json_schema()`."""
    return _compact(schema, schema.get("$defs", {}))


_HINT_NAMES = {"read_only_hint": "readOnlyHint", "destructive_hint": "destructiveHint",
               "idempotent_hint": "idempotentHint", "open_world_hint": "openWorldHint"}


def tool_hints(spec: ToolSpec) -> dict[str, bool]:
    """MCP hints from the tool's risk class, each one only where it differs from the spec's default.

    A client reads an absent hint as its default (readOnly false, destructive true, idempotent
    false, openWorld true), so listing only the differences says the same in fewer bytes; the
    destructive and idempotent hints only mean something for a tool that is not read-only. The
    destructive hint of a tool that is not read-only is always listed: a warning should not rest
    on a default. The family and risk class are not listed (`_meta`): no model reads them, the
    hints carry the risk, and `odoo-mcp tools` prints both. Keys are the SDK's field names.
    """
    read_only = spec.risk is Risk.READ
    hints: dict[str, bool] = {}
    if read_only:
        hints["read_only_hint"] = True
    else:
        hints["destructive_hint"] = spec.risk is Risk.DESTRUCTIVE
        if spec.idempotent:
            hints["idempotent_hint"] = True
    if not spec.open_world:
        hints["open_world_hint"] = False
    return hints


@functools.cache
def listed_tool(spec: ToolSpec) -> dict[str, Any]:
    """One tool as tools/list shows it on the wire (what the SDK would serialise for it).

    Built once per tool (the early answer and the SDK's registration share it): treat as read-only.
    """
    return {
        "name": spec.name,
        "description": listed_description(spec.description),
        "inputSchema": listed_schema(spec.args.model_json_schema()),
        "annotations": {_HINT_NAMES[key]: value for key, value in tool_hints(spec).items()},
    }
