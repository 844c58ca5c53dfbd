"""Which Odoo is on the other end, and which protocol to speak to it: asked once, at connect.

Every Odoo answers `common.version` over `/jsonrpc` without a login (16.0 to 19.0 alike); JSON-2's
`GET /web/version` exists only from 19.0, so it is asked only when `/jsonrpc` is not there (an Odoo
that dropped the legacy RPC). The protocol follows from the answer: JSON-2 where it exists (19.0
and later) and an API key is given, JSON-RPC otherwise — Odoo accepts an API key in place of the
password over JSON-RPC and XML-RPC from 14.0 on. An explicit setting wins, except JSON-2 on an Odoo
that has none: that is refused in one line naming the setting and the value to use.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from foundation import fastjson

from .errors import ConfigError, mapped_errors
from .keepalive import Connections, exchange
from .settings import ConnectionConfig
from .transport import ssl_context, unreachable

JSON2_SINCE = 19
_HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "odoo-guard-mcp"}


def major_of(info: dict[str, Any]) -> int:
    """The major version in a `common.version` answer (`server_version_info[0]`, else the text's digits)."""
    version_info = info.get("server_version_info") or []
    try:
        return int(version_info[0])
    except (IndexError, TypeError, ValueError):
        text = str(info.get("server_version") or "0").split(".")[0]
        return int("".join(ch for ch in text if ch.isdigit()) or 0)


def server_version(config: ConnectionConfig) -> dict[str, Any]:
    """`common.version` of the server (no login): `server_version`, `server_version_info`, ..."""
    parts = urlsplit(config.url)
    connections = Connections(ssl_context(config) if parts.scheme == "https" else None)
    host = parts.netloc
    body = fastjson.dumps_bytes({"jsonrpc": "2.0", "method": "call", "id": 1,
                                 "params": {"service": "common", "method": "version", "args": []}})
    try:
        with mapped_errors(config):
            answer, content = exchange(connections, host, "POST", "/jsonrpc", body, _HEADERS, config.timeout)
            status = answer.status  # what the message names: /jsonrpc's answer, not /web/version's
            if status == 404:
                answer, content = exchange(connections, host, "GET", "/web/version", None, _HEADERS, config.timeout)
                payload = _json(content)
                if answer.status == 200 and isinstance(payload, dict) and payload.get("version"):
                    return {"server_version": payload["version"], "server_version_info": payload.get("version_info")}
        payload = _json(content)
        result = payload.get("result") if isinstance(payload, dict) else None
        if status != 200 or not isinstance(result, dict) or not result.get("server_version"):
            raise unreachable(config, f"answered HTTP {status} to common.version on /jsonrpc: not an Odoo?")
        return result
    finally:
        connections.close()


def _json(content: bytes) -> Any:
    try:
        return fastjson.loads(content) if content.strip() else None
    except ValueError:
        return None


def choose(config: ConnectionConfig, info: dict[str, Any]) -> str:
    """The protocol for `config` on the server that answered `info` (see the module's docstring)."""
    major = major_of(info)
    if config.protocol == "auto":
        return "json2" if config.api_key and major >= JSON2_SINCE else "jsonrpc"
    if config.protocol == "json2" and major < JSON2_SINCE:
        version = info.get("server_version") or major
        setting = config.setting("protocol")
        raise ConfigError(
            f"{setting} is json2, which Odoo {version} does not have (JSON-2 exists from Odoo 19.0): "
            f"set {setting} to jsonrpc (the API key works as the password there) or leave it unset"
        )
    return config.protocol
