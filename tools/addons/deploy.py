"""`ee_deploy`: copy a buffered checkout's modules into a configured addons target, no shell.

Upstream runs `rsync -a --delete buffer/ target/`, which deletes anything in any path. Here:

- Everything is done by descriptor. The buffer root and the instance folder are opened with
  `O_NOFOLLOW`, the target through `open_target` (pinned, `O_NOFOLLOW`); module folders are
  opened relative to those descriptors, copied file by file (`foundation.fsroot.copy_tree`: regular
  files and folders only — never a symlink, a device or a hard-linked file, never `.git`),
  staged under a hidden name inside the target, then renamed into place relative to the
  target's descriptor. Old folders are removed with the descriptor-based `rmtree`. A folder
  swapped for a symlink mid-call is never followed: the copy stays inside the target.
- Only folders this server deployed are replaced or removed, decided by the server-side
  ledger (`deploy_ledger`: name + inode + a secret token in the marker), not by the marker
  file alone. A link, a file, or a folder the ledger does not vouch for is a conflict,
  reported before anything is copied.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import Any

from foundation.fsroot import RootDir, copy_tree, create_file_at, remove_tree, rename_new, walk
from guard.paths import is_within
from guard.spec import Call
from tools.addons.deploy_ledger import MARKER, Deployed, DeployLedger, marker_text, new_token
from tools.addons.errors import Conflict
from tools.addons.link_ops import target_for
from tools.addons.linking import open_target, read_entry
from tools.addons.roots import enterprise_root
from tools.addons.service import addons_index

NOT_COPIED = frozenset({".git", MARKER})


def deploy_ledger(call: Call) -> DeployLedger:
    return call.runtime.service("deploy_ledger", DeployLedger.factory)


def _copy_module(buffer_fd: int, target_fd: int, name: str, instance: str) -> tuple[str, Deployed, list[str]]:
    """Stage a copy of `buffer/name` inside the target; returns (staging name, identity, skipped)."""
    source = walk(buffer_fd, [name], "instance")
    staging = f".deploy-{name}-{uuid.uuid4().hex[:8]}"
    os.mkdir(staging, 0o700, dir_fd=target_fd)
    try:
        dest = walk(target_fd, [staging], "target")
        try:
            skipped = copy_tree(source, dest, skip=NOT_COPIED, where=f"{name}/")
            token = new_token()
            create_file_at(dest, MARKER, marker_text(token, instance), "target", 0o600)
            os.chmod(dest, 0o755)
            st = os.fstat(dest)
        finally:
            os.close(dest)
    except BaseException:
        with contextlib.suppress(OSError):
            remove_tree(target_fd, staging)
        raise
    finally:
        os.close(source)
    return staging, Deployed(st.st_dev, st.st_ino, token), skipped


def _retire(ledger: DeployLedger, key: str, target_fd: int, name: str) -> str | None:
    """Move our folder `name` aside under a hidden name; None if it is not ours (left in place).

    Checked before *and* after the move: a folder swapped in between is put back, untouched.
    """
    if not ledger.owns(key, target_fd, name):
        return None
    trash = f".trash-{name}-{uuid.uuid4().hex[:8]}"
    os.rename(name, trash, src_dir_fd=target_fd, dst_dir_fd=target_fd)
    if not ledger.owns_at(key, target_fd, name, trash):
        rename_new(target_fd, trash, name)
        raise Conflict("target changed while deploying", {name: "replaced by something else; left untouched"})
    return trash


def deploy(call: Call, instance: str, target_name: str | None) -> dict[str, Any]:
    buffer = enterprise_root(call, "buffered", instance)
    target = target_for(call, target_name, buffer, "target")
    scan = addons_index(call).scan(buffer, "enterprise", "flat")
    modules = [r.name for r in scan.records
               if r.ok and r.real_path == buffer / r.name and is_within(r.real_path, buffer)]
    skipped: dict[str, Any] = {r.name: r.problem or "unusable" for r in scan.records if not r.ok}
    result = deploy_folders(call, call.runtime.settings.roots.ee_buffer_dir, buffer, modules, target,
                            instance, skipped, ledger_key=str(target.real), tool="ee_deploy")
    return {"instance": instance, "target": target.name, **result}


def deploy_folders(call: Call, buffer_root: Any, source: Any, names: list[str], target: Any, instance: str,
                   skipped: dict[str, Any], *, ledger_key: str, tool: str) -> dict[str, Any]:
    """Copy the folders `names` of `source` (inside `buffer_root`) into `target`, replacing only
    what this tool deployed there before (ledger under `ledger_key`) and removing its stale ones.

    In four steps: refuse if any name is taken by something this tool did not deploy; stage every
    copy beside the target (a failure leaves the target as it was); swap each copy in; retire the
    folders this tool deployed before and no longer deploys."""
    ledger = deploy_ledger(call)
    with RootDir(buffer_root, "instance") as opened_buffer, open_target(target) as target_fd:
        instance_fd = opened_buffer.open_dir(opened_buffer.parts(source))
        try:
            _refuse_foreign(ledger, ledger_key, target_fd, names, tool, target.name)
            stale = [name for name in ledger.names(ledger_key)
                     if name not in names and ledger.owns(ledger_key, target_fd, name)]
            staged = _stage_all(instance_fd, target_fd, names, instance, skipped)
            deployed = _swap_in(ledger, ledger_key, target_fd, staged)
            removed = _remove_stale(ledger, ledger_key, target_fd, stale)
        finally:
            os.close(instance_fd)
    return {"deployed": deployed, "removed": removed, "skipped": skipped}


def _refuse_foreign(ledger: DeployLedger, key: str, target_fd: int, names: list[str], tool: str,
                    target_name: str) -> None:
    """Conflict (nothing deployed) when a name in the target holds something this tool did not put there."""
    problems: dict[str, str] = {}
    for name in names:
        kind, _ = read_entry(target_fd, name)
        if kind != "absent" and not ledger.owns(key, target_fd, name):
            problems[name] = f"a {kind} not made by {tool} is in target {target_name!r}; not replaced"
    if problems:
        raise Conflict("nothing deployed", problems)


def _stage_all(instance_fd: int, target_fd: int, names: list[str], instance: str,
               skipped: dict[str, Any]) -> dict[str, tuple[str, Deployed]]:
    """Copy every module to a staging name in the target; on any failure remove what was staged."""
    staged: dict[str, tuple[str, Deployed]] = {}
    try:
        for name in names:
            staging, identity, not_copied = _copy_module(instance_fd, target_fd, name, instance)
            staged[name] = (staging, identity)
            if not_copied:
                skipped[name] = not_copied
    except BaseException:
        for staging, _ in staged.values():
            remove_tree(target_fd, staging)
        raise
    return staged


def _swap_in(ledger: DeployLedger, key: str, target_fd: int, staged: dict[str, tuple[str, Deployed]]) -> list[str]:
    """Put each staged copy at its name (retiring our previous copy); on a failure the copies not yet
    swapped in are removed, and a name taken meanwhile by someone else is a Conflict."""
    deployed: list[str] = []
    for name, (staging, identity) in staged.items():
        trash = None
        try:
            trash = _retire(ledger, key, target_fd, name)
            rename_new(target_fd, staging, name)
        except BaseException as exc:
            for left, _ in list(staged.values())[len(deployed):]:
                remove_tree(target_fd, left)
            if isinstance(exc, FileExistsError):
                _raced(target_fd, trash, name)
            raise
        ledger.record(key, name, identity)
        if trash is not None:
            remove_tree(target_fd, trash)
        deployed.append(name)
    return deployed


def _raced(target_fd: int, trash: str | None, name: str) -> None:
    """Something appeared at `name` during the copy: put our old copy back if the name is free again."""
    if trash is not None:
        with contextlib.suppress(OSError):
            rename_new(target_fd, trash, name)
    raise Conflict("target changed while deploying", {
        name: "something appeared at this name during the copy; left untouched"}) from None


def _remove_stale(ledger: DeployLedger, key: str, target_fd: int, stale: list[str]) -> list[str]:
    """Retire the folders this tool deployed before and no longer deploys."""
    removed: list[str] = []
    for name in stale:
        trash = _retire(ledger, key, target_fd, name)
        if trash is not None:
            remove_tree(target_fd, trash)
            ledger.forget(key, name)
            removed.append(name)
    return removed
