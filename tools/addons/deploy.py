"""`ee_deploy`: copy a buffered checkout's modules into a configured addons target, no shell.

Upstream runs `rsync -a --delete buffer/ target/`, which deletes anything in any path. Here
each deployed module folder carries a marker file; a deploy replaces (and, for modules gone
from the buffer, removes) only folders that carry the marker. A link, a file or a folder
without the marker is a conflict, reported before anything is copied. Symlinks inside the
buffer are not copied (they could point anywhere); `.git` is not copied.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from guard.paths import is_within
from guard.spec import Call
from tools.addons.errors import Conflict
from tools.addons.link_ops import target_for
from tools.addons.linking import open_target, read_entry
from tools.addons.roots import enterprise_root
from tools.addons.service import addons_index

MARKER = ".odoo_mcp_deployed"


def _ignore(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n == ".git" or os.path.islink(os.path.join(folder, n))]


def _ours(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and (path / MARKER).is_file()


def deploy(call: Call, instance: str, target_name: str | None) -> dict[str, Any]:
    buffer = enterprise_root(call, "buffered", instance)
    target = target_for(call, target_name, buffer, "target")
    scan = addons_index(call).scan(buffer, "enterprise", "flat")
    modules = {r.name: r.real_path for r in scan.records if r.ok and is_within(r.real_path, buffer)}
    skipped = {r.name: r.problem or "unusable" for r in scan.records if not r.ok}
    with open_target(target) as fd:
        problems: dict[str, str] = {}
        for name in modules:
            kind, _ = read_entry(fd, name)
            if kind != "absent" and not (kind == "dir" and _ours(target.real / name)):
                problems[name] = f"a {kind} not made by ee_deploy is in target {target.name!r}; not replaced"
        if problems:
            raise Conflict("nothing deployed", problems)
        stale = [
            entry.name
            for entry in os.scandir(fd)
            if entry.name not in modules and not entry.name.startswith(".") and _ours(target.real / entry.name)
        ]
        deployed, removed = [], []
        for name, source in modules.items():
            staging = target.real / f".deploy-{name}-{uuid.uuid4().hex[:8]}"
            shutil.copytree(source, staging, symlinks=True, ignore=_ignore)
            (staging / MARKER).write_text(f"deployed from buffer instance {instance}\n")
            final = target.real / name
            trash = None
            if _ours(final):
                trash = target.real / f".trash-{name}-{uuid.uuid4().hex[:8]}"
                os.rename(final, trash)
            os.rename(staging, final)
            if trash is not None:
                shutil.rmtree(trash)
            deployed.append(name)
        for name in stale:
            path = target.real / name
            if _ours(path):
                shutil.rmtree(path)
                removed.append(name)
    return {"instance": instance, "target": target.name, "deployed": deployed, "removed": removed, "skipped": skipped}
