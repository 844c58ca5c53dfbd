"""The link/unlink procedure shared by `ee_link`/`oca_link` and `ee_unlink`/`oca_unlink`.

Order of checks, cheapest and most important first, nothing touched until all pass:
1. the target is a configured one (name or exact path), pinned, not inside the source root;
2. every module is a real module of the source root whose resolved path stays inside it
   (else `PATH REFUSED`), with a usable manifest (else `TOOL ERROR`);
3. no module would shadow one already on Odoo's addons path (community, OCA) and nothing
   of that name is in the target except our own identical link (else `CONFLICT`).
Then the links are created exclusively; a failure midway removes what this call made.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from guard.paths import is_within
from guard.spec import Call, PathRefused, ToolFailure
from tools.addons.errors import Conflict
from tools.addons.index import ModuleRecord
from tools.addons.linking import apply_links, apply_unlinks, open_target, plan_links, plan_unlinks
from tools.addons.manifest import MANIFEST
from tools.addons.roots import Target, resolve_target


def target_for(call: Call, target_dir: str | None, source_root: Path, arg: str = "target_dir") -> Target:
    target = resolve_target(call, target_dir, arg)
    if is_within(target.real, source_root) or is_within(source_root, target.real):
        raise PathRefused(arg, f"target {target.name!r} overlaps the checkout it would link from")
    return target


def check_sources(
    records: dict[str, ModuleRecord | None], source_root: Path, label: str, arg: str = "modules"
) -> dict[str, Path]:
    """Resolved module folders for `records`, or a refusal naming every bad module."""
    escaped: list[str] = []
    unusable: dict[str, str] = {}
    sources: dict[str, Path] = {}
    for name, record in records.items():
        if record is None:
            unusable[name] = f"no such module in the {label} checkout"
            continue
        try:
            real = Path(os.path.realpath(record.path))  # resolved again now, not trusted from the cache
        except OSError:  # a link changing while it is resolved: treated as leaving the root
            escaped.append(name)
            continue
        if not is_within(real, source_root) or real == source_root:
            escaped.append(name)
        elif not record.ok:
            unusable[name] = record.problem or "unusable"
        elif not (real / MANIFEST).is_file():
            unusable[name] = "no __manifest__.py any more"
        else:
            sources[name] = real
    if escaped:
        raise PathRefused(
            arg, f"{', '.join(sorted(escaped))} resolves outside the {label} checkout; nothing linked"
        )
    if unusable:
        detail = "; ".join(f"{name}: {why}" for name, why in sorted(unusable.items()))
        raise ToolFailure(f"nothing linked — {detail}")
    return sources


def link_modules(
    target: Target, sources: dict[str, Path], shadows: dict[str, str]
) -> dict[str, Any]:
    """Plan, then create every link or none."""
    with open_target(target) as fd:
        plan = plan_links(fd, target, sources)
        problems = {**shadows, **plan.problems}
        if problems:
            raise Conflict("nothing linked", problems)
        made = apply_links(fd, plan)
    return {
        "target": target.name,
        "target_path": str(target.path),
        "linked": made,
        "already_linked": plan.already,
    }


def unlink_modules(target: Target, names: list[str], owner_root: Path, label: str) -> dict[str, Any]:
    """Remove links into `owner_root` only; refuse the whole call if any name is something else."""
    with open_target(target) as fd:
        removable, absent, problems = plan_unlinks(fd, target, names, owner_root, label)
        if problems:
            raise Conflict("nothing unlinked", problems)
        removed = apply_unlinks(fd, target, removable, owner_root)
    return {"target": target.name, "target_path": str(target.path), "unlinked": removed, "not_linked": absent}
