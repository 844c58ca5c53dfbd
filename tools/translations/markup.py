"""Is this markup safe to put into a page? nh3 (ammonia) decides; we never write its output.

nh3's policy (tags, attributes, URL schemes) is the authority, but its HTML5 serialisation would
turn XHTML/QWeb (`<br/>`) into HTML (`<br>`) and break view archs. So a fragment is cleaned only
to compare: if cleaning dropped an element or an attribute (a `<script>`, an `onclick`, a
`javascript:` URL, a QWeb `t-*` directive), the fragment is refused, naming what would go; if
nothing would go, the caller's exact text is written. Attribute values set one by one (snippet
substitutions) go through the same test on a one-element fragment.

The comparison is of the **whole input, whatever its shape**: every start tag, attribute and
declaration the text holds, read by a tokenizer (`html.parser`), which builds no tree and so drops
or moves nothing. (A tree builder reads `<html>…` or `<!doctype …>` as a document and hands back
only `<body>`'s children: `<head><script>` and `<body onload>` were then never compared.) The
comparison goes both ways: what nh3's browser-grade parser sees and the tokenizer did not (a
comment closed by `--!>` hides an `<img onerror>` from older tokenizers) is refused as well, as
markup that parses differently. Documents (`<!doctype>`, `<html>`, `<head>`, `<body>`) are never
valid translations: nh3 drops them, so they are refused by the same rule.

URLs are judged as a browser reads them (`url_refusal`): ASCII tab and newline removed anywhere,
C0 controls and spaces trimmed, then the scheme checked — on every URL attribute and on `data-*`
values too; a protocol-relative link (`//host`, `/\\host`) is refused, since it leaves the site.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from html.parser import HTMLParser

import nh3

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
SCRIPT_SCHEMES = {"javascript", "vbscript", "data", "livescript", "mocha"}
"""Schemes that run script; refused in `data-*` values too (but `data:` there only where the name says URL)."""
IMPLIED = {"tbody", "tr", "colgroup"}
"""Elements an HTML5 parser adds by itself (`<table><td>` gets a tbody and a tr): not a difference."""
_STYLE_BAD = re.compile(r"expression\s*\(|javascript:|vbscript:|behavior\s*:|-moz-binding|@import|url\s*\(\s*['\"]?"
                        r"\s*(?!https?:|/|#)[a-z0-9+.-]+:", re.IGNORECASE)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_BROWSER_STRIPS = re.compile("[\t\n\r]")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "poster", "background", "cite", "longdesc",
                  "xlink:href", "ping", "manifest", "codebase", "data", "lowsrc", "dynsrc"}

Signature = tuple[str, tuple[tuple[str, str], ...]]


class UnsafeMarkup(ValueError):
    """Raised from argument validators: the guard answers `[INVALID ARGUMENTS]` before any handler runs."""


class _Tokens(HTMLParser):
    """Every start tag (with its attributes as written, entities decoded) and every declaration, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Signature] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, tuple(sorted((name, value or "") for name, value in attrs))))

    handle_startendtag = handle_starttag

    def handle_decl(self, decl: str) -> None:
        self.found.append((f"!{decl.split()[0].lower() if decl.split() else decl}", ()))

    def unknown_decl(self, data: str) -> None:
        self.found.append(("![cdata", ()))

    def handle_pi(self, data: str) -> None:
        self.found.append(("?pi", ()))


def _signature(fragment: str) -> list[Signature]:
    tokens = _Tokens()
    tokens.feed(fragment or "")
    tokens.close()
    return tokens.found


def browser_url(value: str) -> str:
    """A URL as a browser reads it: tab and newline removed anywhere, C0 controls and spaces trimmed."""
    return _BROWSER_STRIPS.sub("", value).strip("".join(map(chr, range(33))))


