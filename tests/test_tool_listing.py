"""What tools/list costs an agent: at most 0.75 KB per tool over the whole catalogue, and still
everything a model needs to call each tool right (a description, typed arguments, the same
argument names and required ones as the model the guard validates with)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest

from guard.policy import parse_policy
from odoo_mcp.config import Settings
from odoo_mcp.families import all_specs
from odoo_mcp.server import build_guard, build_server
from odoo_mcp.wire.listed_schema import listed_description, listed_schema

MAX_BYTES_PER_TOOL = 750
"""The issue's budget: what the whole catalogue's tools/list answer may cost per tool, on average."""


async def listed_tools() -> list[types.Tool]:
    guard, _ = build_guard(Settings(policy_path=Path("unused")), parse_policy({"version": "1", "default": "allow"}))
    return await build_server(guard).list_tools()


def wire_bytes(tools: list[types.Tool]) -> int:
    """The tools/list result as the server serialises it onto the wire."""
    return len(types.ListToolsResult(tools=tools).model_dump_json(by_alias=True, exclude_none=True).encode())


def schema_keys(node: Any) -> set[str]:
    """Every JSON Schema keyword used anywhere in `node` (property names are not keywords)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            found.add(key)
            if key == "properties":
                for child in value.values():
                    found |= schema_keys(child)
            else:
                found |= schema_keys(value)
    elif isinstance(node, list):
        for item in node:
            found |= schema_keys(item)
    return found


def has_type(schema: dict[str, Any]) -> bool:
    return "type" in schema or "enum" in schema or "const" in schema or any(
        all(has_type(option) for option in schema.get(key, [])) and schema.get(key)
        for key in ("anyOf", "oneOf")
    )


@pytest.mark.anyio
async def test_the_catalogue_costs_at_most_0_75_kb_per_tool():
    tools = await listed_tools()
    assert {tool.name for tool in tools} == {spec.name for spec in all_specs()}
    per_tool = wire_bytes(tools) / len(tools)
    assert per_tool <= MAX_BYTES_PER_TOOL, f"tools/list costs {per_tool:.0f} bytes per tool ({len(tools)} tools)"


@pytest.mark.anyio
async def test_every_listed_tool_still_says_how_to_call_it():
    catalogue = {spec.name: spec for spec in all_specs()}
    for tool in await listed_tools():
        spec = catalogue[tool.name]
        assert tool.description and tool.description[0].isupper() and "\n    " not in tool.description, tool.name
        schema = tool.input_schema
        full = spec.args.model_json_schema()
        assert schema["type"] == "object" and schema["additionalProperties"] is False, tool.name
        assert set(schema.get("properties", {})) == set(full.get("properties", {})), tool.name
        assert sorted(schema.get("required", [])) == sorted(full.get("required", [])), tool.name
        for name, prop in schema.get("properties", {}).items():
            assert has_type(prop), f"{tool.name}.{name} has no type: {prop}"
        assert not schema_keys(schema) & {"title", "$defs", "$ref"}, tool.name


# ---- the listing rules, one row each -------------------------------------------------------
OPTIONAL_TEXT = {"anyOf": [{"type": "string", "pattern": "^[a-z]+$"}, {"type": "null"}], "default": None,
                 "title": "Order"}


@pytest.mark.parametrize(
    ("schema", "listed"),
    [
        # an optional argument: its own type, not required, no null default; the pattern stays
        # where no description says what the value is
        (OPTIONAL_TEXT, {"type": "string", "pattern": "^[a-z]+$"}),
        # ... and goes where a description says it in words
        ({**OPTIONAL_TEXT, "description": "Sort order, e.g. name."},
         {"type": "string", "description": "Sort order, e.g. name."}),
        # defaults that change a call stay; those that say nothing go
        ({"type": "integer", "default": 80, "title": "Limit"}, {"type": "integer", "default": 80}),
        ({"type": "boolean", "default": True}, {"type": "boolean", "default": True}),
        ({"type": "boolean", "default": False}, {"type": "boolean"}),
        ({"type": "array", "items": {}, "default": []}, {"type": "array"}),
        ({"type": "string", "maxLength": 128, "minLength": 1}, {"type": "string", "minLength": 1}),
        # a union that is not "X or null" is kept as it is
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, {"anyOf": [{"type": "string"}, {"type": "integer"}]}),
        # docstring indentation is not listed
        ({"type": "string", "description": "One line\n    and its rest.\n\n    A second paragraph."},
         {"type": "string", "description": "One line and its rest.\n\nA second paragraph."}),
    ],
)
def test_a_property_is_listed_without_what_says_nothing(schema, listed):
    assert listed_schema({"type": "object", "properties": {"x": schema}})["properties"]["x"] == listed


def test_references_are_inlined_and_titles_dropped_at_every_level():
    schema = {
        "title": "Args",
        "type": "object",
        "properties": {"mode": {"$ref": "#/$defs/Mode", "description": "How."},
                       "items": {"type": "array", "items": {"$ref": "#/$defs/Mode"}}},
        "$defs": {"Mode": {"title": "Mode", "type": "string", "enum": ["a", "b"]}},
    }
    assert listed_schema(schema) == {
        "type": "object",
        "properties": {"mode": {"type": "string", "enum": ["a", "b"], "description": "How."},
                       "items": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}},
    }
    assert json.dumps(listed_schema(schema)).count("title") == 0


def test_a_property_named_like_a_keyword_is_kept():
    schema = {"type": "object", "properties": {"title": {"type": "string"}, "default": {"type": "integer"}}}
    assert listed_schema(schema) == schema


def test_descriptions_lose_only_their_indentation():
    assert listed_description("Do a thing.\n    More about it.\n") == "Do a thing. More about it."
