"""Clone, update, token check and status: the git side of the Enterprise and OCA tools.

Destinations are configured roots (or a validated name inside one); sources come from
settings, never from arguments. A clone never overwrites a checkout and never follows a link:
the folder that will hold the checkout (the buffer dir, the OCA dir, the folder above
ODOO_MCP_EE_DIR) is opened by descriptor, git clones into a fresh hidden folder created
inside it by descriptor (git's working directory is that open folder, reached through
`/proc/<pid>/fd/<n>`, not a name), and the result is renamed into place relative to the same
descriptor — `rename(2)` replaces nothing but an empty folder and never follows a link
planted at the destination. An update only fast-forwards, in a checkout opened by
descriptor whose own config was checked for keys that run programs (`gitops`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from foundation.fsroot import RootDir, RootRefused, fd_path, remove_tree, walk
from guard.paths import confine
from guard.spec import Call, NotConfigured, PathRefused
from tools.addons.errors import Conflict, GitFailure
from tools.addons.gitops import UPLOAD_PACK, head, run_git, unsafe_config_keys
from tools.addons.roots import enterprise_root, oca_root
from tools.addons.service import addons_settings
from tools.addons.settings import ee_source, oca_source


def _clone_destination_ee(call: Call, mode: str, instance: str | None) -> tuple[Path, str]:
    """(the folder that will hold the checkout, the checkout's name in it)."""
    roots = call.runtime.settings.roots
    if mode == "buffered":
        if roots.ee_buffer_dir is None:
            raise NotConfigured("buffered mode needs ODOO_MCP_EE_BUFFER_DIR (or EE_BUFFER_DIR)")
        if not roots.ee_buffer_dir.is_dir():
            raise NotConfigured(f"the Enterprise buffer dir ({roots.ee_buffer_dir}) is not an existing folder")
        dest = confine("instance", instance or "default", roots.ee_buffer_dir)
        buffer = Path(os.path.realpath(roots.ee_buffer_dir))
        if dest.parent != buffer:
            raise PathRefused("instance", "must name a folder directly inside the buffer dir")
        return buffer, dest.name
    if roots.ee_dir is None:
        raise NotConfigured("no Enterprise checkout: set ODOO_MCP_EE_DIR (or EE_DIRECT_DIR)")
    if not roots.ee_dir.parent.is_dir():
        raise NotConfigured(f"the folder above ODOO_MCP_EE_DIR ({roots.ee_dir.parent}) does not exist")
    dest = Path(os.path.realpath(roots.ee_dir))
    return dest.parent, dest.name


def _check_absent_or_empty(parent_fd: int, name: str, shown: str, arg: str) -> None:
    try:
        st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise PathRefused(arg, "the clone destination is a symlink; refusing to follow it")
    if not stat.S_ISDIR(st.st_mode):
        raise Conflict(f"{shown} already holds files; use the update tool instead of cloning over it")
    fd = walk(parent_fd, [name], arg)
    try:
        with os.scandir(fd) as entries:
            if any(True for _ in entries):
                raise Conflict(f"{shown} already holds files; use the update tool instead of cloning over it")
    finally:
        os.close(fd)


def _same_entry(parent_fd: int, name: str, fd: int) -> bool:
    try:
        st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
    except OSError:
        return False
    mine = os.fstat(fd)
    return stat.S_ISDIR(st.st_mode) and (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def _clone(call: Call, source: str, parent: Path, name: str, branch: str, token: str | None,
           arg: str) -> dict[str, Any]:
    settings = addons_settings(call)
    env = call.runtime.settings.env
    with RootDir(parent, arg) as opened:
        shown = str(opened.path / name)
        _check_absent_or_empty(opened.fd, name, shown, arg)
        staging = f".clone-{name}-{uuid.uuid4().hex[:12]}"
        os.mkdir(staging, 0o700, dir_fd=opened.fd)
        work = walk(opened.fd, [staging], arg)
        try:
            run_git(["clone", UPLOAD_PACK, "--branch", branch, "--single-branch", "--no-recurse-submodules",
                     "--", source, "."],
                    env=env, cwd=Path(fd_path(work)), ceiling=opened.path, source=source, token=token,
                    timeout=settings.git_timeout)
            info = head(fd_path(work), env, ceiling=opened.path)
            os.fchmod(work, 0o755)
            if not _same_entry(opened.fd, staging, work):
                raise PathRefused(  # git has run: the call is charged
                    arg, "the clone's staging folder was moved while git ran; nothing put in place", before_effect=False
                )
            try:
                os.rename(staging, name, src_dir_fd=opened.fd, dst_dir_fd=opened.fd)
            except OSError as exc:
                if exc.errno in {errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR}:
                    raise Conflict(f"{shown} appeared while cloning; left untouched") from None
                raise
        except BaseException:
            if _same_entry(opened.fd, staging, work):
                with contextlib.suppress(OSError):
                    remove_tree(opened.fd, staging)
            raise
        finally:
            os.close(work)
    return {"path": shown, **info}


def ee_clone(call: Call, branch: str | None, mode: str, instance: str | None, token: str | None) -> dict[str, Any]:
    settings = addons_settings(call)
    source = ee_source(settings)
    parent, name = _clone_destination_ee(call, mode, instance)
    result = _clone(call, source, parent, name, branch or settings.branch, token or settings.token, "instance")
    return {"cloned": True, "mode": mode, **result}


@contextlib.contextmanager
def open_checkout(path: Path, arg: str) -> Iterator[tuple[int, Path] | None]:
    """(descriptor of the checkout at `path`, its real parent), or None if it is not a checkout.

    The checkout is opened without following a link, and its `.git` must be a real folder:
    a `.git` *file* (`gitdir: …`) or link could send git's writes anywhere.
    """
    real = Path(os.path.realpath(path))
    with RootDir(real.parent, arg) as parent:
        fd = walk(parent.fd, [real.name], arg)
        try:
            try:
                st = os.stat(".git", dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                yield None
                return
            if not stat.S_ISDIR(st.st_mode):
                raise PathRefused(arg, f"{real.name}/.git is not a folder (a gitdir file or a link); not used")
            yield fd, parent.path
        finally:
            os.close(fd)


def check_config(fd: int, ceiling: Path, env: Any, shown: str) -> None:
    """Refuse a checkout whose own config could make git run a program or write elsewhere."""
    listing = run_git(["config", "--list", "--name-only", "--show-scope"], env=env, cwd=Path(fd_path(fd)),
                      ceiling=ceiling)
    unsafe = unsafe_config_keys(listing)
    if unsafe:
        raise Conflict(f"{shown}: its .git/config sets keys that can run programs or move git's paths "
                       f"({', '.join(unsafe)}); nothing run — remove them to use this tool")


def _update(call: Call, path: Path, branch: str | None, source: str | None, token: str | None,
            arg: str = "repo") -> dict[str, Any]:
    settings = addons_settings(call)
    env = call.runtime.settings.env
    with open_checkout(path, arg) as opened:
        if opened is None:
            raise Conflict(f"{path} is not a git checkout (no .git at its top); clone it first")
        fd, ceiling = opened
        cwd = Path(fd_path(fd))
        check_config(fd, ceiling, env, str(path))
        before = head(cwd, env, ceiling=ceiling)
        wanted = branch or before["branch"]
        if wanted == "HEAD":
            raise Conflict(f"{path} is on a detached HEAD; name a branch")
        run_git(["fetch", UPLOAD_PACK, "--no-recurse-submodules", source or "origin", wanted], env=env, cwd=cwd,
                ceiling=ceiling, source=source, token=token, timeout=settings.git_timeout)
        run_git(["merge", "--ff-only", "FETCH_HEAD"], env=env, cwd=cwd, ceiling=ceiling,
                timeout=settings.git_timeout)
        after = head(cwd, env, ceiling=ceiling)
    return {"path": str(path), "branch": wanted, "before": before["commit"], "after": after["commit"],
            "changed": before["commit"] != after["commit"]}


def ee_update(call: Call, branch: str | None, mode: str, instance: str | None) -> dict[str, Any]:
    settings = addons_settings(call)
    path = enterprise_root(call, mode, instance)
    source = settings.ee_git_url
    return _update(call, path, branch, source, settings.token, "instance" if mode == "buffered" else "mode")


def token_check(call: Call, token: str | None) -> dict[str, Any]:
    settings = addons_settings(call)
    source = ee_source(settings)
    token = token or settings.token
    if not token:
        raise NotConfigured("no token given and GITHUB_TOKEN is not set")
    try:
        out = run_git(["ls-remote", UPLOAD_PACK, "--heads", "--", source], env=call.runtime.settings.env,
                      source=source, token=token, timeout=min(settings.git_timeout, 60))
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
    result = _clone(call, source, root, dest.name, branch or settings.branch, settings.token, "repo")
    return {"cloned": True, "repo": repo, **result}


def oca_repos(call: Call, repo: str | None) -> list[Path]:
    root = oca_root(call)
    if repo is not None:
        path = confine("repo", repo, root, must_exist=True)
        if path.parent != root or not path.is_dir():
            raise PathRefused("repo", "not a repository folder of the OCA folder")
        return [path]
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and not p.is_symlink())


def _not_a_checkout(path: Path) -> str | None:
    """Why `path` is not a usable checkout (None when it is one)."""
    try:
        with open_checkout(path, "repo") as opened:
            return None if opened is not None else "not a git checkout"
    except (PathRefused, RootRefused) as refused:
        return refused.why


def oca_update(call: Call, repo: str | None, branch: str | None) -> dict[str, Any]:
    settings = addons_settings(call)
    results, skipped = [], []
    for path in oca_repos(call, repo):
        why = _not_a_checkout(path)
        if why is not None:
            skipped.append({"repo": path.name, "why": why})
            continue
        source = oca_source(settings, path.name) if settings.oca_git_base else None
        results.append({"repo": path.name, **_update(call, path, branch, source, settings.token)})
    return {"updated": results, "skipped": skipped}


def oca_status(call: Call, repo: str | None) -> dict[str, Any]:
    env = call.runtime.settings.env
    repos = []
    for path in oca_repos(call, repo):
        entry: dict[str, Any] = {"repo": path.name, "git": False}
        try:
            with open_checkout(path, "repo") as opened:
                if opened is not None:
                    fd, ceiling = opened
                    cwd = Path(fd_path(fd))
                    check_config(fd, ceiling, env, path.name)
                    entry["git"] = True
                    entry.update(head(cwd, env, ceiling=ceiling))
                    porcelain = run_git(["status", "--porcelain"], env=env, cwd=cwd, ceiling=ceiling)
                    changes = [line for line in porcelain.splitlines() if line.strip()]
                    entry["dirty"] = bool(changes)
                    entry["changes"] = len(changes)
        except (PathRefused, RootRefused) as refused:
            entry["refused"] = refused.why
        except Conflict as conflict:
            entry["refused"] = conflict.message
        repos.append(entry)
    return {"oca_dir": str(oca_root(call)), "repos": repos}

