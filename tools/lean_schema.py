"""Smaller tool schemas in tools/list: the same arguments, fewer bytes for an agent to read.

Pydantic's JSON schema repeats a generated `title` for every field, spells an optional
argument as `anyOf: [X, {"type": "null"}]` with `default: null`, and gives record ids Odoo's
integer maximum. Agents need none of it: the field's name says the first, an omitted argument
means the second. `LeanArgs` drops both from the published schema; the
guard still validates the full model (null is still accepted where the model accepts it).
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict

from guard.spec import ToolArgs


def lean(schema: dict[str, Any]) -> None:
    """Drop titles and nullable wrappers, in place, at every level (properties, items, $defs)."""
    schema.pop("title", None)
    options = schema.get("anyOf")
    if isinstance(options, list):
        kept = [option for option in options if option != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(options):
            del schema["anyOf"]
            for key, value in kept[0].items():
                schema.setdefault(key, value)
    if "default" in schema and schema["default"] is None:
        del schema["default"]
    if schema.get("maximum") == 2**31 - 1:  # record ids: Odoo's integer range, not a limit an agent needs
        del schema["maximum"]
    for key in ("properties", "$defs"):
        for value in (schema.get(key) or {}).values():
            if isinstance(value, dict):
                lean(value)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            lean(schema[key])
    for option in schema.get("anyOf") or []:
        if isinstance(option, dict):
            lean(option)


class LeanArgs(ToolArgs):
    """A tool's argument model whose published schema is lean (see `lean`)."""

    model_config = ConfigDict(json_schema_extra=lambda schema, _model: lean(schema))
