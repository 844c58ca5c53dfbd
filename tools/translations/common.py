"""What the translation tools share: the version branch, the field's kind, active languages."""

from __future__ import annotations

from typing import Any

from guard.spec import Call, ToolFailure
from odoo_client.connection import OdooConnection
from tools.odoo_kit import sensitive

TERM_KINDS = ("html", "xml")
ARCH_NAMES = {"arch", "arch_db", "arch_fs", "arch_base", "arch_prev"}


def major(connection: OdooConnection) -> int:
    """Odoo's major version; a failed probe is an error, never a silent fall-back to the old API."""
    version = connection.major_version()
    if version <= 0:
        raise ToolFailure("cannot tell the Odoo version (common.version answered no version): nothing was done")
    return version


def check_readable(call: Call, connection: OdooConnection, model: str, field_name: str) -> None:
    """A sensitive model or field is refused here as in odoo_read (filtering on it is refused)."""
    sensitive.check_search(call, connection, model, domain=[[field_name, "!=", False]])


def field_info(connection: OdooConnection, model: str, field_name: str) -> dict[str, Any]:
    described = connection.execute(model, "fields_get", [[field_name]], {"attributes": ["string", "type", "translate"]})
    info = described.get(field_name) if isinstance(described, dict) else None
    if not info:
        raise ToolFailure(f"{model} has no field {field_name!r}")
    if not info.get("translate"):
        raise ToolFailure(f"{model}.{field_name} is not translatable")
    return info


def kind_of(connection: OdooConnection, model: str, field_name: str, info: dict[str, Any],
            res_id: int | None = None) -> str:
    """simple, html or xml. From 16, Odoo says itself whether a field is translated by terms
    (`translation_show_source`), which a name heuristic cannot: asked on one record."""
    if info.get("type") == "html":
        return "html"
    if info.get("type") != "text":
        return "simple"
    if major(connection) >= 16:
        if res_id is None:
            found = connection.execute(model, "search", [[]], {"limit": 1})
            res_id = found[0] if found else None
        if res_id is not None:
            _, meta = connection.execute(model, "get_field_translations", [[res_id]], {"field_name": field_name})
            if meta.get("translation_show_source"):
                return "xml"
            return "simple"
    return "xml" if field_name in ARCH_NAMES else "simple"


def active_langs(connection: OdooConnection) -> set[str]:
    rows = connection.execute("res.lang", "search_read", [[["active", "=", True]]], {"fields": ["code"]})
    return {row["code"] for row in rows} | {"en_US"}


def check_langs(connection: OdooConnection, langs: list[str]) -> None:
    unknown = sorted(set(langs) - active_langs(connection))
    if unknown:
        raise ToolFailure(f"languages not active in Odoo: {', '.join(unknown)}; nothing was written")


def term_map(connection: OdooConnection, model: str, res_id: int,
             field_name: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The source terms and, per language, {term: translation} (16+)."""
    rows, _ = connection.execute(model, "get_field_translations", [[res_id]], {"field_name": field_name})
    sources: list[str] = []
    by_lang: dict[str, dict[str, str]] = {}
    for row in rows:
        if row["source"] not in sources:
            sources.append(row["source"])
        by_lang.setdefault(row["lang"], {})[row["source"]] = row.get("value") or ""
    return sources, by_lang
