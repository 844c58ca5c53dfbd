"""Clone, update, token check and status: the git side of the Enterprise and OCA tools.

Destinations are configured roots (or a validated name inside one); sources come from
settings, never from arguments. A clone goes into a folder that is absent or empty — it
never overwrites a checkout; an update only fast-forwards.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from guard.paths import confine
from guard.spec import Call, NotConfigured, PathRefused
from tools.addons.errors import Conflict, GitFailure
from tools.addons.gitops import head, is_repo_root, run_git
from tools.addons.roots import enterprise_root, oca_root
from tools.addons.service import addons_settings
from tools.addons.settings import ee_source, oca_source


def _clone_destination_ee(call: Call, mode: str, instance: str | None) -> Path:
    roots = call.runtime.settings.roots
    if mode == "buffered":
        if roots.ee_buffer_dir is None:
            raise NotConfigured("buffered mode needs ODOO_MCP_EE_BUFFER_DIR (or EE_BUFFER_DIR)")
        if not roots.ee_buffer_dir.is_dir():
            raise NotConfigured(f"the Enterprise buffer dir ({roots.ee_buffer_dir}) is not an existing folder")
        return confine("instance", instance or "default", roots.ee_buffer_dir)
    if roots.ee_dir is None:
        raise NotConfigured("no Enterprise checkout: set ODOO_MCP_EE_DIR (or EE_DIRECT_DIR)")
    if not roots.ee_dir.parent.is_dir():
        raise NotConfigured(f"the folder above ODOO_MCP_EE_DIR ({roots.ee_dir.parent}) does not exist")
    return Path(os.path.realpath(roots.ee_dir))


def _empty_or_absent(dest: Path, arg: str) -> None:
    if dest.is_symlink():
        raise PathRefused(arg, "the clone destination is a symlink; refusing to follow it")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise Conflict(f"{dest} already holds files; use the update tool instead of cloning over it")


def _clone(call: Call, source: str, dest: Path, branch: str, token: str | None, arg: str) -> dict[str, Any]:
    settings = addons_settings(call)
    _empty_or_absent(dest, arg)
    env = call.runtime.settings.env
    run_git(
        ["clone", "--branch", branch, "--single-branch", "--no-recurse-submodules", "--", source, str(dest)],
        env=env, source=source, token=token, timeout=settings.git_timeout,
    )
    return {"path": str(dest), **head(dest, env)}


def ee_clone(call: Call, branch: str | None, mode: str, instance: str | None, token: str | None) -> dict[str, Any]:
    settings = addons_settings(call)
    source = ee_source(settings)
    dest = _clone_destination_ee(call, mode, instance)
    result = _clone(call, source, dest, branch or settings.branch, token or settings.token, "instance")
    return {"cloned": True, "mode": mode, **result}


def _update(call: Call, path: Path, branch: str | None, source: str | None, token: str | None) -> dict[str, Any]:
    settings = addons_settings(call)
    env = call.runtime.settings.env
    if not is_repo_root(path):
        raise Conflict(f"{path} is not a git checkout (no .git at its top); clone it first")
    before = head(path, env)
    wanted = branch or before["branch"]
    if wanted == "HEAD":
        raise Conflict(f"{path} is on a detached HEAD; name a branch")
    run_git(["fetch", "--no-recurse-submodules", "origin", wanted], env=env, cwd=path, source=source,
            token=token, timeout=settings.git_timeout)
    run_git(["merge", "--ff-only", "FETCH_HEAD"], env=env, cwd=path, timeout=settings.git_timeout)
    after = head(path, env)
    return {"path": str(path), "branch": wanted, "before": before["commit"], "after": after["commit"],
            "changed": before["commit"] != after["commit"]}


def ee_update(call: Call, branch: str | None, mode: str, instance: str | None) -> dict[str, Any]:
    settings = addons_settings(call)
    path = enterprise_root(call, mode, instance)
    source = settings.ee_git_url
    return _update(call, path, branch, source, settings.token)


def token_check(call: Call, token: str | None) -> dict[str, Any]:
    settings = addons_settings(call)
    source = ee_source(settings)
    token = token or settings.token
    if not token:
        raise NotConfigured("no token given and GITHUB_TOKEN is not set")
    try:
        out = run_git(["ls-remote", "--heads", "--", source], env=call.runtime.settings.env, source=source,
                      token=token, timeout=min(settings.git_timeout, 60))
    except GitFailure as exc:  # a refused token is an answer, not an error
        return {"ok": False, "source": source, "message": exc.message}
    return {"ok": True, "source": source, "branches": len([line for line in out.splitlines() if line.strip()])}


def oca_clone(call: Call, repo: str, branch: str | None) -> dict[str, Any]:
    settings = addons_settings(call)
    source = oca_source(settings, repo)
    root = oca_root(call)
    dest = confine("repo", repo, root)
    if dest.parent != root:
        raise PathRefused("repo", "must name a folder directly inside the OCA folder")
    result = _clone(call, source, dest, branch or settings.branch, settings.token, "repo")
    return {"cloned": True, "repo": repo, **result}


def oca_repos(call: Call, repo: str | None) -> list[Path]:
    root = oca_root(call)
    if repo is not None:
        path = confine("repo", repo, root, must_exist=True)
        if path.parent != root or not path.is_dir():
            raise PathRefused("repo", "not a repository folder of the OCA folder")
        return [path]
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and not p.is_symlink())


def oca_update(call: Call, repo: str | None, branch: str | None) -> dict[str, Any]:
    settings = addons_settings(call)
    results, skipped = [], []
    for path in oca_repos(call, repo):
        if not is_repo_root(path):
            skipped.append({"repo": path.name, "why": "not a git checkout"})
            continue
        source = oca_source(settings, path.name) if settings.oca_git_base else None
        results.append({"repo": path.name, **_update(call, path, branch, source, settings.token)})
    return {"updated": results, "skipped": skipped}


def oca_status(call: Call, repo: str | None) -> dict[str, Any]:
    env = call.runtime.settings.env
    repos = []
    for path in oca_repos(call, repo):
        entry: dict[str, Any] = {"repo": path.name, "git": is_repo_root(path)}
        if entry["git"]:
            entry.update(head(path, env))
            porcelain = run_git(["status", "--porcelain"], env=env, cwd=path)
            changes = [line for line in porcelain.splitlines() if line.strip()]
            entry["dirty"] = bool(changes)
            entry["changes"] = len(changes)
        repos.append(entry)
    return {"oca_dir": str(oca_root(call)), "repos": repos}
