"""The 15 `public_access_*` tools: what a portal user or an anonymous visitor of the Odoo site gets.

Exports, reports, downloads, images and the `/my/*` portal pages go through the calling client's
own web session (`odoo_web_login`): Odoo then applies that user's portal rights. The shop, the
sitemap and barcodes are fetched truly anonymously (a fresh session without cookies). Every file
is written inside the files root (`save_path`), never elsewhere; every URL stays on the
connection's origin, with each path segment URL-encoded.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

import lxml.html
from lxml import etree
from pydantic import Field

from guard.spec import Call, Risk, ToolArgs, ToolFailure
from tools.odoo.files import SavePath
from tools.odoo_kit import ConnectionName, Domain, FieldName, Ids, ModelName, OnModel, RecordId, sensitive
from tools.registry import tool
from tools.web_session.filetype import expect, expect_not_page
from tools.web_session.routes import segment
from tools.web_session.session import WebSession, anonymous, logged_in
from tools.web_session.tools import ExportFields, report_bytes, save_or_embed

CSRF = re.compile(r"""csrf_token["']?\s*[:=]\s*["']([0-9a-f]+o\d+)["']""")
Page = Annotated[int, Field(ge=1, le=10_000)]


class ExportArgs(OnModel):
    fields: ExportFields
    domain: Domain = Field(default_factory=list)
    import_compat: bool = False
    limit: Annotated[int, Field(ge=1, le=10_000)] = 1000
    save_path: SavePath = None


class ReportArgs(ToolArgs):
    connection: ConnectionName = None
    report_name: str = Field(pattern=r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$", max_length=256)
    ids: Ids


class SavedReportArgs(ReportArgs):
    save_path: SavePath = None


class DownloadArgs(ToolArgs):
    connection: ConnectionName = None
    content_id: RecordId
    save_path: SavePath = None


class ImageArgs(ToolArgs):
    connection: ConnectionName = None
    model: ModelName
    record_id: RecordId
    field: FieldName = "image_1920"
    save_path: SavePath = None


class BarcodeArgs(ToolArgs):
    connection: ConnectionName = None
    value: str = Field(min_length=1, max_length=512)
    barcode_type: Literal["Code128", "QR", "EAN13", "EAN8", "UPC-A", "Code39"] = "Code128"
    width: Annotated[int, Field(ge=10, le=4000)] = 600
    height: Annotated[int, Field(ge=10, le=4000)] = 100
    save_path: SavePath = None


class HomeArgs(ToolArgs):
    connection: ConnectionName = None


class PageArgs(HomeArgs):
    page: Page = 1


class ShopArgs(PageArgs):
    search: str = Field("", max_length=200)


def page_text(html: bytes, limit: int = 8000) -> str:
    """The visible text of a page (scripts and styles dropped), parsed, not regex-stripped."""
    if not html.strip():
        return ""
    root = lxml.html.fromstring(html)
    for node in root.xpath("//script|//style|//noscript"):
        node.drop_tree()
    text = re.sub(r"\s+", " ", root.text_content()).strip()
    return text[:limit]


def _export(args: ExportArgs, call: Call, kind: str) -> Any:
    connection, session = logged_in(call, args.connection)
    sensitive.check_search(call, connection, args.model, domain=args.domain)
    sensitive.check_execute(call, connection, args.model, "export_data", [[1], args.fields], {})
    ids = session.call_kw(args.model, "search", [args.domain], {"limit": args.limit})
    page = session.get("/web").text
    match = CSRF.search(page) or CSRF.search(session.get("/odoo").text)
    if match is None:
        raise ToolFailure("could not find the CSRF token on /web: the export route cannot be used")
    data = json.dumps({"model": args.model, "fields": [{"name": f, "label": f} for f in args.fields], "ids": ids,
                       "domain": args.domain, "import_compat": args.import_compat})
    response = session.send("POST", f"/web/export/{kind}", data={"data": data, "csrf_token": match.group(1)})
    if response.status_code != 200:
        raise ToolFailure(f"Odoo answered HTTP {response.status_code} to the {kind} export")
    content_type, what = response.headers.get("content-type", ""), f"the {kind} export of {args.model}"
    if kind == "xlsx":
        data = expect("xlsx", response.content, content_type, what)
    else:
        data = expect_not_page(response.content, content_type, what, "CSV file")
    mime = "text/csv" if kind == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return save_or_embed(call, data, f"{args.model}.{kind}", mime,
                         {"model": args.model, "records": len(ids)})


@tool("public_access_export_xlsx", family="public", risk=Risk.WRITE, args=ExportArgs, open_world=True)
def public_access_export_xlsx(args: ExportArgs, call: Call) -> Any:
    """Export records to XLSX through /web/export/xlsx as the logged-in web user; saved in the files root."""
    return _export(args, call, "xlsx")


@tool("public_access_export_csv", family="public", risk=Risk.WRITE, args=ExportArgs, open_world=True)
def public_access_export_csv(args: ExportArgs, call: Call) -> Any:
    """Export records to CSV through /web/export/csv as the logged-in web user; saved in the files root."""
    return _export(args, call, "csv")


@tool("public_access_report_pdf", family="public", risk=Risk.WRITE, args=SavedReportArgs, open_world=True)
def public_access_report_pdf(args: SavedReportArgs, call: Call) -> Any:
    """Fetch a PDF report (/report/pdf) as the logged-in web user; saved in the files root or embedded."""
    pdf = report_bytes(call, args.connection, "pdf", args.report_name, args.ids)
    return save_or_embed(call, pdf, f"{args.report_name}.pdf", "application/pdf", {"report_name": args.report_name})


@tool("public_access_report_html", family="public", risk=Risk.READ, args=ReportArgs, idempotent=True,
      open_world=True)
def public_access_report_html(args: ReportArgs, call: Call) -> Any:
    """Fetch a report as HTML (/report/html) as the logged-in web user; returns its text."""
    html = report_bytes(call, args.connection, "html", args.report_name, args.ids)
    return {"report_name": args.report_name, "text": page_text(html, 10_000)}


@tool("public_access_report_xlsx", family="public", risk=Risk.WRITE, args=SavedReportArgs, open_world=True)
def public_access_report_xlsx(args: SavedReportArgs, call: Call) -> Any:
    """Fetch an XLSX report (/report/xlsx, OCA report_xlsx) as the logged-in web user; saved in the files root."""
    data = report_bytes(call, args.connection, "xlsx", args.report_name, args.ids)
    return save_or_embed(call, data, f"{args.report_name}.xlsx", "application/vnd.openxmlformats-officedocument."
                         "spreadsheetml.sheet", {"report_name": args.report_name})


@tool("public_access_download", family="public", risk=Risk.WRITE, args=DownloadArgs, open_world=True)
def public_access_download(args: DownloadArgs, call: Call) -> Any:
    """Download an attachment (/web/content/<id>) as the logged-in web user; saved in the files root or embedded."""
    connection, session = logged_in(call, args.connection)
    sensitive.check_attachment_ids(call, connection, [args.content_id])
    response = session.get(f"/web/content/{args.content_id}")
    if response.status_code != 200:
        raise ToolFailure(f"Odoo answered HTTP {response.status_code} for attachment {args.content_id}")
    found = re.search(r'filename="?([^";]+)"?', response.headers.get("content-disposition", ""))
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", found.group(1) if found else f"content_{args.content_id}")[:100]
    return save_or_embed(call, response.content, name, response.headers.get("content-type", "application/octet-stream"),
                         {"content_id": args.content_id})


@tool("public_access_image", family="public", risk=Risk.WRITE, args=ImageArgs, open_world=True)
def public_access_image(args: ImageArgs, call: Call) -> Any:
    """Fetch a record's image field (/web/image/<model>/<id>/<field>) as the logged-in web user."""
    connection, session = logged_in(call, args.connection)
    sensitive.check_binary_file(call, connection, args.model, args.field)
    if args.model == "ir.attachment":  # the attachment's own file: judged by its owner, as a download is
        sensitive.check_attachment_ids(call, connection, [args.record_id])
    response = session.get(f"/web/image/{segment(args.model)}/{args.record_id}/{segment(args.field)}")
    if response.status_code != 200:
        raise ToolFailure(f"Odoo answered HTTP {response.status_code} for the image")
    expect_not_page(response.content, response.headers.get("content-type", ""), "the image", "an image")
    return save_or_embed(call, response.content, f"{args.model}_{args.record_id}_{args.field}.png",
                         response.headers.get("content-type", "image/png"), {"model": args.model,
                                                                            "record_id": args.record_id})


