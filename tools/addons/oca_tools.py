"""The OCA tools (upstream `oca-mcp`): search, status, link/unlink, clone and update repos.

The OCA root (ODOO_MCP_OCA_DIR) is a folder of repositories, each a folder of modules.
`repo` is a plain repository name (no slash, no dot), resolved inside that root.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from guard.spec import Call, Risk, ToolArgs, ToolFailure
from tools.addons import git_tools
from tools.addons.errors import Conflict
from tools.addons.graph import classified, dependencies
from tools.addons.index import ModuleRecord
from tools.addons.link_ops import check_sources, link_modules, target_for, unlink_modules
from tools.addons.names import BranchName, ModuleName, RepoName, TargetDir
from tools.addons.service import addons_settings, community_scans, ee_scan, oca_scan, universe
from tools.registry import tool


class OcaSearchArgs(ToolArgs):
    query: str = Field(min_length=1, max_length=200, description="Words to look for (all must match).")
    repo: RepoName | None = Field(default=None, description="Only this repository.")
    limit: int = Field(default=50, ge=1, le=2000)


@tool("oca_search", family="oca", risk=Risk.READ, args=OcaSearchArgs, idempotent=True)
def oca_search(args: OcaSearchArgs, call: Call) -> dict[str, Any]:
    """Search the OCA modules of the configured OCA folder by words in technical name, name,
    summary and category; broken manifests are listed under `problems`."""
    scan = oca_scan(call)
    words = [w for w in args.query.casefold().split() if w]
    if not words:
        raise ToolFailure("query has no words")
    results = []
    for summary, folded in zip(scan.summaries, scan.folded, strict=True):
        if args.repo and summary.get("repo") != args.repo:
            continue
        haystack = " ".join((folded.module, folded.name, folded.summary, folded.category))
        if all(word in haystack for word in words):
            results.append(summary)
    problems = [p for p in scan.problems if not args.repo or p.get("repo") == args.repo]
    return {"query": args.query, "count": len(results), "results": results[: args.limit], "problems": problems}


class OcaStatusArgs(ToolArgs):
    repo: RepoName | None = Field(default=None, description="Only this repository (default: all).")


@tool("oca_status", family="oca", risk=Risk.READ, args=OcaStatusArgs, idempotent=True)
def oca_status(args: OcaStatusArgs, call: Call) -> dict[str, Any]:
    """Which OCA repositories are checked out, on which branch and commit, and whether they have
    local changes (dirty). Folders that are not git checkouts are listed with git=false."""
    status = git_tools.oca_status(call, args.repo)
    scan = oca_scan(call)
    counts: dict[str, int] = {}
    for summary in scan.summaries:
        counts[summary["repo"]] = counts.get(summary["repo"], 0) + 1
    for entry in status["repos"]:
        entry["modules"] = counts.get(entry["repo"], 0)
    return status


def _oca_record(call: Call, module: str, repo: str | None) -> ModuleRecord | None:
    scan = oca_scan(call)
    records = [r for r in scan.by_name.get(module, ()) if repo is None or r.repo == repo]
    if len(records) > 1:
        repos = ", ".join(sorted(r.repo or "" for r in records))
        raise Conflict(f"{module} is shipped by several OCA repos ({repos}); name one with `repo`")
    return records[0] if records else None


class OcaLinkArgs(ToolArgs):
    module: ModuleName = Field(description="The OCA module to link.")
    repo: RepoName | None = Field(default=None, description="Its repository, when several ship the module.")
    target_dir: TargetDir | None = None


@tool("oca_link", family="oca", risk=Risk.WRITE, args=OcaLinkArgs, idempotent=False)
def oca_link(args: OcaLinkArgs, call: Call) -> dict[str, Any]:
    """Link one OCA module into a configured addons target. Same rules as ee_link: a real module
    inside the OCA folder only, never replacing a folder or a foreign link, never shadowing a
    community module. Its dependencies are answered by class (oca, community, core_ce, core_ee,
    enterprise, missing)."""
    scan = oca_scan(call)
    target = target_for(call, args.target_dir, scan.root)
    record = _oca_record(call, args.module, args.repo)
    sources = check_sources({args.module: record}, scan.root, "OCA", "module")
    shadows = {}
    for community in community_scans(call):
        if args.module in community.by_name:
            shadows[args.module] = f"already present in the community addons dir {community.root}"
    result = link_modules(target, sources, shadows)
    enterprise = ee_scan(call) if call.runtime.settings.roots.ee_dir is not None else None
    if enterprise is not None and args.module in enterprise.by_name:
        enterprise = None  # the tree is the OCA module's, not the Enterprise one of the same name
    deps = dependencies(universe(call, enterprise), args.module, addons_settings(call).branch)
    return {**result, "repo": record.repo if record else None, "dependencies": classified(deps)}


class OcaUnlinkArgs(ToolArgs):
    module: ModuleName = Field(description="The module whose link to remove.")
    target_dir: TargetDir | None = None


@tool("oca_unlink", family="oca", risk=Risk.WRITE, args=OcaUnlinkArgs, idempotent=True)
def oca_unlink(args: OcaUnlinkArgs, call: Call) -> dict[str, Any]:
    """Remove an OCA module's link from a configured addons target; only a link pointing into the
    OCA folder is removed, never a folder or a foreign link."""
    scan = oca_scan(call)
    target = target_for(call, args.target_dir, scan.root)
    return unlink_modules(target, [args.module], scan.root, "OCA")


class OcaCloneRepoArgs(ToolArgs):
    repo: RepoName = Field(description="OCA repository name, e.g. sale-workflow.")
    branch: BranchName | None = Field(default=None, description="Default ODOO_BRANCH or 19.0.")


@tool("oca_clone_repo", family="oca", risk=Risk.EXECUTE, args=OcaCloneRepoArgs, open_world=True)
def oca_clone_repo(args: OcaCloneRepoArgs, call: Call) -> dict[str, Any]:
    """Clone one OCA repository (from ODOO_MCP_OCA_GIT_BASE) into the OCA folder; refuses when
    the repository folder already holds files (use oca_update)."""
    return git_tools.oca_clone(call, args.repo, args.branch)


class OcaUpdateArgs(ToolArgs):
    repo: RepoName | None = Field(default=None, description="Only this repository (default: all checkouts).")
    branch: BranchName | None = Field(default=None, description="Default: each checkout's current branch.")


@tool("oca_update", family="oca", risk=Risk.EXECUTE, args=OcaUpdateArgs, open_world=True)
def oca_update(args: OcaUpdateArgs, call: Call) -> dict[str, Any]:
    """Fetch and fast-forward OCA checkouts (one repo or all); folders that are not git checkouts
    are skipped and listed."""
    return git_tools.oca_update(call, args.repo, args.branch)
