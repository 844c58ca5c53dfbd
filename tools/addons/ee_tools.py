"""The Enterprise tools (upstream `ee-mcp`), each behind the guard, each confined to its roots.

`branch`, `mode` and `instance` keep upstream's meaning: `mode="direct"` works on the
configured checkout (ODOO_MCP_EE_DIR), `mode="buffered"` on `<ODOO_MCP_EE_BUFFER_DIR>/<instance>`.
For read and link tools `branch` is accepted for compatibility and only echoed: the
checkout on disk is what it is; git tools use it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from guard.spec import Call, NotConfigured, Risk, ToolArgs, ToolFailure
from tools.addons import deploy, git_tools
from tools.addons.graph import classified, dependencies
from tools.addons.index import Folded
from tools.addons.link_ops import check_sources, link_modules, target_for, unlink_modules
from tools.addons.names import BranchName, InstanceName, Mode, ModuleName, TargetDir
from tools.addons.overlap import conflicts, recommend
from tools.addons.service import addons_index, addons_settings, ee_scan, optional_oca_scan, shadowing, universe
from tools.registry import tool

Token = Field(
    default=None,
    pattern=r"^[A-Za-z0-9_.~+/=-]{1,512}$",
    description="A GitHub token; default GITHUB_TOKEN.",
)


class CheckoutArgs(ToolArgs):
    """Which Enterprise checkout: the direct one or a buffered instance."""

    branch: BranchName | None = Field(default=None, description="Accepted for compatibility; echoed only.")
    mode: Mode = Field(default="direct", description="direct: ODOO_MCP_EE_DIR; buffered: a buffer instance.")
    instance: InstanceName | None = Field(default=None, description="Buffered instance (mode=buffered).")


class EeModulesArgs(CheckoutArgs):
    filter: str | None = Field(default=None, max_length=200, description="Keyword in name, technical name, summary.")
    category: str | None = Field(default=None, max_length=200, description="Category prefix, e.g. Accounting.")
    country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$", description="ISO country code, e.g. be.")
    apps_only: bool = Field(default=False, description="Only modules with application=True.")
    limit: int = Field(default=2000, ge=1, le=10000, description="At most this many modules in the answer.")


@tool("ee_modules", family="enterprise", risk=Risk.READ, args=EeModulesArgs, idempotent=True)
def ee_modules(args: EeModulesArgs, call: Call) -> dict[str, Any]:
    """List the Enterprise modules of the checkout (parsed from manifests, never executed), with
    filters: keyword (`filter`), category prefix, country code, `apps_only`. Broken manifests and
    entries that resolve outside the checkout are listed under `problems`, the rest still answer."""
    scan = ee_scan(call, args.mode, args.instance)
    modules: list[dict[str, Any]] | tuple[dict[str, Any], ...] = scan.summaries
    if args.filter or args.category:
        needle, prefix = (args.filter or "").casefold(), (args.category or "").casefold()
        modules = [
            m for m, f in zip(modules, scan.folded, strict=True)
            if (needle in f.module or needle in f.name or needle in f.summary) and f.category.startswith(prefix)
        ]
    if args.country:
        code = args.country.lower()
        modules = [m for m in modules if code in m["countries"]]
    if args.apps_only:
        modules = [m for m in modules if m["application"]]
    return {
        "checkout": str(scan.root),
        "count": len(modules),
        "modules": list(modules[: args.limit]),
        "problems": list(scan.problems),
    }


class EeSearchArgs(CheckoutArgs):
    query: str = Field(min_length=1, max_length=200, description="Words to look for (all must match).")
    limit: int = Field(default=50, ge=1, le=1000, description="At most this many results.")


def _score(folded: Folded, words: list[str]) -> int:
    fields = (
        (folded.module, 8),
        (folded.name, 5),
        (folded.summary, 3),
        (folded.category, 2),
        (folded.description, 1),
    )
    total = 0
    for word in words:
        hits = sum(weight for text, weight in fields if word in text)
        if not hits:
            return 0
        total += hits + (10 if folded.module == word else 0)
    return total


@tool("ee_search", family="enterprise", risk=Risk.READ, args=EeSearchArgs, idempotent=True)
def ee_search(args: EeSearchArgs, call: Call) -> dict[str, Any]:
    """Search Enterprise modules by words in their technical name, name, summary, category and
    description; results are ranked (technical-name matches first)."""
    scan = ee_scan(call, args.mode, args.instance)
    words = [w for w in args.query.casefold().split() if w]
    if not words:
        raise ToolFailure("query has no words")
    ranked = []
    for summary, folded in zip(scan.summaries, scan.folded, strict=True):
        score = _score(folded, words)
        if score:
            ranked.append((score, folded.module, summary))
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return {
        "query": args.query,
        "count": len(ranked),
        "results": [dict(summary, score=score) for score, _, summary in ranked[: args.limit]],
    }


class EeDependsArgs(CheckoutArgs):
    module: ModuleName


@tool("ee_depends", family="enterprise", risk=Risk.READ, args=EeDependsArgs, idempotent=True)
def ee_depends(args: EeDependsArgs, call: Call) -> dict[str, Any]:
    """Full dependency tree of an Enterprise module across the addons paths Odoo would see
    (Enterprise, community dirs, OCA): dependencies split by source, missing ones, broken
    manifests, cycles, and an install order (dependencies first)."""
    scan = ee_scan(call, args.mode, args.instance)
    if args.module not in scan.by_name:
        raise ToolFailure(f"{args.module}: no such module in the Enterprise checkout")
    return dependencies(universe(call, scan), args.module, addons_settings(call).branch).as_dict()


class EeLinkArgs(CheckoutArgs):
    modules: list[ModuleName] = Field(
        min_length=1, max_length=50, description="Enterprise modules to link (technical names)."
    )
    target_dir: TargetDir | None = None
    with_depends: bool = Field(
        default=False, description="Also link the Enterprise modules these depend on (community deps are reported)."
    )


def _link_plan(args: EeLinkArgs, call: Call) -> tuple[Any, Any, list[str], dict[str, Any], list[str]]:
    """The checkout scan, the target, the modules to link (dependencies first), the dependency report,
    and the Enterprise dependencies added: what `ee_link` would do, computed without touching anything."""
    scan = ee_scan(call, args.mode, args.instance)
    target = target_for(call, args.target_dir, scan.root)
    names = list(dict.fromkeys(args.modules))
    report: dict[str, Any] = {}
    added: list[str] = []
    if args.with_depends:
        world = universe(call, scan)
        ordered: list[str] = []
        missing: set[str] = set()
        core: dict[str, set[str]] = {"core_ce": set(), "core_ee": set()}
        cycles: list[list[str]] = []
        for name in names:
            if name not in scan.by_name:
                continue  # refused below with the others
            deps = dependencies(world, name, addons_settings(call).branch)
            ordered += [n for n in deps.install_order if deps.located[n].source == "enterprise"]
            missing.update(deps.by_source.get("missing", []))
            for kind, found in core.items():
                found.update(deps.by_source.get(kind, []))
            cycles += [c for c in deps.cycles if c not in cycles]
        added = [n for n in dict.fromkeys(ordered) if n not in names]
        names = list(dict.fromkeys([*ordered, *names]))
        report = {"missing_dependencies": sorted(missing), "core_dependencies": sorted(core["core_ce"]),
                  "core_enterprise_dependencies": sorted(core["core_ee"]), "cycles": cycles}
    return scan, target, names, report, added


def ee_link_preview(args: EeLinkArgs, call: Call) -> dict[str, Any]:
    """For the approval question: the modules that would be linked, and where."""
    _scan, target, names, report, added = _link_plan(args, call)
    return {"target": f"{target.name} ({target.path})", "modules_linked": names, "dependencies_added": added, **report}


@tool("ee_link", family="enterprise", risk=Risk.WRITE, args=EeLinkArgs, idempotent=False, open_world=False,
      preview=ee_link_preview)
def ee_link(args: EeLinkArgs, call: Call) -> dict[str, Any]:
    """Link Enterprise modules into a configured addons target (selective install). Only real
    modules inside the checkout are linked; an existing folder or a link pointing elsewhere is
    a conflict, never replaced; a module already on Odoo's path (community, OCA) is a conflict,
    never shadowed. All or nothing: if one module is refused, none is linked."""
    scan, target, names, report, _added = _link_plan(args, call)
    sources = check_sources({name: scan.get(name) or next(iter(scan.by_name.get(name, ())), None)
                             for name in names}, scan.root, "Enterprise")
    shadows = {name: why for name in sources if (why := shadowing(call, name))}
    result = link_modules(target, sources, shadows)
    return {**result, **report}


class EeUnlinkArgs(CheckoutArgs):
    modules: list[ModuleName] = Field(min_length=1, max_length=200, description="Modules whose links to remove.")
    target_dir: TargetDir | None = None


@tool("ee_unlink", family="enterprise", risk=Risk.WRITE, args=EeUnlinkArgs, idempotent=True)
def ee_unlink(args: EeUnlinkArgs, call: Call) -> dict[str, Any]:
    """Remove links to Enterprise modules from a configured addons target. Only links that point
    into the Enterprise checkout are removed — never a folder, never a foreign link (those make
    the whole call refuse). The modules themselves stay."""
    scan = ee_scan(call, args.mode, args.instance)
    target = target_for(call, args.target_dir, scan.root)
    return unlink_modules(target, list(dict.fromkeys(args.modules)), scan.root, "Enterprise")


class EeConflictsArgs(CheckoutArgs):
    module: ModuleName | None = Field(default=None, description="Only conflicts involving this module.")


@tool("ee_oca_conflicts", family="enterprise", risk=Risk.READ, args=EeConflictsArgs, idempotent=True)
def ee_oca_conflicts(args: EeConflictsArgs, call: Call) -> dict[str, Any]:
    """Conflicts between the Enterprise checkout and the OCA repos: modules with the same
    technical name, and models extended (`_inherit`) by both sides."""
    scan = ee_scan(call, args.mode, args.instance)
    oca = optional_oca_scan(call)
    if oca is None:
        raise NotConfigured("no OCA folder: set ODOO_MCP_OCA_DIR")
    report = conflicts(addons_index(call), scan, oca, args.module)
    if args.module is not None:
        world, branch = universe(call, scan), addons_settings(call).branch
        if world.locate(args.module).source != "missing":
            report["dependencies"] = classified(dependencies(world, args.module, branch))
    return report


class EeRecommendArgs(CheckoutArgs):
    module: ModuleName = Field(description="The Enterprise module to find OCA counterparts for.")
    limit: int = Field(default=10, ge=1, le=100)


@tool("ee_oca_recommend", family="enterprise", risk=Risk.READ, args=EeRecommendArgs, idempotent=True)
def ee_oca_recommend(args: EeRecommendArgs, call: Call) -> dict[str, Any]:
    """OCA modules related to an Enterprise module: possible alternatives (similar name, same
    models) and the ones that would conflict with it (same name, or extending the same models)."""
    scan = ee_scan(call, args.mode, args.instance)
    oca = optional_oca_scan(call)
    if oca is None:
        raise NotConfigured("no OCA folder: set ODOO_MCP_OCA_DIR")
    return recommend(addons_index(call), scan, oca, args.module, args.limit)


class EeCloneArgs(ToolArgs):
    branch: BranchName | None = Field(default=None, description="Branch to clone (default ODOO_BRANCH or 19.0).")
    mode: Mode = Field(default="direct", description="direct: into ODOO_MCP_EE_DIR; buffered: a buffer instance.")
    instance: InstanceName | None = Field(default=None, description="Buffered instance (mode=buffered).")
    token: str | None = Token


@tool("ee_clone", family="enterprise", risk=Risk.EXECUTE, args=EeCloneArgs, open_world=True)
def ee_clone(args: EeCloneArgs, call: Call) -> dict[str, Any]:
    """Clone the Enterprise repository (ODOO_MCP_EE_GIT_URL) into the configured checkout or a
    buffered instance. The token never appears in argv, .git/config, logs or this result."""
    return git_tools.ee_clone(call, args.branch, args.mode, args.instance, args.token)


class EeUpdateArgs(ToolArgs):
    branch: BranchName | None = Field(default=None, description="Branch to update (default: the checked-out one).")
    mode: Mode = "direct"
    instance: InstanceName | None = None


@tool("ee_update", family="enterprise", risk=Risk.EXECUTE, args=EeUpdateArgs, open_world=True)
def ee_update(args: EeUpdateArgs, call: Call) -> dict[str, Any]:
    """Fetch and fast-forward the Enterprise checkout (never a merge commit, never a reset)."""
    return git_tools.ee_update(call, args.branch, args.mode, args.instance)


class EeTokenCheckArgs(ToolArgs):
    token: str | None = Token


@tool("ee_token_check", family="enterprise", risk=Risk.READ, args=EeTokenCheckArgs, idempotent=True, open_world=True)
def ee_token_check(args: EeTokenCheckArgs, call: Call) -> dict[str, Any]:
    """Check that a token can read the Enterprise repository (git ls-remote, token as a header)."""
    return git_tools.token_check(call, args.token)


class EeDeployArgs(ToolArgs):
    instance: InstanceName = Field(description="The buffered checkout to deploy.")
    target: TargetDir | None = Field(default=None, description="Configured addons target (name or exact path).")


@tool("ee_deploy", family="enterprise", risk=Risk.DESTRUCTIVE, args=EeDeployArgs)
def ee_deploy(args: EeDeployArgs, call: Call) -> dict[str, Any]:
    """Copy the modules of a buffered Enterprise checkout into a configured addons target (no
    shell, no rsync). Replaces only module folders a previous deploy made (they carry a marker);
    a folder or link it did not make is a conflict and left alone."""
    return deploy.deploy(call, args.instance, args.target)
