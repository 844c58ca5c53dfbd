"""Is what Odoo sent the file the tool promised? Magic bytes and content type, before anything is saved.

Odoo answers some failures with HTTP 200 and an HTML page: `/report/xlsx/…` without OCA's
`report_xlsx` ("Converter xlsx not implemented"), an error or login page in place of a PDF.
Saving those bytes as `.xlsx` and answering "saved" would tell the agent a file exists that does
not. So each tool that saves a typed file checks the bytes first (a PDF starts with `%PDF-`, an
XLSX is a zip, `PK\\x03\\x04`; a PNG has its signature) and refuses, saving nothing, with what Odoo
said instead.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from guard.spec import NotConfigured, ToolFailure

MAGIC = {"pdf": b"%PDF-", "xlsx": b"PK\x03\x04", "png": b"\x89PNG\r\n\x1a\n"}


def _said(data: bytes) -> str:
    """The first words of a page Odoo sent instead of a file (its visible text, not its markup)."""
    try:
        root = lxml.html.fromstring(data[:200_000])
        for node in root.xpath("//script|//style"):
            node.drop_tree()
        text = root.text_content()
    except (etree.ParserError, ValueError):
        text = data[:400].decode("utf-8", "replace")
    return re.sub(r"\s+", " ", text).strip()[:200] or "an empty answer"


def is_page(data: bytes, content_type: str) -> bool:
    head = data[:512].lstrip().lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html", b"<?xml"))


def expect(kind: str, data: bytes, content_type: str, what: str, needs_module: str | None = None) -> bytes:
    """`data` if it is a `kind` file; otherwise a refusal naming what came back (and the module it needs)."""
    if data.startswith(MAGIC[kind]):
        return data
    got = f"{content_type or 'no content type'}, {len(data)} bytes: {_said(data)!r}"
    if needs_module and is_page(data, content_type):
        raise NotConfigured(f"{what}: Odoo answered a page, not an {kind.upper()} file ({got}); {kind.upper()} "
                            f"reports need the Odoo module {needs_module} (OCA), which is not installed; "
                            "nothing was saved", before_effect=False)  # Odoo was asked and answered: charged
    raise ToolFailure(f"{what}: Odoo answered {got} — not a {kind.upper()} file; nothing was saved")


def expect_not_page(data: bytes, content_type: str, what: str, kind: str) -> bytes:
    """For a text file (CSV) or an image of any format: refused only when it is an HTML page."""
    if is_page(data, content_type) and not content_type.lower().startswith("image/svg"):
        raise ToolFailure(f"{what}: Odoo answered a page ({content_type or 'no content type'}, {len(data)} bytes: "
                          f"{_said(data)!r}) — not a {kind}; nothing was saved")
    return data
