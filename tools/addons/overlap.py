"""Where Enterprise and OCA step on each other: same module names, same inherited models.

`_inherit` is read from the modules' Python files as text (see `manifest.inherited_models`),
cached per file stat by the index. Two modules extending the same model are not always a
bug, but they are where install-order surprises come from, so both sides are listed.
"""

from __future__ import annotations

import re
from typing import Any

from guard.spec import ToolFailure
from tools.addons.index import AddonsIndex, ModuleRecord, Scan


def _models(index: AddonsIndex, scan: Scan) -> dict[str, list[ModuleRecord]]:
    by_model: dict[str, list[ModuleRecord]] = {}
    for record in scan.records:
        for model in index.inherits(record):
            by_model.setdefault(model, []).append(record)
    return by_model


def _ref(record: ModuleRecord) -> dict[str, Any]:
    ref: dict[str, Any] = {"module": record.name}
    if record.repo:
        ref["repo"] = record.repo
    return ref


def conflicts(index: AddonsIndex, ee: Scan, oca: Scan, module: str | None = None) -> dict[str, Any]:
    """Name collisions and overlapping `_inherit` models, optionally only those involving `module`."""
    collisions = []
    for name in sorted(ee.names() & oca.names()):
        if module and name != module:
            continue
        collisions.append({"module": name, "oca_repos": sorted(r.repo or "" for r in oca.by_name[name] if r.ok)})
    ee_models, oca_models = _models(index, ee), _models(index, oca)
    overlaps = []
    for model in sorted(set(ee_models) & set(oca_models)):
        ee_side, oca_side = ee_models[model], oca_models[model]
        if module and module not in {r.name for r in ee_side + oca_side}:
            continue
        overlaps.append(
            {"model": model, "enterprise": [_ref(r) for r in ee_side], "oca": [_ref(r) for r in oca_side]}
        )
    return {"name_collisions": collisions, "inherit_overlaps": overlaps, "module": module}


_TOKEN_RE = re.compile(r"[a-z0-9]+")
_GENERIC = frozenset({"base", "account", "sale", "stock", "web", "l10n", "mail", "product", "hr"})


def recommend(index: AddonsIndex, ee: Scan, oca: Scan, module: str, limit: int) -> dict[str, Any]:
    """OCA modules close to the Enterprise `module`: shared name words and shared models, scored."""
    record = ee.get(module)
    if record is None:
        raise ToolFailure(f"{module}: no usable module of that name in the Enterprise checkout")
    words = set(_TOKEN_RE.findall(module)) - _GENERIC
    if record.manifest:
        words |= set(_TOKEN_RE.findall(record.manifest.name.casefold())) - _GENERIC
    models = index.inherits(record)
    ranked = []
    for candidate in oca.records:
        if not candidate.ok or candidate.manifest is None:
            continue
        their_words = set(_TOKEN_RE.findall(candidate.name))
        their_words |= set(_TOKEN_RE.findall(candidate.manifest.name.casefold()))
        shared_words = sorted(words & their_words)
        shared_models = sorted(models & index.inherits(candidate))
        score = 3 * len(shared_words) + 2 * len(shared_models) + (10 if candidate.name == module else 0)
        if not score:
            continue
        reasons = []
        if candidate.name == module:
            reasons.append("same technical name: cannot be on the same addons path")
        if shared_words:
            reasons.append(f"similar name ({', '.join(shared_words)})")
        if shared_models:
            reasons.append(f"extends the same models ({', '.join(shared_models)})")
        ranked.append((score, candidate, shared_models, reasons))
    ranked.sort(key=lambda item: (-item[0], item[1].name))
    return {
        "module": module,
        "recommendations": [
            {
                **_ref(candidate),
                "name": candidate.manifest.name if candidate.manifest else candidate.name,
                "summary": candidate.manifest.summary if candidate.manifest else "",
                "score": score,
                "conflict": candidate.name == module or bool(shared_models),
                "reasons": reasons,
            }
            for score, candidate, shared_models, reasons in ranked[:limit]
        ],
    }
