"""`odoo-mcp policy init` and `odoo-mcp policy replay`: the team commands under `policy`.

Kept out of cli.py (one hook line there): init writes a starting policy from the catalogue
(odoo_mcp/commands/policy_init.py), replay re-decides a recorded audit log under a candidate policy
(replay.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from guard import PolicyError, load_policy
from odoo_mcp.commands.policy_examples import write_example
from odoo_mcp.commands.policy_init import ToolInfo, catalogue_tools, render_json, render_yaml
from odoo_mcp.commands.replay import replay
from odoo_mcp.config import ConfigError


def _mounted_tools(args: argparse.Namespace) -> list[ToolInfo]:
    """Start the mounts named on the command line, read their tools' risk classes, stop them."""
    from odoo_mcp.mounts import Mounts, mount_configs  # the mounts and the MCP client: only with --mount

    configs = mount_configs(args.mount, args.mounts)
    if not configs:
        return []
    mounts = Mounts(configs)
    mounts.start()
    try:
        for name, why in mounts.failed.items():
            print(f"policy init: mount {name} did not start ({why}); its tools are not in the policy", file=sys.stderr)
        for name, skipped in mounts.skipped.items():
            for tool, why in skipped.items():
                print(f"policy init: mount {name}: tool {tool} left out ({why})", file=sys.stderr)
        return [
            ToolInfo(tool.name, tool.risk_label, tool.spec.family, False,
                     tuple(tool.spec.args.model_json_schema().get("required") or ()), tool.spec.description)
            for tool in mounts.tools
        ]  # fmt: skip
    finally:
        mounts.close()


def _init(args: argparse.Namespace) -> int:
    if args.example is not None:  # a shipped example instead of a generated policy
        return write_example(args.example, args.output)
    try:
        tools = catalogue_tools(_mounted_tools(args))
    except ConfigError as exc:
        print(f"policy init: {exc}", file=sys.stderr)
        return 2
    names = {tool.name for tool in tools}
    unknown = [name for name in args.allow if name not in names]
    if unknown:
        print(f"policy init: --allow {unknown[0]}: no such tool", file=sys.stderr)
        return 2
    fmt = args.format or ("yaml" if args.output and args.output.lower().endswith((".yaml", ".yml")) else "json")
    text = render_yaml(tools, args.allow) if fmt == "yaml" else render_json(tools, args.allow)
    if not args.output or args.output == "-":
        sys.stdout.write(text)
        return 0
    path = Path(args.output)
    try:
        with path.open("x", encoding="utf-8") as handle:  # never overwrite an edited policy
            handle.write(text)
    except FileExistsError:
        print(f"policy init: {path} exists; not overwritten", file=sys.stderr)
        return 1
    print(f"wrote {path} ({fmt}); check it with: odoo-mcp policy check {path}")
    return 0


def _read_records(path: Path) -> list[dict[str, Any]]:
    records = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line torn by a crash: the audit ends it, replay skips it
            if isinstance(record, dict):
                records.append(record)
    return records


def _normaliser() -> Any:
    from odoo_mcp.families import all_specs  # the catalogue (~0.55 s): only for `policy replay`

    specs = {spec.name: spec for spec in all_specs()}

    def normalise(tool: str, arguments: Mapping[str, Any]) -> Mapping[str, Any]:
        spec = specs.get(tool)
        if spec is None:
            return arguments
        try:
            return spec.args.model_validate(dict(arguments)).model_dump(mode="json")
        except (ValidationError, RecursionError):
            return arguments  # redacted values may not validate: decide on them as recorded

    return normalise, specs


def _replay(args: argparse.Namespace) -> int:
    try:
        policy = load_policy(Path(args.policy))
    except PolicyError as exc:
        print(f"{exc.source}: INVALID", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    try:
        records = _read_records(Path(args.audit))
    except OSError as exc:
        print(f"policy replay: {args.audit}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    normalise, specs = _normaliser()
    seen_unknown = {r.get("tool") for r in records if r.get("rule") == "unknown"}
    recorded = {r.get("tool") for r in records if r.get("event") == "tool_call"} - seen_unknown
    report = replay(policy, records, known=lambda name: name in specs or name in recorded, normalise=normalise)
    if args.json:
        print(
            json.dumps(
                {
                    "total": report.total,
                    "unchanged": report.unchanged,
                    "skipped": report.skipped,
                    "changes": [
                        {
                            "record": c.call.index,
                            "tool": c.call.tool,
                            "grant": c.call.grant,
                            "session": c.call.session,
                            "before": c.call.before,
                            "before_rule": c.call.before_rule,
                            "after": c.after,
                            "after_rule": c.after_rule,
                        }
                        for c in report.changes
                    ],
                },
                indent=1,
            )
        )
    else:
        print(report.render(args.examples))
    return 0


def add_commands(policy: Any) -> None:
    """Add `init` and `replay` to the `policy` subcommands."""
    init = policy.add_parser("init", help="write a starting policy from the tool catalogue's risk classes")
    init.add_argument("output", nargs="?", help="file to write (.json or .yaml); default: stdout")
    init.add_argument("--format", choices=["json", "yaml"], help="default: from the file name, else json")
    init.add_argument(
        "--allow", action="append", default=[], metavar="NAME", help="enable a filesystem/git tool by name"
    )
    init.add_argument("--mount", action="append", default=[], metavar="NAME=COMMAND",
                      help="include a mounted MCP server's tools (as serve --mount)")  # fmt: skip
    init.add_argument("--mounts", help="include the tools of a mounts file's servers")
    init.add_argument(
        "--example", nargs="?", const="", metavar="NAME",
        help="write a shipped example policy instead (without NAME: list them)",
    )  # fmt: skip
    init.set_defaults(run=_init)
    rerun = policy.add_parser("replay", help="what a candidate policy would have decided on an audit log's calls")
    rerun.add_argument("policy", help="the candidate policy (JSON or Intercept YAML)")
    rerun.add_argument("audit", help="the audit JSON-lines file the server wrote")
    rerun.add_argument("--examples", type=int, default=3, help="examples shown per change (default 3)")
    rerun.add_argument("--json", action="store_true", help="every change as JSON")
    rerun.set_defaults(run=_replay)
