"""A chatter body as Odoo will show it: markup the sanitiser keeps as it is, or text shown as typed.

From 17.0 `message_post` escapes a `str` body unless `body_is_html=True` is passed (a `Markup`
cannot cross RPC), so `<p>note</p>` would show as literal tags; 16.0 has no such keyword and
stores the body as HTML. The decision is made here, once, on the exact text that is sent:

- `html` (or `auto` when the body holds HTML elements, tags named by the HTML standard): the
  body must pass the sanitiser unchanged (nh3, the policy of the translation and website tools),
  else the call is refused naming what would go; it is sent with `body_is_html=True` on 17+.
- `text` (or `auto` with no HTML element: `a < b`, `<someone@example.com>`): shown as typed;
  escaped here for 16.0, left for Odoo to escape on 17+.
"""

from __future__ import annotations

import html
from typing import Any, Literal

import lxml.html
import lxml.html.defs
from lxml import etree

from tools.translations.markup import UnsafeMarkup, check_fragment

BodyFormat = Literal["auto", "html", "text"]


def has_html_elements(body: str) -> bool:
    """Whether `body` holds at least one element whose tag HTML defines (`<p>`, `<b>`, not `<c` or `<x@y>`)."""
    try:
        root = lxml.html.fragment_fromstring(body, create_parent="div")
    except etree.ParserError:
        return False
    return any(isinstance(el.tag, str) and el.tag.lower() in lxml.html.defs.tags for el in root.iterdescendants())


def is_markup(body: str, body_format: BodyFormat) -> bool:
    return body_format == "html" or (body_format == "auto" and has_html_elements(body))


def checked(body: str, body_format: BodyFormat) -> str:
    """Validator: markup must pass the sanitiser unchanged."""
    if is_markup(body, body_format):
        try:
            check_fragment(body, "body")
        except UnsafeMarkup as exc:
            raise UnsafeMarkup(f"{exc} (to post it as text, set body_format='text')") from None
    return body


def post_kwargs(body: str, body_format: BodyFormat, major_version: int) -> dict[str, Any]:
    """The `body` (and `body_is_html`) to send to `message_post` on this Odoo version."""
    if is_markup(body, body_format):
        return {"body": body, "body_is_html": True} if major_version >= 17 else {"body": body}
    return {"body": body} if major_version >= 17 else {"body": html.escape(body, quote=False)}
