"""Editing page markup with an XML parser, so QWeb survives: no HTML re-serialisation.

The field's value is parsed as the children of a wrapper element with lxml's XML parser (no
entities resolved, no network); the edited tree is written back as the wrapper's leading text
plus its children, so text before the first element is kept and `t-*` directives, case and
self-closing tags come back as they were. A value that is not well-formed XML is refused rather
than "repaired" by an HTML parser.
"""

from __future__ import annotations

import difflib
import re
from copy import deepcopy

from lxml import etree

from guard.spec import ToolFailure
from tools.translations.markup import RAW_TEXT, UnsafeMarkup, check_attribute

WRAP = "odoo-guard-wrap"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False, huge_tree=False)


def parse(value: str, what: str) -> etree._Element:
    try:
        return etree.fromstring(f"<{WRAP}>{value}</{WRAP}>", _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ToolFailure(f"{what} is not well-formed XML ({exc.msg}); it is not edited rather than re-serialised "
                          "by an HTML parser") from None


def serialise(root: etree._Element) -> str:
    return (root.text or "") + "".join(etree.tostring(child, encoding="unicode") for child in root)


def path_of(root: etree._Element, node: etree._Element) -> str:
    return root.getroottree().getpath(node).removeprefix(f"/{WRAP}")


def find(root: etree._Element, xpath: str, what: str) -> etree._Element:
    """The first element `xpath` selects (an absolute path as list_page_snippets gives); never the wrapper."""
    query = f"/{WRAP}{xpath}" if xpath.startswith("/") else xpath
    try:
        found = [node for node in root.xpath(query) if isinstance(node, etree._Element) and node is not root]
    except etree.XPathError as exc:
        raise ToolFailure(f"{what}: invalid xpath ({exc})") from None
    if not found:
        raise ToolFailure(f"{what}: xpath {xpath!r} selects no element")
    return found[0]


def snippets(root: etree._Element) -> list[etree._Element]:
    marked = [node for node in root.iter() if isinstance(node.tag, str) and node.get("data-snippet")]
    if marked:
        return marked
    return [node for node in root.iter() if isinstance(node.tag, str) and node is not root
            and (node.get("class") or "").split()[:1] and (node.get("class") or "").split()[0].startswith("s_")]


def snippet_body(template_arch: str) -> etree._Element:
    """The snippet element of a snippet template: `t` wrappers skipped; data-snippet first, else section/div."""
    root = parse(template_arch, "the snippet template")
    for node in root.iter():
        if isinstance(node.tag, str) and node.get("data-snippet"):
            return deepcopy(node)
    for node in root.iter():
        if node.tag in ("section", "div"):
            return deepcopy(node)
    raise ToolFailure("the snippet template has no section or div to insert")


_CSS_PROP = re.compile(r"^[a-z-]{1,64}$")


def apply_substitutions(node: etree._Element, substitutions: dict[str, str]) -> None:
    """`xpath`: set the text (children dropped); `xpath/@attr`: an attribute; `xpath/@style:prop`: one CSS property.
    Text is escaped by the serialiser; attributes go through the markup checks."""
    for key, value in substitutions.items():
        target_path, _, attribute = key.partition("/@") if "/@" in key else (key, "", "")
        if key.startswith("@"):
            target_path, attribute = ".", key[1:]
        target = node if target_path in (".", "") else find(node, target_path if target_path.startswith(".")
                                                            else "./" + target_path.lstrip("/"), key)
        tag = etree.QName(target).localname if isinstance(target.tag, str) else ""
        if not attribute:
            inside = next((etree.QName(n).localname for n in (target, *target.iterancestors())
                           if isinstance(n.tag, str) and etree.QName(n).localname.lower() in RAW_TEXT), None)
            if inside is not None:
                raise ToolFailure(f"substitution {key!r}: the text of <{inside}> is not page text (a browser runs or "
                                  "parses it); nothing was written")
            for child in list(target):
                target.remove(child)
            target.text = value
            continue
        name, _, prop = attribute.partition(":")
        if prop:
            if name != "style" or not _CSS_PROP.match(prop):
                raise ToolFailure(f"substitution {key!r}: only @style:<property> takes a property")
            _checked("style", f"{prop}: {value}", key, tag)
            kept = [part for part in (target.get("style") or "").split(";")
                    if part.strip() and part.split(":")[0].strip() != prop]
            target.set("style", "; ".join([*(p.strip() for p in kept), f"{prop}: {value}"]))
        else:
            _checked(name, value, key, tag)
            target.set(name, value)


def _checked(name: str, value: str, key: str, tag: str) -> None:
    """Checked again where the tree is changed, now knowing the element the attribute goes on."""
    try:
        check_attribute(name, value, f"substitution {key!r}", tag)
    except UnsafeMarkup as exc:
        raise ToolFailure(str(exc)) from None


def diff(before: str, after: str, limit: int = 8000) -> str:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), "before", "after", lineterm="", n=1)
    text = "\n".join(lines)
    return text if len(text) <= limit else text[:limit] + "\n... (diff truncated)"
