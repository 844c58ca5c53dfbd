"""The `odoo_web_*` tools: a browser-style session on the connection's own Odoo, per grant.

Login, model calls and reads through `/web/dataset/call_kw` (with the same sensitive-data rules as
the RPC tools), a bounded export, PDF reports into the files root, and a raw request confined to
the connection's origin and an allow-list of routes (`ODOO_MCP_WEB_ROUTES`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import Field

from guard.spec import Blob, Call, NotConfigured, Risk, ToolArgs, ToolFailure, ToolOutput
from odoo_client.domain import METHOD_NAME
from odoo_client.settings import normalize_url
from tools.odoo.canonical import canonical_call_args
from tools.odoo.common import odoo
from tools.odoo.files import MAX_BYTES, SavePath, write_new
from tools.odoo_kit import ConnectionName, Domain, FieldName, Ids, Limit, Offset, OnModel, Order, sensitive
from tools.odoo_kit.equivalents import execute_equivalents
from tools.registry import tool

from . import routes
from .filetype import MAGIC, expect
from .session import logged_in, sessions

DEFAULT_ROUTES = ("/web/webclient/version_info", "/website/info", "/my", "/shop", "/sitemap.xml", "/robots.txt")
ExportFields = Annotated[list[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*(/[a-z_][a-z0-9_]*)*$",
                                                   max_length=256)]],
                         Field(min_length=1, max_length=200, description='Field paths, e.g. "partner_id/name".')]


class LoginArgs(ToolArgs):
    connection: ConnectionName = None
    url: str | None = Field(None, max_length=512, description="Must be the connection's own URL (default).")
    db: str | None = Field(None, max_length=128, description="Must be the connection's database (default).")
    login: str | None = Field(None, max_length=256, description="Default: the connection's user.")
    password: str | None = Field(None, max_length=1024, description="Default: the connection's secret.")


class ConnectionArgs(ToolArgs):
    connection: ConnectionName = None


class CallArgs(OnModel):
    method: str = Field(pattern=METHOD_NAME.pattern, max_length=128, description="Public model method.")
    args: list[Any] = Field(default_factory=list, max_length=50)
    kwargs: dict[str, Any] = Field(default_factory=dict)


class ReadArgs(OnModel):
    fields: list[FieldName] = Field(min_length=1, max_length=200)
    domain: Domain = Field(default_factory=list)
    limit: Limit = 80
    offset: Offset = 0
    order: Order = None


class ExportArgs(OnModel):
    fields: ExportFields
    domain: Domain = Field(default_factory=list)
    import_compat: bool = False
    limit: Annotated[int, Field(ge=1, le=10_000, description="At most this many records.")] = 1000


class ReportArgs(ToolArgs):
    connection: ConnectionName = None
    report_name: str = Field(pattern=r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$", max_length=256)
    ids: Ids
    save_path: SavePath = None


class RequestArgs(ToolArgs):
    connection: ConnectionName = None
    path: str = Field(max_length=2048, description="Absolute path on the connection's server, e.g. /my/home.")
    method: Literal["GET", "POST"] = "GET"
    data: dict[str, Any] = Field(default_factory=dict, description="JSON body (POST).")
    params: dict[str, str | int | float | bool] = Field(default_factory=dict, description="Query parameters.")


def allowed_routes(call: Call) -> tuple[str, ...]:
    raw = (getattr(call.runtime.settings, "env", None) or {}).get("ODOO_MCP_WEB_ROUTES")
    if not raw:
        return DEFAULT_ROUTES
    return tuple(part.strip() for part in raw.split(",") if part.strip().startswith("/"))


@tool("odoo_web_login", family="web", risk=Risk.WRITE, args=LoginArgs, open_world=True)
def odoo_web_login(args: LoginArgs, call: Call) -> Any:
    """Open a web (cookie) session on the connection's own Odoo for this client; needed by the odoo_web_*
    and portal public_access_* tools."""
    connection = odoo(call, args.connection)
    config = connection.config
    if args.url and normalize_url(args.url) != config.url:
        raise ToolFailure("url must be the connection's own URL: a web login never goes to another server")
    if args.db and args.db != config.db:
        raise ToolFailure("db must be the connection's database")
    login = args.login or config.username
    password = args.password or (config.password if login == config.username else None)
    if not password:  # Odoo opens web sessions with a password only: an API key is refused there
        raise NotConfigured(f"odoo_web_login needs a password: Odoo opens web sessions with a password only, never "
                            f"an API key; give password, or set {config.setting('password')}")
    session = sessions(call).open(call.caller.grant, connection)
    with session.lock:
        info = session.login(login, password or "")
    return {"connection": connection.alias, "logged_in": True, **info}


@tool("odoo_web_logout", family="web", risk=Risk.WRITE, args=ConnectionArgs, idempotent=True, open_world=True)
def odoo_web_logout(args: ConnectionArgs, call: Call) -> Any:
    """End this client's web session on the connection (other clients' sessions are untouched)."""
    connection = odoo(call, args.connection)
    session = sessions(call).drop(call.caller.grant, connection.alias)
    if session is None:
        return {"connection": connection.alias, "logged_out": False, "note": "no web session was open"}
    session.logout()
    session.close()
    return {"connection": connection.alias, "logged_out": True}


@tool("odoo_web_call", family="web", risk=Risk.EXECUTE, args=CallArgs, open_world=True,
      equivalents=execute_equivalents, canonical=canonical_call_args)
def odoo_web_call(args: CallArgs, call: Call) -> Any:
    """Call a public model method through the web session (/web/dataset/call_kw), as the logged-in user."""
    if args.method.startswith("_"):
        raise ToolFailure("private methods (starting with '_') cannot be called")
    connection, session = logged_in(call, args.connection)
    sensitive.check_execute(call, connection, args.model, args.method, args.args, args.kwargs)
    result = session.call_kw(args.model, args.method, args.args, args.kwargs)
    return sensitive.finish_execute(call, connection, args.model, result)


@tool("odoo_web_read", family="web", risk=Risk.READ, args=ReadArgs, idempotent=True, open_world=True)
def odoo_web_read(args: ReadArgs, call: Call) -> Any:
    """Search and read records through the web session (web_search_read: specification on 17+, fields before)."""
    connection, session = logged_in(call, args.connection)
    sensitive.check_search(call, connection, args.model, domain=args.domain, order=args.order)
    plan = sensitive.plan_read(call, connection, args.model, args.fields)
    fields = plan.fields or ["id"]
    kwargs: dict[str, Any] = {"domain": args.domain, "limit": args.limit, "offset": args.offset}
    if args.order:
        kwargs["order"] = args.order
    if connection.major_version() >= 17:
        kwargs["specification"] = {name: {} for name in fields}
        method = "web_search_read"
    else:
        kwargs["fields"] = fields
        method = "web_search_read" if connection.major_version() >= 14 else "search_read"
    result = session.call_kw(args.model, method, [], kwargs)
    rows = result.get("records", []) if isinstance(result, dict) else result
    return sensitive.finish_read(call, plan, rows, more=lambda kept: f"call again with offset={args.offset + kept}")


@tool("odoo_web_export", family="web", risk=Risk.READ, args=ExportArgs, idempotent=True, open_world=True)
def odoo_web_export(args: ExportArgs, call: Call) -> Any:
    """Export field paths of matching records (export_data), at most `limit` records."""
    connection, session = logged_in(call, args.connection)
    sensitive.check_search(call, connection, args.model, domain=args.domain)
    sensitive.check_execute(call, connection, args.model, "export_data", [[1], args.fields], {})
    ids = session.call_kw(args.model, "search", [args.domain], {"limit": args.limit})
    if not ids:
        return {"model": args.model, "fields": args.fields, "rows": []}
    # export_data(self, fields_to_export) takes no keyword: import_compat is read from the context (as Odoo's
    # own export dialog sends it), so an unknown keyword never reaches Odoo
    result = session.call_kw(args.model, "export_data", [ids, args.fields],
                             {"context": {"import_compat": args.import_compat}})
    rows = result.get("datas", []) if isinstance(result, dict) else result
    return {"model": args.model, "fields": args.fields, "rows": rows, "records": len(ids)}


def save_or_embed(call: Call, data: bytes, name: str, mime_type: str, extra: dict[str, Any]) -> Any:
    """Into the files root (save_path) or embedded in the answer: never anywhere else."""
    if len(data) > MAX_BYTES:
        raise ToolFailure(f"answer is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if "save_path" in call.paths:
        return {**write_new(call, call.paths["save_path"], data), **extra}
    return ToolOutput(data={**extra, "bytes": len(data), "name": name}, blobs=(Blob(name, mime_type, data),))


def report_bytes(call: Call, alias: str | None, kind: str, report_name: str, ids: list[int]) -> bytes:
    connection, session = logged_in(call, alias)
    sensitive.check_report(call, connection, report_name)
    path = f"/report/{kind}/{quote(report_name, safe='')}/{','.join(str(i) for i in ids)}"
    response = session.get(path)
    if response.status_code != 200:
        raise ToolFailure(f"Odoo answered HTTP {response.status_code} for the {kind} report {report_name}")
    if kind in MAGIC:  # pdf, xlsx: the file itself, or a refusal saying what came instead
        return expect(kind, response.content, response.headers.get("content-type", ""),
                      f"the {kind} report {report_name}", needs_module="report_xlsx" if kind == "xlsx" else None)
    return response.content


@tool("odoo_web_report", family="web", risk=Risk.WRITE, args=ReportArgs, open_world=True)
def odoo_web_report(args: ReportArgs, call: Call) -> Any:
    """Render a PDF report through the web session: into save_path in the files root, or embedded."""
    pdf = report_bytes(call, args.connection, "pdf", args.report_name, args.ids)
    return save_or_embed(call, pdf, f"{args.report_name}.pdf", "application/pdf",
                         {"report_name": args.report_name, "ids": args.ids})


@tool("odoo_web_request", family="web", risk=Risk.EXECUTE, args=RequestArgs, open_world=True)
def odoo_web_request(args: RequestArgs, call: Call) -> Any:
    """Send a GET or POST to an allowed route (ODOO_MCP_WEB_ROUTES) of the connection's own server through
    the web session."""
    path = routes.decide(args.path, allowed_routes(call))
    _, session = logged_in(call, args.connection)
    if args.method == "GET":
        response = session.send("GET", path, params=args.params or None)
    else:
        response = session.send("POST", path, params=args.params or None, json=args.data)
    content_type = response.headers.get("content-type", "")
    answer: dict[str, Any] = {"status": response.status_code, "content_type": content_type,
                              "bytes": len(response.content)}
    if "json" in content_type:
        try:
            answer["json"] = response.json()
            return answer
        except ValueError:
            pass
    if response.is_redirect:
        answer["location"] = response.headers.get("location", "")
    answer["text"] = response.text[:5000]
    return answer
