"""`odoo-mcp policy init`: a starting policy from the tool catalogue's risk classes.

The generator is pure (tool descriptions in, a document out) so every class is tested on a
table. What each class gets, and why:

- reads (`read`): allowed, all sharing one per-grant cap (`reads`, 120 a minute) so a looping
  agent is stopped;
- writes and runs (`write`, `execute`): allowed under a per-grant `writes` cap (20 a minute),
  with argument conditions where the tool takes them: no writes to the security models
  (`model` not one of `ADMIN_MODELS`) and at most 100 records per call (`ids`);
- destructive tools, module lifecycle tools (`odoo_module_*`) and raw RPC (`odoo_execute`):
  a human approves each call (`require_approval`);
- filesystem and git tools (the Enterprise/OCA checkout tools, and every tool with a path
  argument): denied unless named with `--allow NAME` — they touch the server's disk;
- a mounted tool whose server gave no annotations has risk `unknown`, treated as destructive.

`default` is `deny`, so a tool added later is refused until the policy names it. The JSON
(PolicyLayer's spelling) has no comments; the YAML (Intercept's spelling) explains each entry.
Intercept's format has no approval step, so there the approval tools are denied with a comment
saying to use the JSON spelling to have them approved instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ADMIN_MODELS = ["res.users", "res.groups", "ir.model.access", "ir.rule", "ir.config_parameter", "ir.cron"]
READS_PER_MINUTE = 120
WRITES_PER_MINUTE = 20
MAX_IDS = 100
FILESYSTEM_FAMILIES = frozenset({"enterprise", "oca"})
APPROVAL_NAMES = frozenset({"odoo_execute", "odoo_web_call"})
"""Generic method callers: any method of any model, so a human approves each call."""


@dataclass(frozen=True)
class ToolInfo:
    """What the generator needs to know of one tool."""

    name: str
    risk: str
    """read | write | execute | destructive | unknown"""
    family: str = ""
    touches_files: bool = False
    required: tuple[str, ...] = ()
    description: str = ""


def classify(tool: ToolInfo) -> str:
    """`meta` | `read` | `write` | `approval` | `filesystem`."""
    if tool.family == "meta":
        return "meta"
    if tool.touches_files or (tool.family in FILESYSTEM_FAMILIES and tool.risk != "read"):
        return "filesystem"
    if tool.risk in {"destructive", "unknown"} or tool.name.startswith("odoo_module_") or tool.name in APPROVAL_NAMES:
        return "approval"
    if tool.risk == "read":
        return "read"
    return "write"


def _class_of(tool: ToolInfo, allowed: frozenset[str]) -> str:
    kind = classify(tool)
    if kind == "filesystem" and tool.name in allowed:
        kind = "approval" if tool.risk in {"destructive", "unknown"} else "write"
    return kind


def _limit(counter: str, per_minute: int) -> dict[str, object]:
    return {"counter": counter, "window": "minute", "max": per_minute, "scope": "grant"}


def _write_conditions(tool: ToolInfo) -> list[dict[str, object]]:
    conditions: list[dict[str, object]] = []
    if "model" in tool.required:
        conditions.append({"path": "args.model", "op": "in", "value": ADMIN_MODELS})
    if "ids" in tool.required:
        conditions.append({"path": "args.ids", "op": "len_gt", "value": MAX_IDS})
    return conditions


def build_policy(tools: Iterable[ToolInfo], allow: Sequence[str] = ()) -> dict[str, object]:
    """The PolicyLayer JSON document."""
    allowed = frozenset(allow)
    rules: dict[str, object] = {}
    for tool in sorted(tools, key=lambda t: t.name):
        kind = _class_of(tool, allowed)
        if kind == "meta":
            rules[tool.name] = {}
        elif kind == "read":
            rules[tool.name] = {"limits": [_limit("reads", READS_PER_MINUTE)]}
        elif kind == "write":
            rule: dict[str, object] = {"limits": [_limit("writes", WRITES_PER_MINUTE)]}
            conditions = _write_conditions(tool)
            if conditions:
                rule["deny_if"] = conditions
                rule["on_deny"] = f"no writes to security models, at most {MAX_IDS} records a call"
            rules[tool.name] = rule
        elif kind == "approval":
            rules[tool.name] = {"action": "require_approval", "limits": [_limit("writes", WRITES_PER_MINUTE)]}
        else:
            rules[tool.name] = {
                "action": "deny",
                "on_deny": f"'{tool.name}' touches the server's files or git checkouts; "
                "the operator enables it by name (policy init --allow NAME)",
            }
    return {
        "version": "1",
        "description": "Starting policy written by `odoo-mcp policy init`: edit it, then `odoo-mcp policy check`.",
        "default": "deny",
        "tools": rules,
    }


def render_json(tools: Iterable[ToolInfo], allow: Sequence[str] = ()) -> str:
    return json.dumps(build_policy(tools, allow), indent=2) + "\n"


def _yaml_value(value: object) -> str:
    return json.dumps(value)  # JSON scalars and flow lists are valid YAML


def render_yaml(tools: Iterable[ToolInfo], allow: Sequence[str] = ()) -> str:
    """The same policy in Intercept's YAML spelling, with a comment on every entry."""
    allowed = frozenset(allow)
    lines = [
        "# Starting policy written by `odoo-mcp policy init` (Intercept's YAML spelling).",
        "# Edit it, then check it with:  odoo-mcp policy check THIS_FILE",
        "# Tools not listed here are refused (default: deny).",
        'version: "1"',
        "default: deny",
        "tools:",
    ]
    for tool in sorted(tools, key=lambda t: t.name):
        kind = _class_of(tool, allowed)
        summary = tool.description.splitlines()[0][:90] if tool.description else ""
        lines.append(f"  # {tool.name}: {tool.risk}{' — ' + summary if summary else ''}")
        lines.append(f"  {tool.name}:")
        if kind == "meta":
            lines.append("    rules: []  # lets the agent see what it may do")
        elif kind == "read":
            lines += ["    rules:", "      - name: reads a minute", f"        rate_limit: {READS_PER_MINUTE}/minute"]
        elif kind == "write":
            lines.append("    rules:")
            for condition in _write_conditions(tool):
                op = {"in": "not_in", "len_gt": "len_lte"}[str(condition["op"])]
                why = f"refused by the starting policy: {condition['path']} must be {op}"
                lines += [
                    f"      - name: {'no security models' if op == 'not_in' else f'at most {MAX_IDS} records'}",
                    "        conditions:",
                    f"          - path: {condition['path']}",
                    f"            op: {op}",
                    f"            value: {_yaml_value(condition['value'])}",
                    f"        on_deny: {_yaml_value(why)}",
                ]
            lines += ["      - name: writes a minute", f"        rate_limit: {WRITES_PER_MINUTE}/minute"]
        elif kind == "approval":
            lines += [
                "    # Intercept's YAML has no approval step: denied here. The JSON spelling",
                "    # (policy init --format json) has this tool ask a human for each call instead.",
                "    rules:",
                "      - name: needs a human",
                "        action: deny",
                f"        on_deny: {_yaml_value(f'{tool.name} needs a human: it is destructive or changes modules')}",
            ]
        else:
            lines += [
                "    # Touches the server's files or git checkouts: enable it by name (policy init --allow NAME).",
                "    rules:",
                "      - name: filesystem and git tools are off",
                "        action: deny",
                f"        on_deny: {_yaml_value(f'{tool.name} touches files or git checkouts; not enabled')}",
            ]
    return "\n".join(lines) + "\n"


def catalogue_tools(extra: Iterable[ToolInfo] = ()) -> list[ToolInfo]:
    """This server's catalogue (and mounted tools) as the generator sees them."""
    # the catalogue (~0.55 s measured): only when `policy init` runs, not for every `odoo-mcp` command
    from guard.guard import path_fields
    from odoo_mcp.families import all_specs

    found = []
    for spec in all_specs():
        schema = spec.args.model_json_schema()
        found.append(
            ToolInfo(
                name=spec.name,
                risk=spec.risk.value,
                family=spec.family,
                touches_files=bool(path_fields(spec)),
                required=tuple(schema.get("required") or ()),
                description=spec.description,
            )
        )
    return [*found, *extra]
