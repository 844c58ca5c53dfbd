"""Connection tools: list, add at run time (allow-listed URLs only), drop, refresh. No secret is returned."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from guard.spec import Call, Risk, ToolArgs
from odoo_client.names import ALIAS, anchored
from tools.registry import tool

from .common import ConnectionName, odoo_pool, signed_in_connection

Alias = Field(pattern=anchored(ALIAS), description="Name of the connection.")


class NoArgs(ToolArgs):
    pass


class ConnectArgs(ToolArgs):
    alias: str = Alias
    url: str | None = Field(None, max_length=512, description="Root URL; must be in ALLOWED_ODOO_URLS.")
    db: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,63}$")
    username: str | None = Field(None, min_length=1, max_length=256)
    password: str | None = Field(None, min_length=1, max_length=1024)
    api_key: str | None = Field(None, min_length=1, max_length=1024)
    protocol: Literal["jsonrpc", "xmlrpc", "json2"] | None = None
    verify_ssl: bool | None = Field(None, description="TLS verification; on unless set to false.")


class AliasArgs(ToolArgs):
    alias: str = Alias


class RefreshArgs(ToolArgs):
    connection: ConnectionName = None


@tool("odoo_connections", family="odoo", risk=Risk.READ, args=NoArgs, idempotent=True)
def odoo_connections(args: NoArgs, call: Call) -> Any:
    """List the Odoo connections this caller can use (the operator's and its own: alias, url, db, user,
    protocol, logged in) — never their secrets, never another client's."""
    return {"connections": odoo_pool(call).describe(owner=call.caller.grant)}


@tool("odoo_connect", family="odoo", risk=Risk.EXECUTE, args=ConnectArgs, open_world=True)
def odoo_connect(args: ConnectArgs, call: Call) -> Any:
    """Open a connection by alias: a configured one (alias only) or a new one to an allow-listed URL, which is
    this client's own (no other client sees or uses it). It logs in at once, so wrong credentials are reported
    here."""
    pool = odoo_pool(call)
    connection = pool.connect(args.alias, owner=call.caller.grant, url=args.url, db=args.db, username=args.username,
                              password=args.password, api_key=args.api_key, protocol=args.protocol,
                              verify_ssl=args.verify_ssl)
    try:
        uid = connection.uid()
    except Exception:
        if not pool.is_operator(args.alias):
            pool.disconnect(args.alias, owner=call.caller.grant)
        raise
    return {**connection.config.describe(), "uid": uid}


@tool("odoo_disconnect", family="odoo", risk=Risk.WRITE, args=AliasArgs, idempotent=True)
def odoo_disconnect(args: AliasArgs, call: Call) -> Any:
    """Close and forget a connection this client added with odoo_connect (a configured one is shared: refused)."""
    return {"alias": args.alias, "closed": odoo_pool(call).disconnect(args.alias, owner=call.caller.grant)}


@tool("odoo_refresh", family="odoo", risk=Risk.WRITE, args=RefreshArgs, idempotent=True, open_world=True)
def odoo_refresh(args: RefreshArgs, call: Call) -> Any:
    """Log in again and re-read the server version (after a password change, an upgrade or a restart)."""
    connection = signed_in_connection(call, args.connection) or odoo_pool(call).get(
        args.connection, owner=call.caller.grant)
    connection.refresh()
    uid = connection.uid()
    return {"connection": connection.alias, "uid": uid, "server_version": connection.version().get("server_version")}
