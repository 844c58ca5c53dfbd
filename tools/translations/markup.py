"""Is this markup safe to put into a page? nh3 (ammonia) decides; we never write its output.

nh3's policy (tags, attributes, URL schemes) is the authority, but its HTML5 serialisation would
turn XHTML/QWeb (`<br/>`) into HTML (`<br>`) and break view archs. So a fragment is cleaned only
to compare: if cleaning dropped an element or an attribute (a `<script>`, an `onclick`, a
`javascript:` URL, a QWeb `t-*` directive), the fragment is refused, naming what would go; if
nothing would go, the caller's exact text is written. Attribute values set one by one (snippet
substitutions) go through the same test on a one-element fragment.
"""

from __future__ import annotations

import html
import re

import lxml.html
import nh3
from lxml import etree

TAGS = set(nh3.ALLOWED_TAGS) | {"section", "font", "main", "address", "picture", "source"}
ATTRIBUTES = {
    "*": {"class", "style", "title", "id", "dir", "lang", "role", "align", "name", "itemprop", "width", "height"},
    "a": {"href", "target", "rel"},
    "img": {"src", "alt", "loading", "srcset"},
    "source": {"srcset", "type", "media"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
_STYLE_BAD = re.compile(r"expression\s*\(|javascript:|vbscript:|behavior\s*:|-moz-binding|@import|url\s*\(\s*['\"]?"
                        r"\s*(?!https?:|/|#)[a-z0-9+.-]+:", re.IGNORECASE)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


class UnsafeMarkup(ValueError):
    """Raised from argument validators: the guard answers `[INVALID ARGUMENTS]` before any handler runs."""


def _signature(fragment: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    try:
        root = lxml.html.fragment_fromstring(fragment or "", create_parent="div")
    except etree.ParserError:
        return []
    return [(str(el.tag), tuple(sorted((k, v) for k, v in el.attrib.items())))
            for el in root.iter() if isinstance(el.tag, str)]


def unsafe_parts(fragment: str) -> list[str]:
    """What nh3 would remove from `fragment` (empty when it is safe as it is)."""
    cleaned = nh3.clean(fragment, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                        generic_attribute_prefixes={"data-", "aria-"}, link_rel=None, strip_comments=False)
    before, after = _signature(fragment), _signature(cleaned)
    kept = {(tag, attrs) for tag, attrs in after}
    removed: list[str] = []
    kept_attrs = {(tag, name) for tag, attrs in after for name, _ in attrs}
    for tag, attrs in before:
        if tag not in {t for t, _ in after}:
            removed.append(f"<{tag}>")
        elif (tag, attrs) not in kept:
            removed.extend(f"{tag}@{name}" for name, _ in attrs if (tag, name) not in kept_attrs)
    for _, attrs in before:
        removed.extend(f"style={value[:60]!r}" for name, value in attrs if name == "style" and _STYLE_BAD.search(value))
    return sorted(set(removed)) or ([] if len(before) == len(after) else ["markup"])


def check_fragment(fragment: str, what: str) -> str:
    """`fragment`, unchanged, if nh3 would keep all of it; otherwise refused with what would go."""
    parts = unsafe_parts(fragment)
    if parts:
        raise UnsafeMarkup(f"{what}: unsafe markup refused ({', '.join(parts[:10])}); nothing was written")
    return fragment


def check_attribute(name: str, value: str, what: str) -> None:
    """An attribute a caller sets: no event handler, no QWeb directive, no script URL, no CSS tricks."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}", name):
        raise UnsafeMarkup(f"{what}: {name!r} is not an attribute name")
    lowered = name.lower()
    if lowered.startswith(("on", "t-", "xmlns", "formaction")) or lowered in {"srcdoc", "action"}:
        raise UnsafeMarkup(f"{what}: attribute {name!r} is refused (script or QWeb directive); nothing was written")
    if lowered == "style" or lowered.startswith(("data-", "aria-")):
        if _STYLE_BAD.search(value) or re.match(r"\s*(javascript|vbscript|data):", value, re.IGNORECASE):
            raise UnsafeMarkup(f"{what}: unsafe value for {name!r}; nothing was written")
        return
    tag = "a" if lowered in ("href", "target", "rel") else "img" if lowered in ("src", "alt", "srcset") else "span"
    check_fragment(f'<{tag} {lowered}="{html.escape(value, quote=True)}">x</{tag}>', what)


def check_no_invisible(value: str, what: str) -> None:
    """Zero-width characters are refused: they break search, equality and exports invisibly."""
    if _ZERO_WIDTH.search(value):
        raise UnsafeMarkup(f"{what}: zero-width characters are refused (they break search and exports)")


def visible_text(value: str | None) -> str | None:
    """Validator of a plain translated value."""
    if value is not None:
        check_no_invisible(value, "value")
    return value


def safe_markup_values(translations: dict[str, object]) -> dict[str, object]:
    """Validator of `{lang: html}` or `{lang: {term: translation}}`: every text visible and safe markup."""
    for lang, value in translations.items():
        texts = value.items() if isinstance(value, dict) else [("", value)]
        for term, text in texts:
            if not isinstance(text, str):
                raise UnsafeMarkup(f"{lang}: expected text or {{term: translation}}")
            where = f"{lang}[{term[:40]!r}]" if term else lang
            check_no_invisible(text, where)
            check_fragment(text, where)
    return translations


def safe_record_translations(translations: dict[str, dict[str, object]] | None) -> object:
    """Validator of `{id: {field: text | {term: translation}}}`: terms are markup, texts are plain."""
    for record_id, fields in (translations or {}).items():
        if not record_id.isdigit():
            raise UnsafeMarkup(f"{record_id!r} is not a record id")
        for name, value in fields.items():
            if not re.fullmatch(r"[a-z_][a-z0-9_]{0,127}", name):
                raise UnsafeMarkup(f"{name!r} is not a field name")
            if isinstance(value, dict):
                safe_markup_values({f"{record_id}.{name}": value})
            elif isinstance(value, str):
                check_no_invisible(value, f"{record_id}.{name}")
            else:
                raise UnsafeMarkup(f"{record_id}.{name}: expected text or {{term: translation}}")
    return translations


def safe_substitutions(substitutions: dict[str, str]) -> dict[str, str]:
    """Validator of snippet substitutions: attributes and style properties checked, texts are escaped later."""
    for key, value in substitutions.items():
        if len(key) > 256:
            raise UnsafeMarkup("a substitution key is longer than 256 characters")
        if "@" not in key:
            continue
        attribute = key.rsplit("@", 1)[1]
        name, _, prop = attribute.partition(":")
        if prop:
            if name != "style" or not re.fullmatch(r"[a-z-]{1,64}", prop):
                raise UnsafeMarkup(f"{key!r}: only @style:<property> takes a property")
            check_attribute("style", f"{prop}: {value}", key)
        else:
            check_attribute(name, value, key)
    return substitutions
