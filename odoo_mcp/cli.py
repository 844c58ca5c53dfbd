"""`odoo-mcp`: serve, check and explain policies, list the tool catalogue, run the demo.

Every command writes its own output to stdout except `serve`, whose stdout is the MCP
stdio transport: there, everything else (errors, audit) goes to stderr or a file.

The imports inside this module's functions are there for start-up cost, measured (best of five
`import` timings on the shared 2-core machine, 2026-12-07): this module alone ~0.41 s; the tool
catalogue (`odoo_mcp.families`) adds ~0.55 s, the MCP server and SDK (`odoo_mcp.server`) ~1.4 s,
HTTP with OAuth (`http.app`, uvicorn, `oauth.app`) ~1.06 s. So `policy check`, `audit verify` or
`approvals list` load none of those, and a stdio `serve` never loads HTTP; each command imports
what it uses where it uses it. Cold start as a whole: `bench/bench_cold_start.py`.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guard import Policy, PolicyError, decide, load_policy
from guard.audit import AuditUnavailable
from guard.limiter import UnsupportedStorage
from guard.spec import ToolSpec
from odoo_mcp import __version__
from odoo_mcp.approvals.cli import add_commands as add_approval_commands
from odoo_mcp.commands.audit import add_commands as add_audit_commands
from odoo_mcp.commands.policy import add_commands as add_policy_commands
from odoo_mcp.config import ConfigError, Settings
from odoo_mcp.grants import GrantsFile, read_grants
from odoo_mcp.reload import PolicyReloader, grant_policies, reload_interval

if TYPE_CHECKING:  # the HTTP modules import the MCP SDK: loaded only when --http is given (cold start)
    from odoo_mcp.http.app import HttpSecurity

EXIT_BAD_CONFIG = 2
TRUE = frozenset({"1", "true", "yes"})


def refuse_to_start(problem: Exception) -> int:
    """Fail closed: say in one line what to change, on stderr (stdout is the transport); exit EXIT_BAD_CONFIG."""
    from odoo_mcp.startup import refusal_line

    print(refusal_line(problem), file=sys.stderr)
    return EXIT_BAD_CONFIG


def run_server(
    settings: Settings, extra_specs: Sequence[ToolSpec] = (), http: HttpOptions | None = None, mounts: Any = None,
    handoff: Any = None,
) -> int:
    """Load the policy (fail closed), build the guarded server and serve stdio (or HTTP) until stopped."""
    from odoo_mcp.assembly import build_guard  # without the MCP SDK: see odoo_mcp/wire/stdio.py
    from odoo_mcp.startup import audit_unwritable, check_directories, start_line

    mount_names = mounts.names if mounts is not None else []
    if mounts is not None:
        mounts.start()  # a mount that fails is reported below, never fatal
        extra_specs = [*extra_specs, *mounts.specs()]
    try:
        policy = load_policy(settings.policy_path)
        check_names(policy, str(settings.policy_path), [spec.name for spec in extra_specs], mounts=mount_names)
        settings.odoo  # noqa: B018 - parsed here: a bad ODOO_* / CONNECTIONS_FILE stops the start, not the first call
        check_directories(settings)  # a missing folder stops the start, not the first call
        grants = read_grants(http.tokens) if http is not None and http.tokens else GrantsFile()
        digests = grants.digests
        oauth_config = None
        if http is not None and http.oauth is not None:
            from odoo_mcp.oauth import read_oauth

            oauth_config = read_oauth(http.oauth)
        loader = checked_loader([spec.name for spec in extra_specs], mount_names)
        own_policies = {**grants.policies, **(oauth_config.policy_files if oauth_config else {})}
        policies, sources = grant_policies(policy, settings.policy_path, own_policies, loader)
        interval = reload_interval(settings.env)
        approvers = None
        if http is not None and http.approver_tokens:
            from odoo_mcp.http.auth import load_grants

            approvers = load_grants(http.approver_tokens, "approvers")
        if approvers and set(approvers) & set(digests):
            raise ConfigError("an approver token is also a grant's token: an agent could approve its own calls")
        try:
            guard, runtime = build_guard(settings, policies, extra_specs)
            guard.audit.start()  # a sink that cannot be written stops the start (/dev/full), not every call
        except (OSError, AuditUnavailable) as exc:
            raise audit_unwritable(settings, exc) from exc
        oauth = None
        if oauth_config is not None:
            from odoo_mcp.oauth import build_oauth
            from tools.odoo_kit import SIGNED_IN

            oauth = build_oauth(oauth_config, settings, guard.policies, guard.limiter, guard.audit, digests.values())
            runtime.service(SIGNED_IN, lambda _runtime: oauth.people)  # people's calls run as themselves
    except (PolicyError, ConfigError, UnsupportedStorage) as exc:
        if mounts is not None:
            mounts.close()
        return refuse_to_start(exc)
    for note in policy.notes:
        print(f"odoo-mcp: policy {settings.policy_path}: {note}", file=sys.stderr)
    for grant, path in grants.policies.items():
        for note in policies.for_grant(grant).notes:
            print(f"odoo-mcp: policy {path} (grant {grant}): {note}", file=sys.stderr)
    if mounts is not None:
        from odoo_mcp.mounts import report_mounts

        report_mounts(mounts, guard.audit)
    reloader = PolicyReloader(policies, sources, loader, guard.audit, tools=guard.tools)
    reloader.start(interval)
    url = f"http://{http.host}:{http.port}/mcp" if http else None
    print(start_line(settings, guard, http_url=url), file=sys.stderr, flush=True)

    def make_server() -> Any:
        from odoo_mcp.server import build_server

        server = build_server(guard, grant=settings.grant)
        gc.freeze()  # start-up objects (modules, schemas, the catalogue) are never garbage: keep GC passes short
        return server

    server = make_server() if http is not None else None  # stdio: built once initialize and tools/list are answered
    guard.audit.record(
        "server_start",
        transport="streamable-http" if http else "stdio",
        policy=str(settings.policy_path),
        default=policy.default,
        tools=len(guard.tools),
        visible=len(guard.listed()),
        grants=sorted(set(digests.values())) if http else [settings.grant],
        limits_storage=settings.limits_storage.split("://")[0] + "://",
        approvals="out_of_band" if settings.approvals.out_of_band else "client",
        approvals_store=type(guard.approvals.store).__name__,
        approvals_endpoint=bool(http and http.approver_tokens),
        mode=policy.mode,
        grant_policies={grant: str(path) for grant, path in own_policies.items()},
        oauth=oauth_config.issuer if oauth_config else None,
        policy_reload_s=interval,
        stateless=bool(http and http.security and http.security.stateless),
    )
    gc.freeze()  # start-up objects (modules, schemas, the catalogue) are never garbage: keep GC passes short
    try:
        if http is None:
            from odoo_mcp.wire.stdio import run_stdio

            early = settings.env.get("ODOO_MCP_EARLY_ANSWERS", "1") != "0"
            if handoff is not None and handoff.key is not None:  # kept now: a client may close the session soon
                remember_listing(handoff, guard, settings.env)
            fast = settings.env.get("ODOO_MCP_FAST_CALLS", "1") != "0"
            run_stdio(guard, make_server, early=early, handoff=handoff, fast=fast)  # the SDK's stdio, no thread hops
        else:
            serve_http(server, http, digests, guard.audit, guard.approvals, approvers, oauth)
    finally:
        if oauth is not None:
            oauth.close()
        reloader.stop()
        if mounts is not None:
            mounts.close()
        runtime.close()
        guard.audit.record("server_stop")
        guard.audit.close()
    return 0


def remember_listing(handoff: Any, guard: Any, env: Any) -> None:
    """Keep the list this start serves for the next start with the same inputs (`listing_cache`)."""
    from odoo_mcp.wire.fast_start import early_tools_list
    from odoo_mcp.wire.listing_cache import store

    tools = early_tools_list(guard)
    if handoff.entry is None or handoff.entry.get("tools") != tools:
        store(handoff.key, env, tools)


@dataclass(frozen=True)
class HttpOptions:
    host: str
    port: int
    tokens: Path | None
    security: HttpSecurity | None = None
    approver_tokens: Path | None = None
    oauth: Path | None = None


def serve_http(
    server: Any,
    options: HttpOptions,
    digests: dict[str, str],
    audit: Any = None,
    approvals: Any = None,
    approvers: dict[str, str] | None = None,
    oauth: Any = None,
) -> None:
    """Streamable HTTP behind the bearer-token and session gates, on uvicorn (logs to stderr).

    `/approvals…` is answered by the approvals endpoint with the approvers' own tokens,
    before the grants' middleware sees the request; with OAuth, its routes (odoo_mcp/oauth/app.py)
    come first, and OAuth access tokens open /mcp and /approvals beside the files' tokens.
    """
    import uvicorn

    from odoo_mcp.approvals.http import ApprovalsEndpoint
    from odoo_mcp.http.app import HttpSecurity, build_http_app

    app: Any = build_http_app(server, options.host, digests, options.security or HttpSecurity(), audit,
                              oauth.tools if oauth else None)
    if approvals is not None:
        app = ApprovalsEndpoint(app, approvals, approvers, oauth.approvals if oauth else None)
    if oauth is not None:
        from odoo_mcp.oauth import OAuthRoutes

        app = OAuthRoutes(app, oauth)
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning")


def _serve(args: argparse.Namespace) -> int:
    try:
        settings = Settings.load(policy=args.policy, audit_log=args.audit_log)
        http = None
        if args.http:
            tokens = args.tokens or settings.env.get("ODOO_MCP_HTTP_TOKENS")
            oauth = args.oauth or settings.env.get("ODOO_MCP_OAUTH")
            if not tokens and not oauth:
                raise ConfigError(
                    "--http needs --tokens FILE (or ODOO_MCP_HTTP_TOKENS) or --oauth FILE (or ODOO_MCP_OAUTH): "
                    "no token, no access"
                )
            from odoo_mcp.http.app import HttpSecurity, parse_allowed_hosts, parse_session_cap

            security = HttpSecurity(
                allowed_hosts=parse_allowed_hosts(
                    args.allowed_hosts or settings.env.get("ODOO_MCP_HTTP_ALLOWED_HOSTS")
                ),
                max_sessions_per_grant=parse_session_cap(
                    args.max_sessions_per_grant or settings.env.get("ODOO_MCP_HTTP_MAX_SESSIONS_PER_GRANT")
                ),
                stateless=args.stateless or settings.env.get("ODOO_MCP_HTTP_STATELESS", "").lower() in TRUE,
            )
            approvers = args.approver_tokens or settings.env.get("ODOO_MCP_APPROVER_TOKENS")
            http = HttpOptions(args.host, args.port, Path(tokens) if tokens else None, security,
                               Path(approvers) if approvers else None, Path(oauth) if oauth else None)
        mounts = None
        if args.mount or args.mounts or settings.env.get("ODOO_MCP_MOUNTS"):
            from odoo_mcp.mounts import Mounts, mount_configs  # jsonschema: loaded only when mounts are configured

            configs = mount_configs(args.mount, args.mounts or settings.env.get("ODOO_MCP_MOUNTS"))
            mounts = Mounts(configs, env=settings.env) if configs else None
    except ConfigError as exc:
        return refuse_to_start(exc)
    return run_server(settings, http=http, mounts=mounts, handoff=getattr(args, "handoff", None))


def checked_loader(extra_names: Sequence[str] = (), mounts: Sequence[str] = ()) -> Any:
    """A policy file → `Policy`, validated as at start-up (schema and tool names); for reloads too."""

    def load(path: Path) -> Policy:
        policy = load_policy(path)
        check_names(policy, str(path), extra_names, warn=False, mounts=mounts)
        return policy

    return load


def check_names(
    policy: Policy, source: str, extra_names: Sequence[str] = (), *, warn: bool = True, mounts: Sequence[str] = ()
) -> list[str]:
    """Fail closed on a tool name this server does not have (with a suggestion); warn, in one line
    each on stderr, about upstream names this server does not implement (the warnings are returned)."""
    from odoo_mcp.families import all_specs
    from odoo_mcp.policy_names import check_tool_names
    from tools.odoo_kit.sensitive_rules import opt_in_problems

    report = check_tool_names(policy, [*(spec.name for spec in all_specs()), *extra_names], mounts)
    report.problems += opt_in_problems(policy.sensitive)  # Odoo's sensitive names, as the policy opts in to them
    if warn:
        for warning in report.warnings:
            print(f"odoo-mcp: warning: {source}: {warning}", file=sys.stderr)
    if report.problems:
        raise PolicyError(source, report.problems)
    return report.warnings


def _report_invalid(exc: PolicyError) -> None:
    print(f"{exc.source}: INVALID ({len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''})")
    for problem in exc.problems:
        print(f"  - {problem}")


def _load_or_report(path: str, mounts: Sequence[str] = (), warnings: list[str] | None = None) -> Policy | None:
    try:
        policy = load_policy(Path(path))
        said = check_names(policy, path, mounts=mounts)
    except PolicyError as exc:
        _report_invalid(exc)
        return None
    if warnings is not None:
        warnings += said
    return policy


def _policy_check(args: argparse.Namespace) -> int:
    warnings: list[str] = []
    policy = _load_or_report(args.file, [mount.partition("=")[0] for mount in args.mount], warnings)
    if policy is None:
        return 1
    print(f"{args.file}: OK (version {policy.version}, default {policy.default})")
    for note in policy.notes:
        print(f"  note: {note}")
    for warning in warnings:
        print(f"  warning: {warning}")
    for name, rule in sorted(policy.tools.items()):
        parts = [rule.action]
        if rule.require:
            parts.append(f"{len(rule.require)} require")
        if rule.deny_if:
            parts.append(f"{len(rule.deny_if)} deny_if")
        for limit in rule.own_limits(name):
            parts.append(f"{limit.counter}: {limit.max}/{limit.window_label} ({limit.scope})")
        for item in rule.rules:
            parts.append(f"rule {item.name!r} ({item.action}{', ' + item.rate_limit if item.rate_limit else ''})")
        print(f"  {name if name != '*' else '* (every tool)'}: {', '.join(parts)}")
    for limit in policy.all_tools.limits:
        print(f"  all tools: {limit.counter}: {limit.max}/{limit.window_label} ({limit.scope})")
    if policy.hide:
        print(f"  hidden: {', '.join(policy.hide)}")
    return 0


def _explain_tool(policy: Policy, tool: str, known: bool) -> int:
    """Without --args: the tool-level decision, and the conditions a call must then meet, in words."""
    from guard.decisions import plan_for
    from guard.wording import condition_words

    decision = decide(policy, tool, None, known=known)
    print(f"{tool}: {decision.verdict.value.upper()} (rule: {decision.rule})")
    if decision.reason:
        print(f"  reason: {decision.reason}")
    if not decision.allowed:
        return 3
    plan = plan_for(policy, tool)
    if plan.approval is not None:
        print(f"  every call needs a human's approval ({plan.approval.rule})")
    for check in plan.checks:
        words = " and ".join(condition_words(condition) for condition in check.conditions)
        print(f"  {'refused when' if check.denies_when_true else 'allowed only when'} {words} ({check.rule})")
    if plan.checks:
        print("  (pass --args '{...}' to decide one call)")
    for limit in policy.limits_for(tool):
        print(f"  counts against {limit.counter}: {limit.max} per {limit.window_label} ({limit.scope})")
    for counter in plan.counters:
        cap = "no limit" if counter.cap is None else f"{counter.cap} per {counter.window}"
        print(f"  counts against {counter.path}: {cap} (UTC, {counter.scope})")
    return 0


def _policy_explain(args: argparse.Namespace) -> int:
    policy = _load_or_report(args.file)
    if policy is None:
        return 1
    from guard.guard import format_validation
    from odoo_mcp.families import all_specs

    specs = {spec.name: spec for spec in all_specs()}
    spec = specs.get(args.tool)
    if args.args is None:
        return _explain_tool(policy, args.tool, spec is not None)
    try:
        arguments = json.loads(args.args)
    except json.JSONDecodeError as exc:
        print(f"--args is not JSON: {exc.msg}")
        return 1
    if not isinstance(arguments, dict):
        print('--args must be a JSON object of named arguments, e.g. \'{"modules": ["sign"]}\'')
        return 1
    decision = decide(policy, args.tool, None, known=spec is not None)
    if decision.allowed and spec is not None:
        from pydantic import ValidationError

        try:
            validated = spec.args.model_validate(arguments).model_dump(mode="json")
        except ValidationError as exc:
            print(f"INVALID ARGUMENTS: {format_validation(exc)}")
            return 1
        decision = decide(policy, args.tool, validated)
    print(f"{args.tool}: {decision.verdict.value.upper()} (rule: {decision.rule})")
    if decision.reason:
        print(f"  reason: {decision.reason}")
    if decision.allowed:
        for limit in policy.limits_for(args.tool):
            print(f"  counts against {limit.counter}: {limit.max} per {limit.window_label} ({limit.scope})")
        from guard.decisions import plan_for

        for counter in plan_for(policy, args.tool).counters:
            cap = "no limit" if counter.cap is None else f"{counter.cap} per {counter.window}"
            print(f"  counts against {counter.path}: {cap} (UTC, {counter.scope})")
    return 0 if decision.allowed else 3


def _policy_schema(_args: argparse.Namespace) -> int:
    print(json.dumps(Policy.model_json_schema(), indent=2))
    return 0


def _tools(args: argparse.Namespace) -> int:
    """The catalogue with whole descriptions (wrapped, never cut), or as JSON with them."""
    import textwrap

    from odoo_mcp.families import all_specs

    specs = all_specs()
    if args.json:
        entries = [
            {"name": s.name, "family": s.family, "risk": s.risk.value, "description": " ".join(s.description.split())}
            for s in specs
        ]
        print(json.dumps(entries, indent=1))
        return 0
    print(f"{len(specs)} tools (name, family, risk class, description)")
    for spec in specs:
        print(f"\n{spec.name}  [{spec.family}, {spec.risk.value}]")
        print(textwrap.fill(" ".join(spec.description.split()), 100, initial_indent="    ", subsequent_indent="    "))
    print("\n" + upstream_summary(spec.name for spec in specs))
    return 0


def upstream_summary(served: Iterable[str]) -> str:
    """How much of upstream's tool surface this server serves, family by family (what a migrating
    user asks first: will my prompts and policies find their tools here?)."""
    from odoo_mcp.policy_names import upstream_coverage

    coverage = upstream_coverage(served)
    complete = sum(have == total for _, have, total in coverage)
    lines = [f"upstream Odoo Claude MCP families present: {complete} of {len(coverage)}"]
    lines += [f"  {family}: {have}/{total}" for family, have, total in coverage]
    return "\n".join(lines)


def _demo(args: argparse.Namespace) -> int:
    from odoo_mcp.commands.demo import run_demo

    return run_demo(verbose=args.verbose)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="odoo-mcp", description="A policy-guarded MCP server for Odoo.")
    main.add_argument("--version", action="version", version=f"odoo-mcp {__version__}")
    commands = main.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve MCP over stdio (default) or streamable HTTP")
    serve.add_argument("--policy", help="policy.json, or Intercept's policy.yaml (or ODOO_MCP_POLICY)")
    serve.add_argument("--audit-log", help="audit JSON-lines file (or ODOO_MCP_AUDIT_LOG)")
    serve.add_argument("--http", action="store_true", help="serve streamable HTTP at http://HOST:PORT/mcp")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765)")
    serve.add_argument("--tokens", help="JSON file of bearer tokens per grant (or ODOO_MCP_HTTP_TOKENS)")
    serve.add_argument(
        "--oauth",
        help="HTTP: JSON file of the OAuth sign-in (or ODOO_MCP_OAUTH): people sign in with their Odoo login; "
        "see docs/teams.md",
    )
    serve.add_argument(
        "--approver-tokens",
        help="JSON file of approver tokens for the /approvals endpoint (or ODOO_MCP_APPROVER_TOKENS)",
    )
    serve.add_argument(
        "--allowed-hosts",
        help="HTTP: Host values accepted, comma separated, host:port or host:* (or ODOO_MCP_HTTP_ALLOWED_HOSTS); "
        "default: the bind address and the loopback names",
    )
    serve.add_argument(
        "--max-sessions-per-grant",
        help="HTTP: open MCP sessions one grant may hold (or ODOO_MCP_HTTP_MAX_SESSIONS_PER_GRANT; default 16)",
    )
    serve.add_argument(
        "--stateless",
        action="store_true",
        help="HTTP: no MCP sessions (for load balancers without session affinity); the session scope "
        "is the grant (or ODOO_MCP_HTTP_STATELESS=1)",
    )
    serve.add_argument(
        "--mount",
        action="append",
        default=[],
        metavar="NAME=COMMAND",
        help="start another MCP server (stdio command, or an http(s) URL) and expose its tools as NAME__tool "
        "behind this server's guard; repeatable",
    )
    serve.add_argument("--mounts", help="JSON file of mounts (or ODOO_MCP_MOUNTS); see docs/teams.md")
    serve.set_defaults(run=_serve)

    add_approval_commands(commands)
    add_audit_commands(commands)

    policy = commands.add_parser("policy", help="check, explain or describe policies").add_subparsers(
        dest="policy_command", required=True
    )
    check = policy.add_parser("check", help="validate a policy and summarise it")
    check.add_argument("file")
    check.add_argument(
        "--mount", action="append", default=[], metavar="NAME",
        help="a mount the server will have: its NAME__tool names are accepted (with a warning)",
    )  # fmt: skip
    check.set_defaults(run=_policy_check)
    explain = policy.add_parser("explain", help="what the policy decides for one call, without calling anything")
    explain.add_argument("file")
    explain.add_argument("tool")
    explain.add_argument("--args", help="the call's arguments as a JSON object (without: the tool-level decision)")
    explain.set_defaults(run=_policy_explain)
    schema = policy.add_parser("schema", help="print the policy's JSON Schema")
    schema.set_defaults(run=_policy_schema)
    add_policy_commands(policy)

    catalogue = commands.add_parser("tools", help="the tool catalogue: name, family, risk class, description")
    catalogue.add_argument("--json", action="store_true")
    catalogue.set_defaults(run=_tools)

    demo = commands.add_parser("demo", help="drive the server with the real MCP client on the stub addons")
    demo.add_argument("--verbose", action="store_true", help="print every audit record in full")
    demo.set_defaults(run=_demo)
    return main


def main(argv: Sequence[str] | None = None, handoff: Any = None) -> int:
    """`handoff`: what the launcher (`odoo_mcp.launch`) answered before this module was imported."""
    args = parser().parse_args(argv)
    args.handoff = handoff
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
