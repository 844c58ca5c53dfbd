"""Odoo's own core addons per series (8.0 to 20.0), from the field's library `manifestoo-core`.

A dependency that no configured folder ships is not necessarily missing: `account` and `web`
come with Odoo itself. `manifestoo_core.core_addons` holds the lists of Odoo's Community (CE)
and Enterprise (EE) core addons per series, maintained by OCA, so a dependency is classified
as Odoo core (CE or EE) from that data rather than from a list kept by hand here.
"""

from __future__ import annotations

from typing import Literal

from manifestoo_core.core_addons import is_core_ce_addon, is_core_ee_addon
from manifestoo_core.exceptions import UnsupportedOdooSeries
from manifestoo_core.odoo_series import OdooSeries, detect_from_addon_version

CoreKind = Literal["core_ce", "core_ee"]
SERIES = tuple(series.value for series in OdooSeries)


def series_from(version: str | None, default: str) -> OdooSeries | None:
    """The series a module's manifest version names (`19.0.1.0.0` → 19.0), else `default`'s; None if neither is one."""
    if version:
        try:
            detected = detect_from_addon_version(version)
        except (UnsupportedOdooSeries, ValueError, IndexError):
            detected = None
        if detected is not None:
            return detected
    try:
        return OdooSeries.from_str(default)
    except (UnsupportedOdooSeries, ValueError):
        return None


def core_kind(name: str, series: OdooSeries | None) -> CoreKind | None:
    """`core_ce` / `core_ee` when `name` is one of Odoo's own addons in `series`, else None."""
    if series is None:
        return None
    if is_core_ce_addon(name, series):
        return "core_ce"
    if is_core_ee_addon(name, series):
        return "core_ee"
    return None
