"""Whole-folder OCA tools: clone everything, deploy a buffer instance, start a migration branch.

- `oca_clone_all` clones (or fast-forwards) a configured list of repositories from the
  configured OCA git source, each through the staging-folder clone of `git_tools` (safe git
  config, token never in argv); a failure is reported per repository, never dropped.
- `oca_deploy` copies a buffer instance's repositories into a configured addons target with
  `deploy.deploy_folders` (no rsync, no `--delete`: only folders oca_deploy made are replaced).
- `oca_migrate` works on local checkouts only: a migration branch and manifest edits,
  committed locally. It never pushes and never talks to GitHub.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

from pydantic import Field

from foundation.fsroot import RootDir, RootRefused, fd_path, walk
from guard.paths import is_within
from guard.spec import Call, NotConfigured, PathRefused, Risk, ToolArgs, ToolFailure
from tools.addons import oca_gen
from tools.addons.deploy import deploy_folders
from tools.addons.errors import Conflict, GitFailure
from tools.addons.git_tools import _clone, _update, check_config, oca_repos, open_checkout
from tools.addons.gitops import head, run_git
from tools.addons.link_ops import target_for
from tools.addons.manifest import MANIFEST, ManifestError, read_manifest_at
from tools.addons.names import BranchName, InstanceName, Mode, RepoName, TargetDir
from tools.addons.oca_maintainer import _addons
from tools.addons.repo_files import oca_base, read_text, replace_file
from tools.addons.service import addons_settings
from tools.addons.settings import oca_source
from tools.registry import tool

MAX_REPOS = 500


def _repo_list(call: Call, repos: list[str] | None) -> list[str]:
    """The repositories to clone: the argument, else ODOO_MCP_OCA_REPOS, else a local source folder's."""
    if repos:
        return list(dict.fromkeys(repos))
    env = call.runtime.settings.env
    configured = [r.strip() for r in (env.get("ODOO_MCP_OCA_REPOS") or "").split(",") if r.strip()]
    pattern = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
    bad = [r for r in configured if not pattern.match(r)]
    if bad:
        raise NotConfigured(f"ODOO_MCP_OCA_REPOS: {', '.join(bad)} are not repository names")
    if configured:
        return configured
    base = addons_settings(call).oca_git_base
    if base and os.path.isabs(base) and os.path.isdir(base):
        names = [n.removesuffix(".git") for n in sorted(os.listdir(base)) if not n.startswith(".")]
        return [n for n in dict.fromkeys(names) if pattern.match(n)]
    raise NotConfigured("no repository list: pass `repos`, or set ODOO_MCP_OCA_REPOS (comma-separated names)")


def _clone_base(call: Call, mode: str, instance: str | None) -> Path:
    """The folder repositories are cloned into; a buffered instance folder is created if missing."""
    if mode != "buffered":
        return oca_base(call, mode, instance)
    buffer = call.runtime.settings.roots.oca_buffer_dir
    if buffer is None:
        raise NotConfigured("buffered mode needs ODOO_MCP_OCA_BUFFER_DIR (or OCA_BUFFER_DIR)")
    name = instance or "default"
    with RootDir(buffer, "instance") as opened, contextlib.suppress(FileExistsError):
        os.mkdir(name, 0o755, dir_fd=opened.fd)
    return oca_base(call, mode, instance)


class CloneAllArgs(ToolArgs):
    branch: BranchName | None = Field(default=None, description="Branch to clone (default ODOO_BRANCH or 19.0).")
    mode: Mode = Field(default="direct", description="direct: ODOO_MCP_OCA_DIR; buffered: a buffer instance.")
    instance: InstanceName | None = Field(default=None, description="Buffered instance (mode=buffered).")
    repos: list[RepoName] | None = Field(default=None, max_length=MAX_REPOS,
                                         description="Repositories (default ODOO_MCP_OCA_REPOS, or every repo of a "
                                                     "local ODOO_MCP_OCA_GIT_BASE).")


