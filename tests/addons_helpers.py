"""Shared helpers of the addons tests: a private copy of addons_stub/, its env, snapshots."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

from guard.spec import Call, Caller
from odoo_mcp.config import Roots, Settings
from odoo_mcp.runtime import Runtime

REPO = Path(__file__).resolve().parent.parent
STUB = REPO / "addons_stub"


def copy_stub(tmp_path: Path) -> Path:
    """A copy of addons_stub/ (symlinks kept as symlinks) plus a buffer dir and a second target."""
    stub = tmp_path / "stub"
    shutil.copytree(STUB, stub, symlinks=True)
    (stub / "buffer").mkdir()
    (stub / "target2").mkdir()
    return stub


def stub_env(stub: Path) -> dict[str, str]:
    """The server environment that configures every addons root on the stub copy."""
    return {
        "ODOO_MCP_EE_DIR": str(stub / "enterprise"),
        "ODOO_MCP_OCA_DIR": str(stub / "oca"),
        "ODOO_MCP_ADDONS_TARGETS": f"main={stub / 'target'},second={stub / 'target2'}",
        "ODOO_MCP_COMMUNITY_DIRS": str(stub / "addons"),
        "ODOO_MCP_EE_BUFFER_DIR": str(stub / "buffer"),
    }


def stub_call(stub: Path, env: dict[str, str] | None = None) -> Call:
    """A handler `Call` on the stub copy, as the guard would build it (for unit tests)."""
    full_env = {**stub_env(stub), **(env or {})}
    roots = Roots.from_env(full_env)
    settings = Settings(policy_path=stub / "policy.json", roots=roots, env={**os.environ, **full_env})
    return Call(caller=Caller(), runtime=Runtime(settings))


def snapshot(*roots: Path, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every entry under `roots` (links not followed): kind, link text or content hash, mode.

    `exclude` names top-level entries of a root that legitimately change (the audit log).
    """
    state: dict[str, Any] = {}
    for root in roots:
        if not root.exists() and not root.is_symlink():
            continue
        state[str(root)] = ("root",)
        for folder, dirs, files in os.walk(root, followlinks=False):
            if Path(folder) == root:
                dirs[:] = [d for d in dirs if d not in exclude]
                files = [f for f in files if f not in exclude]
            for name in dirs + files:
                path = Path(folder) / name
                st = path.lstat()
                if path.is_symlink():
                    state[str(path)] = ("link", os.readlink(path))
                elif path.is_dir():
                    state[str(path)] = ("dir", st.st_mode)
                else:
                    state[str(path)] = ("file", st.st_mode, hashlib.sha256(path.read_bytes()).hexdigest())
    return state


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[str]]:
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(k for k in set(before) & set(after) if before[k] != after[k]),
    }


GIT_ID = ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=19.0"]


def git(*args: str, cwd: Path | None = None) -> str:
    """Run the git CLI for test set-up (never the code under test)."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    done = subprocess.run(["git", *GIT_ID, *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def bare_repo_from(folder: Path, bare: Path, work: Path) -> Path:
    """A bare repository (branch 19.0) whose first commit holds a copy of `folder`."""
    shutil.copytree(folder, work, symlinks=True)
    git("init", "-q", str(work))
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "initial", cwd=work)
    git("clone", "-q", "--bare", str(work), str(bare))
    git("remote", "add", "origin", str(bare), cwd=work)
    return bare


def push_change(work: Path, relative: str, text: str) -> None:
    """Commit a file change in `work` and push it to its bare origin."""
    (work / relative).write_text(text)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", f"change {relative}", cwd=work)
    git("push", "-q", "origin", "19.0", cwd=work)


def git_wrapper(folder: Path) -> tuple[Path, Path]:
    """A `git` first on PATH that logs its argv and environment, then runs the real git."""
    real = shutil.which("git")
    folder.mkdir(parents=True, exist_ok=True)
    log, env_log = folder / "argv.log", folder / "env.log"
    script = folder / "git"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nenv >> "{env_log}"\nexec "{real}" "$@"\n')
    script.chmod(0o755)
    return log, env_log
