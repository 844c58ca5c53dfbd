"""Shared helpers of the Enterprise and OCA handlers: the index service and the module universe."""

from __future__ import annotations

from pathlib import Path

from guard.spec import Call
from tools.addons.graph import Universe
from tools.addons.index import AddonsIndex, Scan
from tools.addons.roots import community_roots, enterprise_root, oca_root
from tools.addons.settings import AddonsSettings

ADDONS_INDEX = "addons_index"
"""The runtime service's name (a benchmark registers an index of its own under it)."""


def addons_index(call: Call) -> AddonsIndex:
    return call.runtime.service(ADDONS_INDEX, AddonsIndex.factory)


def addons_settings(call: Call) -> AddonsSettings:
    """Parsed once, at start-up (`AddonsContext`); a bare runtime (tests, benchmarks) parses them here."""
    parsed = getattr(call.runtime, "addons", None)
    return parsed if isinstance(parsed, AddonsSettings) else AddonsSettings.from_env(call.runtime.settings.env)


def ee_scan(call: Call, mode: str = "direct", instance: str | None = None) -> Scan:
    return addons_index(call).scan(enterprise_root(call, mode, instance), "enterprise", "flat")


def oca_scan(call: Call) -> Scan:
    return addons_index(call).scan(oca_root(call), "oca", "repos")


def optional_oca_scan(call: Call) -> Scan | None:
    return oca_scan(call) if call.runtime.settings.roots.oca_dir is not None else None


def community_scans(call: Call) -> list[Scan]:
    index = addons_index(call)
    return [index.scan(path, "community", "flat") for path in community_roots(call)]


def universe(call: Call, enterprise: Scan | None) -> Universe:
    """What one Odoo would see: the Enterprise checkout, the community dirs, the OCA repos."""
    return Universe(enterprise=enterprise, community=community_scans(call), oca=optional_oca_scan(call))


def shadowing(call: Call, name: str, skip: Path | None = None) -> str | None:
    """Why `name` would clash with a module already on Odoo's addons path (None if it would not)."""
    for scan in community_scans(call):
        if name in scan.by_name:
            return f"already present in the community addons dir {scan.root}; linking would shadow it"
    if call.runtime.settings.roots.oca_dir is not None:
        oca = oca_scan(call)
        for record in oca.by_name.get(name, ()):
            if skip is None or record.real_path != skip:
                return f"already shipped by the OCA repo {record.repo!r}; linking would shadow it"
    return None