@tool("oca_clone_all", family="oca", risk=Risk.EXECUTE, args=CloneAllArgs, open_world=True)
def oca_clone_all(args: CloneAllArgs, call: Call) -> dict[str, Any]:
    """Clone every listed OCA repository into the OCA folder (or a buffer instance), fast-forwarding the
    ones already there; each repository's outcome is reported, a failure never hides the others."""
    settings = addons_settings(call)
    branch = args.branch or settings.branch
    names = _repo_list(call, args.repos)
    if len(names) > MAX_REPOS:
        raise ToolFailure(f"{len(names)} repositories; at most {MAX_REPOS} per call")
    base = _clone_base(call, args.mode, args.instance)
    cloned, updated, failed = [], [], {}
    for repo in names:
        source = oca_source(settings, repo)
        try:
            if (base / repo).exists() or (base / repo).is_symlink():
                result = _update(call, base / repo, branch, source, settings.token)
                updated.append({"repo": repo, "after": result["after"], "changed": result["changed"]})
            else:
                result = _clone(call, source, base, repo, branch, settings.token, "repo")
                cloned.append({"repo": repo, "commit": result["commit"]})
        except (GitFailure, Conflict, PathRefused, RootRefused) as exc:
            failed[repo] = exc.message
    return {"oca_dir": str(base), "branch": branch, "cloned": cloned, "updated": updated, "failed": failed,
            "status": "ok" if not failed else "partial"}


class OcaDeployArgs(ToolArgs):
    instance: InstanceName = Field(description="The buffer instance whose repositories to deploy.")
    target: TargetDir = Field(description="Configured addons target (name or exact configured path).")
    branch: BranchName | None = Field(default=None, description="Accepted for compatibility; unused (as upstream).")
    repos: list[RepoName] | None = Field(default=None, max_length=MAX_REPOS, description="Only these (default all).")


def _deploy_plan(args: OcaDeployArgs, call: Call) -> tuple[Path, Any, list[str], dict[str, str]]:
    """(buffer instance, target, repositories to copy, entries skipped and why): nothing touched."""
    source = oca_base(call, "buffered", args.instance)
    target = target_for(call, args.target, source, "target")
    wanted = set(args.repos or ())
    names, skipped = [], {}
    for entry in sorted(source.iterdir()):
        if entry.name.startswith(".") or (wanted and entry.name not in wanted):
            continue
        if entry.is_symlink() or not entry.is_dir():
            skipped[entry.name] = "not a folder (a link or a file); not copied"
        elif not (entry / ".git").is_dir() or not is_within(Path(os.path.realpath(entry)), source):
            skipped[entry.name] = "not a git checkout"
        else:
            names.append(entry.name)
    unknown = sorted(wanted - set(names) - set(skipped))
    if unknown:
        raise ToolFailure(f"not in buffer instance {args.instance!r}: {', '.join(unknown)}")
    return source, target, names, skipped


def oca_deploy_preview(args: OcaDeployArgs, call: Call) -> dict[str, Any]:
    """For the approval question: which repositories would be copied where."""
    _source, target, names, skipped = _deploy_plan(args, call)
    return {"target": f"{target.name} ({target.path})", "repos_copied": names, "skipped": skipped,
            "replaces": "only folders oca_deploy made in this target"}


@tool("oca_deploy", family="oca", risk=Risk.DESTRUCTIVE, args=OcaDeployArgs, preview=oca_deploy_preview)
def oca_deploy(args: OcaDeployArgs, call: Call) -> dict[str, Any]:
    """Copy the repositories of an OCA buffer instance into a configured addons target (no shell, no
    rsync --delete): replaces only folders oca_deploy made there; anything else is a conflict, left alone."""
    source, target, names, skipped = _deploy_plan(args, call)
    result = deploy_folders(call, call.runtime.settings.roots.oca_buffer_dir, source, names, target, args.instance,
                            dict(skipped), ledger_key=f"oca_deploy:{target.real}", tool="oca_deploy")
    return {"instance": args.instance, "target": target.name, **result}


class MigrateArgs(ToolArgs):
    source_branch: BranchName = Field(description="The branch to migrate from, e.g. 18.0.")
    target_branch: BranchName = Field(description="The new branch, e.g. 19.0 (must not exist yet).")
    repos: list[RepoName] | None = Field(default=None, max_length=MAX_REPOS,
                                         description="Checkouts of the OCA folder (default: all of them).")
    mark_uninstallable: bool = Field(default=True, description="Set installable False, as oca-migrate-branch does.")


def _git(args: list[str], cwd: Path, ceiling: Path, env: Any) -> str:
    return run_git(args, env=env, cwd=cwd, ceiling=ceiling)


