"""The tool families this server serves: one list, in one place.

Adding a family is its own package under `tools/` exporting `FAMILY`, plus one line here
(`tests/test_layers.py` fails while a package under `tools/` is missing from this list).
"""

from __future__ import annotations

from guard.spec import ToolSpec
from tools import addons, fiscal, identity, odoo, public_access, status, stock, translations, web_session, website
from tools.registry import Family, assemble

FAMILIES: tuple[Family, ...] = (
    status.FAMILY,
    addons.FAMILY,
    odoo.FAMILY,
    fiscal.FAMILY,
    stock.FAMILY,
    identity.FAMILY,
    translations.FAMILY,
    website.FAMILY,
    web_session.FAMILY,
    public_access.FAMILY,
)


def all_specs() -> list[ToolSpec]:
    """Every tool of every served family, sorted by name."""
    return assemble(FAMILIES)
