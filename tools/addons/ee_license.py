"""`ee_license_status`: the Enterprise subscription state of a configured Odoo connection.

Upstream takes `url`, `db` and `api_key` as arguments and logs in with TLS verification off
(an agent could send the credentials to any host). Here the tool names a configured
connection only, goes through its transport (TLS verified, or pinned), and refuses one whose
TLS is off. It answers upstream's three keys — `database.expiration_date`,
`database.expiration_reason`, `database.enterprise_code` — with upstream's fallbacks, but the
subscription code is masked (its last four characters only): it is a licence secret.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field

from guard.spec import Call, Risk, ToolArgs, ToolFailure
from odoo_client.pins import read_pin
from tools.odoo.common import ConnectionName, odoo_pool, signed_in_connection
from tools.registry import tool

KEYS = ("database.expiration_date", "database.expiration_reason", "database.enterprise_code")


class LicenseArgs(ToolArgs):
    connection: ConnectionName = Field(None, description="Configured connection alias; the default one when omitted.")


def mask(code: str | None) -> str:
    if not code:
        return "not set"
    return "*" * max(len(code) - 4, 4) + code[-4:]


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def tls_problem(url: str, verify_ssl: bool, pinned: bool) -> str | None:
    """Why this connection may not carry the licence question (None when it may)."""
    if url.startswith("http://") and not _loopback(url):
        return "the connection is plain http; use https (TLS) for it"
    if url.startswith("https://") and not verify_ssl and not pinned:
        return "the connection has TLS verification off and no pinned certificate; turn verification on or pin"
    return None


def days_left(expiration: str | None, today: dt.date) -> int | None:
    if not expiration or expiration == "unknown":
        return None
    try:
        return (dt.date.fromisoformat(expiration[:10]) - today).days
    except ValueError:
        return None


@tool("ee_license_status", family="enterprise", risk=Risk.READ, args=LicenseArgs, idempotent=True, open_world=True)
def ee_license_status(args: LicenseArgs, call: Call) -> dict[str, Any]:
    """Report the Enterprise subscription of a configured connection: expiration date and reason, and the
    subscription code masked. No URL or credentials as arguments; TLS must be on."""
    connection = signed_in_connection(call, args.connection) or odoo_pool(call).get(
        args.connection, owner=call.caller.grant)
    config = connection.config
    pinned = config.pin_dir is not None and read_pin(config.pin_dir, config.url) is not None
    problem = tls_problem(config.url, config.verify_ssl, pinned)
    if problem:
        raise ToolFailure(f"{config.alias}: {problem}")
    rows = connection.execute("ir.config_parameter", "search_read", [[["key", "in", list(KEYS)]]],
                              {"fields": ["key", "value"]})
    values = {row["key"]: row["value"] for row in rows if isinstance(row, dict)}
    expiration = values.get(KEYS[0]) or "unknown"
    left = days_left(expiration, dt.datetime.now(dt.UTC).date())
    return {
        "connection": config.alias,
        "expiration_date": expiration,
        "expiration_reason": values.get(KEYS[1]) or "unknown",
        "enterprise_code": mask(values.get(KEYS[2])),
        "days_left": left,
        "expired": left is not None and left < 0,
    }