def _migrate_repo(call: Call, path: Path, args: MigrateArgs) -> dict[str, Any]:
    env = call.runtime.settings.env
    with open_checkout(path, "repos") as opened:
        if opened is None:
            raise Conflict(f"{path.name} is not a git checkout")
        fd, ceiling = opened
        cwd = Path(fd_path(fd))
        check_config(fd, ceiling, env, path.name)
        if _git(["status", "--porcelain"], cwd, ceiling, env).strip():
            raise Conflict(f"{path.name} has local changes; commit or stash them first")
        for ref in (f"refs/heads/{args.source_branch}", f"refs/remotes/origin/{args.source_branch}"):
            try:
                start = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd, ceiling, env).strip()
                break
            except GitFailure:
                continue
        else:
            raise Conflict(f"{path.name}: no branch {args.source_branch!r} (local or origin)")
        with contextlib.suppress(GitFailure):
            _git(["rev-parse", "--verify", "--quiet", f"refs/heads/{args.target_branch}"], cwd, ceiling, env)
            raise Conflict(f"{path.name}: branch {args.target_branch!r} already exists; nothing changed")
        before = head(cwd, env, ceiling=ceiling)
        _git(["switch", "--no-guess", "-c", args.target_branch, start], cwd, ceiling, env)
        try:
            bumped = _edit_manifests(fd, args)
            if bumped:
                _git(["add", "--", *[f"{name}/{MANIFEST}" for name in bumped]], cwd, ceiling, env)
                _git(["-c", "user.name=odoo-mcp", "-c", "user.email=odoo-mcp@localhost", "commit", "--no-verify",
                      "-q", "-m", f"[MIG] {path.name}: start {args.target_branch} from {args.source_branch}"],
                     cwd, ceiling, env)
            after = head(cwd, env, ceiling=ceiling)
        except BaseException:
            with contextlib.suppress(GitFailure):
                _git(["reset", "-q", "--hard"], cwd, ceiling, env)
                _git(["switch", "-q", before["branch"]], cwd, ceiling, env)
                _git(["branch", "-q", "-D", args.target_branch], cwd, ceiling, env)
            raise
    return {"repo": path.name, "branch": args.target_branch, "from": start, "commit": after["commit"],
            "addons": bumped}


def _edit_manifests(repo_fd: int, args: MigrateArgs) -> list[str]:
    """Bump each addon's version to the target series (and mark it uninstallable); edited addon names."""
    series = re.match(r"^\d+\.\d+$", args.target_branch)
    edited = []
    for name, manifest in _addons(repo_fd)[0]:
        fd = walk(repo_fd, [name], "repos")
        try:
            text = read_text(fd, MANIFEST, "repos", 256 * 1024) or ""
            new = text
            if series and manifest.version:
                new = oca_gen.set_manifest_key(new, "version", oca_gen.migrated_version(manifest.version,
                                                                                        args.target_branch))
            if args.mark_uninstallable and manifest.installable:
                new = oca_gen.set_manifest_key(new, "installable", False)
            if new != text:
                read_manifest_at(fd, name)  # still the file we parsed (a single-link regular file)
                replace_file(fd, MANIFEST, new.encode(), "repos")
                edited.append(name)
        except (oca_gen.ManifestEditError, ManifestError) as exc:
            raise Conflict(f"{name}: manifest cannot be edited safely ({exc}); branch removed") from None
        finally:
            os.close(fd)
    return edited


def oca_migrate_preview(args: MigrateArgs, call: Call) -> dict[str, Any]:
    """For the approval question: which checkouts get which new branch (local only)."""
    paths = [p for name in (args.repos or [None]) for p in oca_repos(call, name)]  # type: ignore[list-item]
    return {"repos": [p.name for p in paths], "new_branch": args.target_branch, "from": args.source_branch,
            "manifests": "version bumped" + (", installable False" if args.mark_uninstallable else ""),
            "pushed": False}


@tool("oca_migrate", family="oca", risk=Risk.WRITE, args=MigrateArgs, preview=oca_migrate_preview)
def oca_migrate(args: MigrateArgs, call: Call) -> dict[str, Any]:
    """Start a migration locally: in each clean checkout, create target_branch from source_branch, bump
    manifest versions to the new series and commit. Never pushes and never touches GitHub."""
    if args.source_branch == args.target_branch:
        raise ToolFailure("source_branch and target_branch are the same")
    paths = [p for name in (args.repos or [None]) for p in oca_repos(call, name)]  # type: ignore[list-item]
    migrated, failed = [], {}
    for path in paths:
        try:
            migrated.append(_migrate_repo(call, path, args))
        except (GitFailure, Conflict, PathRefused, RootRefused) as exc:
            failed[path.name] = exc.message
    return {"migrated": migrated, "failed": failed, "pushed": False,
            "note": "local branches only: nothing was pushed; review, then push yourself"}
