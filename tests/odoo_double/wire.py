"""The double's wire protocols over one HTTP handler: JSON-RPC, XML-RPC, JSON-2 and web routes.

Each protocol decodes a request into a call on the database and encodes the answer (or the
fault, in that protocol's own shape); none of them knows how records are stored. Routes are the
ones the unmodified clients use: odoorpc (`/web/webclient/version_info`, `/jsonrpc`,
`/web/session/*`, `/web/database/list`), `xmlrpc.client` (`/xmlrpc/2/common|object|db`), the
JSON-2 client (`/json/2/<model>/<method>`, `/web/version`), and `/report/pdf/<name>/<ids>`.
"""

from __future__ import annotations

import json
import secrets
import time
import xmlrpc.client
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler
from typing import Any

from .database import Database, Env, User
from .errors import AccessDeniedOdoo, OdooError, SessionExpiredOdoo, ValueErrorOdoo
from .seed import render_pdf
from .versions import traits
from .web_routes import handle_get, handle_post


class Behaviour:
    """Knobs tests turn: slow answers, closed connections."""

    delay: float = 0.0
    requests: int = 0
    connections: int = 0
    """TCP connections accepted (a kept-alive client makes few)."""
    drop_idle: bool = False
    """Close every connection after its answer without saying so, as an idle timeout would."""
    expire_calls: int = 0
    """The next N model calls answer "session expired" (as Odoo does after a restart)."""


class DoubleHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # an answer leaves in one write (flushed per request), as a production server sends it
    disable_nagle_algorithm = True  # with keep-alive, Nagle + delayed ACK would stall each answer 40 ms
    server_version = "Werkzeug/3.0 odoo-double"
    db: Database
    behaviour: Behaviour

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def setup(self) -> None:
        super().setup()
        self.behaviour.connections += 1

    # ---- plumbing ----

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        if self.behaviour.drop_idle:
            self.close_connection = True

    def _json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value).encode(), "application/json; charset=utf-8", headers)

    def _pause(self) -> None:
        self.behaviour.requests += 1
        if self.behaviour.delay:
            time.sleep(self.behaviour.delay)

    def do_GET(self) -> None:
        self._pause()
        if self.path == "/web/version" and traits(self.db.version).web_version:
            self._json(200, {"version_info": self.db.version_info, "version": self.db.version})
        elif self.path.startswith("/report/pdf/"):
            self._report()
        elif handle_get(self):
            pass
        else:
            self._send(404, b"Not Found", "text/plain")

    def do_POST(self) -> None:
        self._pause()
        body = self._body()
        if self.path.startswith("/xmlrpc/2/"):
            self._xmlrpc(self.path.removeprefix("/xmlrpc/2/"), body)
        elif self.path.startswith("/json/2/") and traits(self.db.version).json2:
            self._json2(self.path.removeprefix("/json/2/"), body)
        elif handle_post(self, body):
            pass
        else:
            self._jsonrpc(self.path, body)

    # ---- JSON-RPC ----

    def _jsonrpc(self, path: str, body: bytes) -> None:
        request_id = None
        headers: dict[str, str] = {}
        try:
            payload = json.loads(body or b"{}")
            request_id = payload.get("id")
            params = payload.get("params") or {}
            if path == "/web/webclient/version_info":
                result: Any = self._version()
            elif path == "/web/database/list":
                result = [self.db.name]
            elif path == "/web/session/authenticate":
                user = self.db.authenticate(params.get("db"), params.get("login"), params.get("password"),
                                            api_key=False)
                token = secrets.token_hex(16)
                self.db.sessions[token] = user.id
                headers["Set-Cookie"] = f"session_id={token}; Path=/; HttpOnly"
                result = self._session_info(user)
            elif path == "/web/session/destroy":
                self.db.sessions.pop(self._cookie() or "", None)
                result = None
            elif path == "/jsonrpc":
                result = self._dispatch(params.get("service"), params.get("method"), list(params.get("args") or []))
            else:
                self._send(404, b"Not Found", "text/plain")
                return
            self._json(200, {"jsonrpc": "2.0", "id": request_id, "result": result}, headers)
        except OdooError as exc:
            expired = isinstance(exc, SessionExpiredOdoo)
            code, message = (100, "Odoo Session Expired") if expired else (200, "Odoo Server Error")
            self._json(200, {"jsonrpc": "2.0", "id": request_id, "error": {
                "code": code, "message": message,
                "data": {"name": exc.name, "debug": _debug(exc), "message": exc.message,
                         "arguments": [exc.message], "context": {}}}})

    # ---- XML-RPC ----

    def _xmlrpc(self, service: str, body: bytes) -> None:
        try:
            args, method = xmlrpc.client.loads(body)
            result = self._dispatch(service, method, list(args))
            answer = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=False)
        except OdooError as exc:
            text = exc.message if exc.xmlrpc_code != 1 else f"{_debug(exc)}"
            answer = xmlrpc.client.dumps(xmlrpc.client.Fault(exc.xmlrpc_code, text))
        self._send(200, answer.encode(), "text/xml")

    # ---- the services /jsonrpc and /xmlrpc/2 share ----

    def _dispatch(self, service: Any, method: Any, args: list[Any]) -> Any:
        if service == "common":
            if method == "version":
                return self._version()
            if method in ("login", "authenticate"):
                try:
                    return self.db.authenticate(*args[:3]).id
                except AccessDeniedOdoo:
                    return False
        elif service == "db":
            if method == "list":
                return [self.db.name]
            if method == "server_version":
                return self.db.version
        elif service == "object" and method in ("execute", "execute_kw"):
            if len(args) < 5:
                raise ValueErrorOdoo("execute_kw expects db, uid, password, model, method")
            db, uid, password, model, model_method, *rest = args
            env = Env(self.db, self.db.user_by_uid(db, uid, password))
            self._maybe_expire()
            if method == "execute_kw":
                call_args = rest[0] if rest else []
                kwargs = rest[1] if len(rest) > 1 else {}
                if not isinstance(call_args, list) or not isinstance(kwargs, dict):
                    raise ValueErrorOdoo("execute_kw expects a list of args and a dict of kwargs")
                return env.call(model, model_method, call_args, kwargs)
            return env.call(model, model_method, list(rest), {})
        raise ValueErrorOdoo(f"No such service or method: {service}.{method}")

    def _maybe_expire(self) -> None:
        if self.behaviour.expire_calls > 0:
            self.behaviour.expire_calls -= 1
            raise SessionExpiredOdoo()

    def _version(self) -> dict[str, Any]:
        return {"server_version": self.db.version, "server_version_info": self.db.version_info,
                "server_serie": self.db.version, "protocol_version": 1}

    def _session_info(self, user: User) -> dict[str, Any]:
        return {"uid": user.id, "db": self.db.name, "name": user.name, "username": user.login,
                "is_admin": "system" in user.groups, "is_system": "system" in user.groups,
                "server_version": self.db.version, "server_version_info": self.db.version_info,
                "user_context": {"lang": "en_US", "tz": "Europe/Brussels", "uid": user.id},
                "partner_id": 1, "company_id": 1}

    # ---- JSON-2 ----

    def _bearer_user(self) -> User:
        scheme, _, key = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer":
            raise AccessDeniedOdoo("Invalid apikey")
        return self.db.user_by_key(key.strip())

    def _json2(self, route: str, body: bytes) -> None:
        try:
            model, _, method = route.partition("/")
            user = self._bearer_user()
            database = self.headers.get("X-Odoo-Database")
            if database:
                self.db.check_db(database)
            try:
                payload = json.loads(body or b"{}")
            except ValueError as exc:
                raise ValueErrorOdoo("Invalid JSON body") from exc
            if not isinstance(payload, dict):
                raise ValueErrorOdoo("The body must be a JSON object")
            ids = payload.pop("ids", None)
            if method != "context_get":
                self._maybe_expire()
            env = Env(self.db, user, payload.pop("context", None))
            self._json(200, env.call_named(model, method, ids, payload))
        except OdooError as exc:
            status = exc.http_status
            name = "werkzeug.exceptions.Unauthorized" if isinstance(exc, AccessDeniedOdoo) else exc.name
            self._json(status, {"name": name, "message": exc.message, "arguments": [exc.message, status],
                                "context": {}, "debug": _debug(exc)})

    # ---- reports ----

    def _cookie(self) -> str | None:
        cookie = SimpleCookie(self.headers.get("Cookie") or "")
        return cookie["session_id"].value if "session_id" in cookie else None

    def _report(self) -> None:
        try:
            # only a web session opens a report: Odoo 19 ignores a bearer API key here, as every
            # version ignores a key where a session is expected (a redirect to /web/login)
            uid = self.db.sessions.get(self._cookie() or "")
            user: User | None = self.db.users.get(uid) if uid else None
            if user is None:
                self._send(303, b"", "text/html", {"Location": "/web/login?redirect=" + self.path})
                return
            _, _, rest = self.path.partition("/report/pdf/")
            report_name, _, ids_text = rest.partition("/")
            try:
                ids = [int(part) for part in ids_text.split(",") if part]
            except ValueError as exc:
                raise ValueErrorOdoo(f"Invalid ids {ids_text!r}") from exc
            pdf = render_pdf(Env(self.db, user), report_name, ids)
            self._send(200, pdf, "application/pdf",
                       {"Content-Disposition": f'inline; filename="{report_name}.pdf"'})
        except OdooError as exc:
            self._json(exc.http_status, {"name": exc.name, "message": exc.message, "arguments": [exc.message]})


def _debug(exc: OdooError) -> str:
    """Odoo's `debug` field: a traceback whose last line is `module.Name: message`."""
    return (
        "Traceback (most recent call last):\n"
        '  File "odoo/service/model.py", line 1, in dispatch\n'
        f"{exc.name}: {exc.message}\n"
    )
