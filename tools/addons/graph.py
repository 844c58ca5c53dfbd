"""Dependency trees across the addons paths Odoo would see: Enterprise, community, OCA.

A dependency is located in the same order for every tool (Enterprise first, then the
community dirs, then OCA) and classified by where it was found. One no configured folder
ships is Odoo core (`core_ce`: comes with Odoo itself; `core_ee`: an Enterprise module absent
from this checkout) when manifestoo-core's lists for the series say so, else truly missing. The walk
is iterative (a chain of a thousand modules must not hit Python's recursion limit); each
module is expanded once, later mentions are marked `repeated`, back edges `cycle`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from manifestoo_core.odoo_series import OdooSeries

from tools.addons.core import core_kind, series_from
from tools.addons.index import ModuleRecord, Scan


@dataclass(frozen=True)
class Located:
    """Where a module name resolves: its source kind and record (None when missing)."""

    name: str
    source: str
    record: ModuleRecord | None


@dataclass
class Universe:
    """The modules one Odoo would see, in lookup order."""

    enterprise: Scan | None = None
    community: Sequence[Scan] = ()
    oca: Scan | None = None
    series: OdooSeries | None = None
    """The Odoo series whose core addons count as present (None: no core list applies)."""

    def scans(self) -> Iterable[Scan]:
        if self.enterprise is not None:
            yield self.enterprise
        yield from self.community
        if self.oca is not None:
            yield self.oca

    def locate(self, name: str) -> Located:
        broken: ModuleRecord | None = None
        for scan in self.scans():
            record = scan.get(name)
            if record is not None:
                return Located(name, scan.kind, record)
            for candidate in scan.by_name.get(name, ()):
                broken = broken or candidate
        if broken is not None:
            return Located(name, broken.kind, broken)
        return Located(name, core_kind(name, self.series) or "missing", None)


@dataclass
class DependencyReport:
    """Everything `ee_depends` answers; `install_order` lists dependencies before dependents."""

    module: str
    tree: dict[str, Any]
    by_source: dict[str, list[str]] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    cycles: list[list[str]] = field(default_factory=list)
    install_order: list[str] = field(default_factory=list)
    located: dict[str, Located] = field(default_factory=dict)
    series: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "source": self.located[self.module].source,
            "series": self.series,
            "enterprise_depends": self.by_source.get("enterprise", []),
            "community_depends": self.by_source.get("community", []),
            "oca_depends": self.by_source.get("oca", []),
            "core_depends": self.by_source.get("core_ce", []),
            "core_enterprise_depends": self.by_source.get("core_ee", []),
            "missing": self.by_source.get("missing", []),
            "broken": self.broken,
            "cycles": self.cycles,
            "install_order": self.install_order,
            "tree": self.tree,
        }


def _canonical(cycle: list[str]) -> tuple[str, ...]:
    body = cycle[:-1]
    start = body.index(min(body))
    rotated = body[start:] + body[:start]
    return (*rotated, rotated[0])


def dependencies(universe: Universe, module: str, default_series: str = "19.0") -> DependencyReport:
    """Walk `module`'s dependencies depth-first, once each, recording cycles and install order.

    The series whose core addons count as present is the module's own (its manifest version,
    e.g. `19.0.1.0.0`), else `default_series` (ODOO_BRANCH).
    """
    start = universe.locate(module)
    version = start.record.manifest.version if start.record is not None and start.record.manifest else None
    universe = replace(universe, series=series_from(version, default_series))
    located: dict[str, Located] = {}

    def where(name: str) -> Located:
        if name not in located:
            located[name] = universe.locate(name)
        return located[name]

    def node(name: str) -> dict[str, Any]:
        loc = where(name)
        data: dict[str, Any] = {"module": name, "source": loc.source}
        if loc.record is not None and not loc.record.ok:
            data["problem"] = loc.record.problem
        return data

    def deps_of(name: str) -> tuple[str, ...]:
        loc = where(name)
        if loc.record is None or loc.record.manifest is None:
            return ()
        return loc.record.manifest.depends

    root = node(module)
    state: dict[str, int] = {module: 1}  # 1 = on the stack, 2 = done
    order: list[str] = []
    cycles: dict[tuple[str, ...], list[str]] = {}
    path: list[str] = [module]
    stack: list[tuple[str, Any, dict[str, Any]]] = [(module, iter(deps_of(module)), root)]
    while stack:
        name, pending, current = stack[-1]
        dep = next(pending, None)
        if dep is None:
            stack.pop()
            path.pop()
            state[name] = 2
            order.append(name)
            continue
        children = current.setdefault("depends", [])
        seen = state.get(dep)
        if seen == 1:
            cycle = [*path[path.index(dep):], dep]
            cycles.setdefault(_canonical(cycle), cycle)
            children.append({"module": dep, "source": where(dep).source, "cycle": True})
        elif seen == 2:
            children.append({"module": dep, "source": where(dep).source, "repeated": True})
        else:
            child = node(dep)
            children.append(child)
            state[dep] = 1
            path.append(dep)
            stack.append((dep, iter(deps_of(dep)), child))

    by_source: dict[str, list[str]] = {}
    broken: dict[str, str] = {}
    for name in sorted(state):
        if name == module:
            continue
        loc = located[name]
        by_source.setdefault(loc.source, []).append(name)
        if loc.record is not None and not loc.record.ok:
            broken[name] = loc.record.problem or "unusable"
    return DependencyReport(
        module=module,
        tree=root,
        by_source=by_source,
        broken=broken,
        cycles=[list(c) for c in cycles],
        install_order=order,
        located=located,
        series=universe.series.value if universe.series is not None else None,
    )


def classified(report: DependencyReport) -> dict[str, list[str]]:
    """`report`'s dependencies by class: enterprise, community, oca, core_ce, core_ee, missing."""
    return {kind: list(names) for kind, names in sorted(report.by_source.items())}
