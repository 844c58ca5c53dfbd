"""Odoo 19's JSON-2 API: `POST /json/2/<model>/<method>`, bearer API key.

Requests go over `http.client` connections kept alive per worker thread (`keepalive.py`, the
same pool the JSON-RPC transport uses: TCP_NODELAY, a connection the server closed while idle
replaced once, the per-call timeout and TLS settings), bodies encoded and decoded with orjson.
An `httpx.Client` did the same job for ~0.25 ms more per call (its request/response models,
header normalisation and pool bookkeeping) and ~60 ms more at start-up. `execute_async` sends the
same request from the event loop (`aio_http.py`), for the read tools that await it.

JSON-2 takes parameters by name only, so the classic positional convention the rest of the
code uses is mapped here: record methods take `ids` from the first argument, and known methods
name their positional parameters as Odoo's signatures do. A method not in the table accepts
ids plus `kwargs` only; other positional arguments are refused with a message saying to pass
them by name.
"""

from __future__ import annotations

from typing import Any

from foundation import fastjson

from .aio_http import AsyncConnections
from .endpoint import Endpoint
from .errors import OdooRequestError, mapped_errors, odoo_failure, wrong_credentials
from .keepalive import Connections, exchange
from .settings import ConnectionConfig
from .transport import ssl_context, unreachable

POSITIONAL: dict[str, tuple[str, ...]] = {
    "search": ("domain", "offset", "limit", "order"),
    "search_read": ("domain", "fields", "offset", "limit", "order"),
    "search_count": ("domain", "limit"),
    "read": ("fields", "load"),
    "create": ("vals_list",),
    "write": ("vals",),
    "unlink": (),
    "fields_get": ("allfields", "attributes"),
    "name_search": ("name", "domain", "operator", "limit"),
    "read_group": ("domain", "fields", "groupby", "offset", "limit", "orderby", "lazy"),
    "formatted_read_group": ("domain", "groupby", "aggregates", "having", "offset", "limit", "order"),
    "message_post": (),
    "update_list": (),
    "button_immediate_install": (),
    "button_immediate_upgrade": (),
    "button_immediate_uninstall": (),
    "downstream_dependencies": (),
    "context_get": (),
}
RECORD_METHODS = {
    "read",
    "write",
    "unlink",
    "message_post",
    "button_immediate_install",
    "button_immediate_upgrade",
    "button_immediate_uninstall",
    "downstream_dependencies",
}


def _is_ids(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in value)


def named_body(method: str, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Classic `(args, kwargs)` → JSON-2 body `{ids?, <param>: value, …}`."""
    body: dict[str, Any] = {}
    rest = list(args)
    if rest and (method in RECORD_METHODS or (method not in POSITIONAL and _is_ids(rest[0]))):
        ids = rest.pop(0)
        body["ids"] = [ids] if isinstance(ids, int) else ids
    names = POSITIONAL.get(method, ())
    if len(rest) > len(names):
        raise OdooRequestError(f"JSON-2 takes parameters by name: pass the arguments of {method!r} in kwargs")
    body.update(zip(names, rest, strict=False))
    clash = set(body) & set(kwargs)
    if clash:
        raise OdooRequestError(f"{method}: {sorted(clash)} given both positionally and by name")
    body.update(kwargs)
    return body


class Json2Transport:
    protocol = "json2"

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        self._endpoint = endpoint = Endpoint.of(config.url)
        self._host = endpoint.host_header
        self._prefix = endpoint.path
        self._context = ssl_context(config) if endpoint.https else None
        self._connections = Connections(self._context)
        self._aio: AsyncConnections | None = None
        self._headers = {
            "Authorization": f"bearer {config.api_key or ''}",
            "X-Odoo-Database": config.db,
            "User-Agent": "odoo-guard-mcp",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else fastjson.dumps_bytes(body)
        with mapped_errors(self.config):
            response, content = exchange(
                self._connections, self._host, method, self._prefix + path, data, self._headers, self.config.timeout
            )
        return self._payload(path, response.status, content)

    async def _request_async(self, method: str, path: str, body: Any = None) -> Any:
        """`_request` from the event loop (`aio_http`): the same request, answer and errors, no worker thread."""
        data = None if body is None else fastjson.dumps_bytes(body)
        if self._aio is None:
            self._aio = AsyncConnections.to(self._endpoint, self._context)
        with mapped_errors(self.config):
            answer = await self._aio.request(method, self._prefix + path, data, self._headers, self.config.timeout)
        return self._payload(path, answer.status, answer.body)

    def _payload(self, path: str, status: int, content: bytes) -> Any:
        """Odoo's answer to a JSON-2 request (sync and async paths alike), or its failure raised as ours."""
        try:
            payload = fastjson.loads(content) if content.strip() else None
        except ValueError:
            payload = None
        expired = isinstance(payload, dict) and "SessionExpired" in str(payload.get("name"))
        if status == 401 and not expired:
            raise wrong_credentials(self.config.username, self.config.db)
        if status >= 400:
            if isinstance(payload, dict) and "name" in payload:
                raise odoo_failure(str(payload["name"]), str(payload.get("message") or ""))
            if isinstance(payload, str):
                raise odoo_failure("UserError", payload)
            raise unreachable(self.config, f"HTTP {status} on {path}: not an Odoo JSON-2 endpoint?")
        if payload is None and content.strip() not in (b"null", b""):
            raise unreachable(self.config, f"answer to {path} is not JSON")
        return payload

    def version(self) -> dict[str, Any]:
        info = self._request("GET", "/web/version")
        if not isinstance(info, dict):
            raise unreachable(self.config, "unexpected answer to /web/version")
        return {"server_version": info.get("version"), "server_version_info": info.get("version_info")}

    def login(self) -> int:
        """JSON-2 has no login: the key is checked by a first call, the uid found by login name."""
        self._request("POST", "/json/2/res.users/context_get", {})
        ids = self._request(
            "POST", "/json/2/res.users/search", {"domain": [["login", "=", self.config.username]], "limit": 1}
        )
        return int(ids[0]) if isinstance(ids, list) and ids else 0

    def execute(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        return self._request("POST", f"/json/2/{model}/{method}", named_body(method, args, kwargs))

    async def execute_async(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """`execute` from the event loop: JSON-2 has no login, so nothing needs a thread first."""
        return await self._request_async("POST", f"/json/2/{model}/{method}", named_body(method, args, kwargs))

    def close(self) -> None:
        self._connections.close()
        if self._aio is not None:
            self._aio.close()
            self._aio = None