def url_refusal(name: str, value: str) -> str | None:
    """Why attribute `name="value"` is refused as a URL, or None.

    A URL attribute (and a `data-*` whose name says URL: `src`, `href`, `url`, `link`) may only
    use http, https, mailto or tel, and never be protocol-relative; any other `data-*` (which page
    scripts may read as a URL) is refused with a script scheme (`java<TAB>script:` included). Other
    attributes (`title`, `alt`, `aria-label`) are text to a browser: `Data: 2024` is not a URL there."""
    lowered = name.lower()
    if lowered == "srcset":  # "a.png 1x, //host/b.png 2x": each candidate is a URL
        return next((why for part in value.split(",") if (why := url_refusal("src", part.strip().split(" ")[0]))),
                    None)
    url = browser_url(value)
    scheme = _SCHEME.match(url)
    found = scheme.group(1).lower() if scheme else None
    is_url = lowered in URL_ATTRIBUTES or (lowered.startswith("data-") and any(
        word in lowered for word in ("src", "href", "url", "link")))
    if not is_url:
        return f"{found}: URL" if lowered.startswith("data-") and found in SCRIPT_SCHEMES - {"data"} else None
    if url[:2].replace("\\", "/") == "//":
        return "protocol-relative link (another host)"
    if found is not None and found not in URL_SCHEMES:
        return f"{found}: URL"
    return None


def unsafe_parts(fragment: str) -> list[str]:
    """What nh3 would remove from `fragment`, or what parses differently (empty when it is safe as it is)."""
    cleaned = nh3.clean(fragment, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                        generic_attribute_prefixes={"data-", "aria-"}, link_rel=None, strip_comments=False)
    before, after = _signature(fragment), _signature(cleaned)
    missing = Counter(before) - Counter(after)
    added = Counter(after) - Counter(before)
    removed: list[str] = []
    kept_tags = {tag for tag, _ in after}
    kept_attrs = {(tag, name, value) for tag, attrs in after for name, value in attrs}
    for tag, attrs in missing:
        if tag not in kept_tags:
            removed.append(f"<{tag}>")
            continue
        gone = [f"{tag}@{name}" for name, value in attrs if (tag, name, value) not in kept_attrs]
        removed.extend(gone or [f"<{tag}>"])
    if any(tag not in IMPLIED or attrs for tag, attrs in added):
        removed.append("markup that parses differently in a browser")
    for tag, attrs in before:
        for name, value in attrs:
            why = url_refusal(name, value)
            if why:
                removed.append(f"{tag}@{name} ({why})")
            if name == "style" and _STYLE_BAD.search(value):
                removed.append(f"style={value[:60]!r}")
    return sorted(set(removed))


def check_fragment(fragment: str, what: str) -> str:
    """`fragment`, unchanged, if nh3 would keep all of it; otherwise refused with what would go."""
    parts = unsafe_parts(fragment)
    if parts:
        raise UnsafeMarkup(f"{what}: unsafe markup refused ({', '.join(parts[:10])}); nothing was written")
    return fragment


RAW_TEXT = {"script", "style", "template", "noscript", "iframe", "object", "embed", "xmp", "noembed", "noframes",
            "plaintext", "textarea", "title"}
"""Elements whose text a browser does not show as text (it runs it, styles with it, or parses it later)."""


def check_attribute(name: str, value: str, what: str, tag: str | None = None) -> None:
    """An attribute a caller sets: no event handler, no QWeb directive, no script URL, no CSS tricks.

    With `tag` (the element it goes on), the element must be one the sanitiser keeps and the attribute one it
    allows on that element (`src` on a `<script>` is not an image's `src`)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}", name):
        raise UnsafeMarkup(f"{what}: {name!r} is not an attribute name")
    lowered = name.lower()
    if lowered.startswith(("on", "t-", "xmlns", "formaction")) or lowered in {"srcdoc", "action"}:
        raise UnsafeMarkup(f"{what}: attribute {name!r} is refused (script or QWeb directive); nothing was written")
    if tag is not None and (tag.lower() in RAW_TEXT or tag.lower() not in TAGS):
        raise UnsafeMarkup(f"{what}: attributes of <{tag}> are not edited (it is not page content the sanitiser "
                           "keeps); nothing was written")
    if lowered == "style" or lowered.startswith(("data-", "aria-")):
        if _STYLE_BAD.search(value) or url_refusal(lowered, value):
            raise UnsafeMarkup(f"{what}: unsafe value for {name!r}; nothing was written")
        return
    element = tag.lower() if tag is not None else (
        "a" if lowered in ("href", "target", "rel") else "img" if lowered in ("src", "alt", "srcset") else "span")
    check_fragment(f'<{element} {lowered}="{html.escape(value, quote=True)}">x</{element}>', what)


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