def _anonymous_get(call: Call, alias: str | None, path: str, params: dict[str, Any] | None = None) -> bytes:
    session: WebSession = anonymous(call, alias)
    try:
        response = session.send("GET", path, params=params)
    finally:
        session.close()
    if response.status_code != 200:
        raise ToolFailure(f"Odoo answered HTTP {response.status_code} on {path.split('?')[0]}")
    return response.content


@tool("public_access_barcode", family="public", risk=Risk.WRITE, args=BarcodeArgs, idempotent=True, open_world=True)
def public_access_barcode(args: BarcodeArgs, call: Call) -> Any:
    """Render a barcode image (/report/barcode), anonymously; saved in the files root or embedded."""
    path = f"/report/barcode/{segment(args.barcode_type)}/{segment(args.value)}"
    data = expect("png", _anonymous_get(call, args.connection, path, {"width": args.width, "height": args.height}),
                  "", f"the {args.barcode_type} barcode")
    return save_or_embed(call, data, f"barcode_{args.barcode_type}.png", "image/png", {"type": args.barcode_type})


def _portal(args: HomeArgs, call: Call, path: str, page: int = 1) -> Any:
    _, session = logged_in(call, args.connection)
    response = session.get(path + (f"/page/{page}" if page > 1 else ""))
    if response.status_code != 200:
        raise ToolFailure(f"Odoo answered HTTP {response.status_code} on {path} (is the module installed?)")
    return {"path": path, "page": page, "text": page_text(response.content)}


