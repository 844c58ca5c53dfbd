"""The double's browser-facing routes: call_kw, CSV/XLSX export, reports, content, portal, shop, sitemap.

A route that needs a user answers 303 to `/web/login` without a session cookie, as Odoo does;
the public ones (`/shop`, `/sitemap.xml`, `/report/barcode`) answer anyone. Every request is
logged in `db.web_log` as `(method, path, had_session_cookie)` so tests can see what was sent.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .database import GENERIC, Env, User, record_method
from .errors import OdooError, SessionExpiredOdoo, ValueErrorOdoo
from .seed import render_pdf

PORTAL = {"/my", "/my/home", "/my/invoices", "/my/orders", "/my/purchase", "/my/tickets"}
XLSX_MAGIC = b"PK\x03\x04"


def _user(handler: Any) -> User | None:
    uid = handler.db.sessions.get(handler._cookie() or "")
    return handler.db.users.get(uid) if uid else None


def _login_redirect(handler: Any) -> None:
    handler._send(303, b"", "text/html", {"Location": "/web/login?redirect=" + handler.path})


def _installed(env: Env, module: str) -> bool:
    return any(row["name"] == module and row["state"] == "installed"
               for row in env.db.models["ir.module.module"].records.values())


def _html(handler: Any, body: str) -> None:
    handler._send(200, f"<html><head><script>var x=1;</script></head><body>{body}</body></html>".encode(),
                  "text/html; charset=utf-8")


def handle_get(handler: Any) -> bool:
    """Serve a GET route of this module; False when the path is not one of them."""
    db = handler.db
    url = urlsplit(handler.path)
    path, query = unquote(url.path), parse_qs(url.query)
    db.web_log.append(("GET", handler.path, handler._cookie() is not None))
    user = _user(handler)
    if path == "/sitemap.xml":
        handler._send(200, b'<?xml version="1.0"?><urlset><url><loc>/shop</loc></url></urlset>', "application/xml")
    elif path == "/shop" or path.startswith("/shop/page/"):
        page, search = query.get("page", ["1"])[0], query.get("search", [""])[0]
        names = [r["name"] for r in db.models["product.template"].records.values() if search.lower() in
                 r["name"].lower()]
        _html(handler, f"<h1>Shop page {page}</h1><ul>{''.join(f'<li>{n}</li>' for n in names)}</ul>")
    elif path.startswith("/report/barcode/"):
        kind, _, value = path.removeprefix("/report/barcode/").partition("/")
        handler._send(200, b"\x89PNG\r\n\x1a\n" + f"{kind}:{value}:{query.get('width')}".encode(), "image/png")
    elif path in ("/web", "/odoo"):
        if user is None:
            return _login_redirect(handler) or True
        token = db.csrf.setdefault(handler._cookie(), f"{secrets.token_hex(20)}o1767225600")
        _html(handler, f'<script>odoo.csrf_token = "{token}";</script>')
    elif path.split("/page/")[0] in PORTAL or path.startswith(
            ("/report/html/", "/report/xlsx/", "/web/content/", "/web/image/")):
        if user is None:
            return _login_redirect(handler) or True
        try:
            _user_get(handler, Env(db, user), path, query)
        except OdooError as exc:
            handler._json(exc.http_status, {"name": exc.name, "message": exc.message})
    else:
        return False
    return True


def _user_get(handler: Any, env: Env, path: str, query: dict[str, list[str]]) -> None:
    db = env.db
    if path.split("/page/")[0] in PORTAL:
        page = path.split("/page/")[1] if "/page/" in path else "1"
        _html(handler, f"<h2>{path} for {env.user.name}</h2><p>page {page}</p><style>p{{}}</style>")
    elif path.startswith("/report/"):
        kind, _, rest = path.removeprefix("/report/").partition("/")
        name, _, ids_text = rest.partition("/")
        pdf = render_pdf(env, name, [int(part) for part in ids_text.split(",") if part])
        if kind == "html":
            _html(handler, "<main>" + pdf.decode().split("(")[1].split(")")[0] + "</main>")
        elif kind == "xlsx" and not _installed(env, "report_xlsx"):
            # Odoo's report route knows no xlsx converter without OCA report_xlsx: an HTML page, HTTP 200
            _html(handler, "<p>Converter xlsx not implemented.</p>")
        else:
            handler._send(200, XLSX_MAGIC + pdf, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    elif path.startswith("/web/content/"):
        attachment_id = int(path.removeprefix("/web/content/").split("/")[0])
        [row] = env.call("ir.attachment", "read", [[attachment_id]], {"fields": ["name", "datas", "mimetype"]})
        handler._send(200, base64.b64decode(row["datas"] or b""), row["mimetype"] or "application/octet-stream",
                      {"Content-Disposition": f'attachment; filename="{row["name"]}"'})
    else:
        model, record_id, field = ([*path.removeprefix("/web/image/").split("/"), "image_1920"])[:3]
        [row] = env.call(model, "read", [[int(record_id)]], {"fields": [field]})
        data = base64.b64decode(row[field]) if row.get(field) else b"\x89PNG placeholder"
        handler._send(200, data, "image/png")
    del db


def handle_post(handler: Any, body: bytes) -> bool:
    """Serve a POST route of this module; False when the path is not one of them."""
    db = handler.db
    path = urlsplit(handler.path).path
    db.web_log.append(("POST", handler.path, handler._cookie() is not None))
    if path == "/web/dataset/call_kw" or path.startswith("/web/dataset/call_kw/"):
        _call_kw(handler, body)
    elif path in ("/web/export/csv", "/web/export/xlsx"):
        user = _user(handler)
        if user is None:
            return _login_redirect(handler) or True
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        if not form.get("csrf_token") or form["csrf_token"] != db.csrf.get(handler._cookie()):
            handler._send(400, b"Session expired (invalid CSRF token)", "text/plain")
            return True
        try:
            data = json.loads(form.get("data") or "{}")
            names = [item["name"] for item in data["fields"]]
            rows = Env(db, user).call(data["model"], "read", [data["ids"]], {"fields": [n.split("/")[0]
                                                                                          for n in names]})
        except OdooError as exc:
            handler._json(exc.http_status, {"name": exc.name, "message": exc.message})
            return True
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(names)
        for row in rows:
            writer.writerow([row.get(n.split("/")[0]) for n in names])
        payload = out.getvalue().encode()
        if path.endswith("xlsx"):
            handler._send(200, XLSX_MAGIC + payload, "application/vnd.ms-excel")
        else:
            handler._send(200, payload, "text/csv;charset=utf8")
    else:
        return False
    return True


def _call_kw(handler: Any, body: bytes) -> None:
    payload: dict[str, Any] = {}
    try:
        payload = json.loads(body or b"{}")
        params = payload.get("params") or {}
        user = _user(handler)
        if user is None:
            raise SessionExpiredOdoo()
        if not isinstance(params.get("args", []), list) or not isinstance(params.get("kwargs", {}), dict):
            raise ValueErrorOdoo("args must be a list and kwargs a dict")
        env = Env(handler.db, user)
        result = env.call(params.get("model"), params.get("method"), params.get("args") or [],
                          params.get("kwargs") or {})
        handler._json(200, {"jsonrpc": "2.0", "id": payload.get("id"), "result": result})
    except OdooError as exc:
        expired = isinstance(exc, SessionExpiredOdoo)
        handler._json(200, {"jsonrpc": "2.0", "id": payload.get("id"), "error": {
            "code": 100 if expired else 200, "message": "Odoo Session Expired" if expired else "Odoo Server Error",
            "data": {"name": exc.name, "message": exc.message}}})


def web_search_read(env: Env, model: Any, domain: Any = (), specification: Any = None, fields: Any = None,
                    offset: int = 0, limit: Any = None, order: Any = None, count_limit: Any = None) -> dict[str, Any]:
    """Odoo 17+: `specification` ({field: {}}); before: `fields`."""
    names = list(specification or {}) or list(fields or [])
    ids = GENERIC["search"](env, model, domain, offset, limit, order)
    return {"length": len(ids), "records": GENERIC["read"](env, model, ids, names)}


@record_method
def export_data(env: Env, model: Any, ids: list[int], fields_to_export: Any) -> Any:
    """Odoo's signature: no `import_compat` keyword (the web client passes it in the context, default True)."""
    env.db.last_export_context = {"import_compat": env.context.get("import_compat", True)}
    rows = GENERIC["read"](env, model, ids, [name.split("/")[0] for name in fields_to_export])
    return {"datas": [[row.get(name.split("/")[0]) for name in fields_to_export] for row in rows]}


GENERIC.update(web_search_read=web_search_read, export_data=export_data)
