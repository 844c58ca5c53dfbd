"""Web routes no RPC protocol covers: PDF reports at `/report/pdf/<report_name>/<ids>`.

`/xmlrpc/2/report` is gone from modern Odoo, so reports come from the web route, which wants a web
session: it is opened with `/web/session/authenticate` and the password, on every protocol —
Odoo refuses an API key there (14.0 to 19.0), and Odoo 19 ignores a bearer key on `/report/pdf`
(it redirects to `/web/login`). `OdooConnection.report_pdf` refuses before this module is used when
no password is configured. When Odoo has dropped the session (it redirects to `/web/login` or
answers 401), the session is opened again once.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx

from .errors import mapped_errors, odoo_failure
from .settings import ConnectionConfig
from .transport import ssl_context, unreachable


class ReportSession:
    """One connection's web session for PDF reports (not the `web_session` family's cookie jar)."""

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        headers = {"User-Agent": "odoo-guard-mcp"}
        self._client = httpx.Client(
            base_url=config.url,
            timeout=config.timeout,
            headers=headers,
            verify=ssl_context(config) if config.url.startswith("https") else True,
        )
        self._lock = threading.Lock()
        self._authenticated = False
        self.logins = 0

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with mapped_errors(self.config):
            return self._client.request(method, path, **kwargs)

    def _authenticate(self) -> None:
        response = self._send(
            "POST",
            "/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {"db": self.config.db, "login": self.config.username, "password": self.config.password or ""},
            },
        )
        self.logins += 1
        try:
            payload = response.json()
        except ValueError:
            raise unreachable(self.config, "/web/session/authenticate did not answer JSON") from None
        error = payload.get("error") if isinstance(payload, dict) else None
        if error:
            data = error.get("data") or {}
            if "AccessDenied" in str(data.get("name")):
                raise odoo_failure("AccessDenied", f"the web login (for reports) refused the password of user "
                                   f"{self.config.username!r} on database {self.config.db!r}")
            raise odoo_failure(str(data.get("name") or "Error"), str(data.get("message") or error.get("message")))
        self._authenticated = True

    def report_pdf(self, report_name: str, ids: list[int]) -> bytes:
        path = f"/report/pdf/{report_name}/{','.join(str(i) for i in ids)}"
        for attempt in (0, 1):
            with self._lock:
                if not self._authenticated or attempt:
                    self._authenticate()
            response = self._send("GET", path)
            expired = response.status_code in (301, 302, 303, 307, 401) or "/web/login" in str(response.url)
            if expired and attempt == 0:
                continue
            if response.status_code == 200 and response.content.startswith(b"%PDF"):
                return response.content
            try:
                payload = response.json()
            except ValueError:
                payload = None
            if isinstance(payload, dict) and payload.get("name"):
                raise odoo_failure(str(payload["name"]), str(payload.get("message") or ""))
            if expired:
                raise unreachable(self.config, f"{path} asked for a login again right after a web login")
            raise unreachable(self.config, f"HTTP {response.status_code} on {path}: no PDF in the answer")
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._client.close()