@tool("public_access_portal_home", family="public", risk=Risk.READ, args=HomeArgs, idempotent=True, open_world=True)
def public_access_portal_home(args: HomeArgs, call: Call) -> Any:
    """Read the portal home page (/my/home) as the logged-in web user; returns its text."""
    return _portal(args, call, "/my/home")


@tool("public_access_portal_invoices", family="public", risk=Risk.READ, args=PageArgs, idempotent=True,
      open_world=True)
def public_access_portal_invoices(args: PageArgs, call: Call) -> Any:
    """Read the portal invoices list (/my/invoices) as the logged-in web user; returns its text."""
    return _portal(args, call, "/my/invoices", args.page)


@tool("public_access_portal_orders", family="public", risk=Risk.READ, args=PageArgs, idempotent=True,
      open_world=True)
def public_access_portal_orders(args: PageArgs, call: Call) -> Any:
    """Read the portal sales orders list (/my/orders) as the logged-in web user; returns its text."""
    return _portal(args, call, "/my/orders", args.page)


@tool("public_access_portal_purchases", family="public", risk=Risk.READ, args=PageArgs, idempotent=True,
      open_world=True)
def public_access_portal_purchases(args: PageArgs, call: Call) -> Any:
    """Read the portal purchase orders list (/my/purchase) as the logged-in web user; returns its text."""
    return _portal(args, call, "/my/purchase", args.page)


@tool("public_access_portal_tickets", family="public", risk=Risk.READ, args=PageArgs, idempotent=True,
      open_world=True)
def public_access_portal_tickets(args: PageArgs, call: Call) -> Any:
    """Read the portal helpdesk tickets list (/my/tickets) as the logged-in web user; returns its text."""
    return _portal(args, call, "/my/tickets", args.page)


@tool("public_access_shop", family="public", risk=Risk.READ, args=ShopArgs, idempotent=True, open_world=True)
def public_access_shop(args: ShopArgs, call: Call) -> Any:
    """Read the web shop (/shop) anonymously, as any visitor sees it; returns its text."""
    params: dict[str, Any] = {"search": args.search} if args.search else {}
    path = "/shop" + (f"/page/{args.page}" if args.page > 1 else "")
    return {"page": args.page, "text": page_text(_anonymous_get(call, args.connection, path, params or None))}


@tool("public_access_sitemap", family="public", risk=Risk.READ, args=HomeArgs, idempotent=True, open_world=True)
def public_access_sitemap(args: HomeArgs, call: Call) -> Any:
    """Read the site's /sitemap.xml anonymously; returns the listed URLs."""
    data = _anonymous_get(call, args.connection, "/sitemap.xml")
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        raise ToolFailure("the sitemap is not well-formed XML") from None
    urls = [node.text for node in root.iter() if isinstance(node.tag, str) and node.tag.endswith("loc") and node.text]
    return {"urls": urls[:2000], "count": len(urls)}
