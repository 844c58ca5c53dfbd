"""The identity tools: select a profile of the calling grant, manage its Odoo connections, say who it acts as.

Every tool works on `call.caller.grant` only — the grant the transport authenticated (a bearer
token on HTTP, the configured grant on stdio) — so no name a client sends can reach another
grant's profiles or secrets. Upstream's SSH, Portainer and web-login entries are not kept:
this server has no tool that would use them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from guard.spec import Call, Risk
from tools.lean_schema import LeanArgs
from tools.odoo.common import odoo_pool
from tools.registry import tool

from .store import NAME_PATTERN, check_url, identities

FAMILY = "identity"
Name = Field(pattern=NAME_PATTERN, description="Letters, digits, '_', '-', '.' (not '.' or '..').")


class IdentifyArgs(LeanArgs):
    name: str = Name


@tool("identify", family=FAMILY, risk=Risk.WRITE, args=IdentifyArgs, idempotent=True)
def identify(args: IdentifyArgs, call: Call) -> Any:
    """Select one of this grant's profiles by name (created empty if new); never another grant's."""
    return identities(call).identify(call.caller.grant, args.name)


class NoArgs(LeanArgs):
    pass


@tool("who_am_i", family=FAMILY, risk=Risk.READ, args=NoArgs, idempotent=True)
def who_am_i(args: NoArgs, call: Call) -> Any:
    """Say which grant, profile and Odoo connection (url, db, login) this caller's calls that name no
    connection run as; never a secret."""
    store = identities(call)
    mine = store.describe(call.caller.grant)
    active = next((c for c in mine["connections"] if c["active"]), None)
    if active is None:  # the same choice `tools.odoo.common.odoo` makes for an unnamed call
        found = odoo_pool(call).default_config(owner=call.caller.grant)
        if found is not None:
            config, operator = found
            active = {**config.describe(), "source": "server default" if operator else "odoo_connect"}
    return {"grant": mine["grant"], "profile": mine["profile"], "acting_as": active}


class AddArgs(LeanArgs):
    alias: str = Name
    url: str = Field(max_length=512, description="Odoo root URL; must be allowed by ALLOWED_ODOO_URLS.")
    db: str = Field(min_length=1, max_length=128)
    user: str = Field(min_length=1, max_length=256, description="Login.")
    api_key: str | None = Field(None, max_length=512)
    password: str | None = Field(None, max_length=512)
    protocol: Literal["jsonrpc", "xmlrpc", "json2"] | None = None
    verify_ssl: bool = True


@tool("user_connection_add", family=FAMILY, risk=Risk.WRITE, args=AddArgs, open_world=True)
def user_connection_add(args: AddArgs, call: Call) -> Any:
    """Add or replace a named Odoo connection in this grant's current profile; its secret is stored 0600, never
    shown again."""
    protocol = args.protocol or "auto"  # picked at connect from the server's version (odoo_client.detect)
    entry = {"alias": args.alias, "url": check_url(args.url), "db": args.db, "username": args.user,
             "api_key": args.api_key, "password": args.password, "protocol": protocol, "verify_ssl": args.verify_ssl}
    return identities(call).add(call.caller.grant, entry)


@tool("user_connection_list", family=FAMILY, risk=Risk.READ, args=NoArgs, idempotent=True)
def user_connection_list(args: NoArgs, call: Call) -> Any:
    """List this grant's profile connections (alias, url, db, login, active); no secrets."""
    return identities(call).describe(call.caller.grant)


class AliasArgs(LeanArgs):
    alias: str = Name


@tool("user_connection_activate", family=FAMILY, risk=Risk.WRITE, args=AliasArgs, idempotent=True, open_world=True)
def user_connection_activate(args: AliasArgs, call: Call) -> Any:
    """Log in with one of this grant's connections and use it for this grant's calls that name no connection."""
    return identities(call).activate(call.caller.grant, args.alias)


@tool("user_connection_delete", family=FAMILY, risk=Risk.DESTRUCTIVE, args=AliasArgs)
def user_connection_delete(args: AliasArgs, call: Call) -> Any:
    """Delete one of this grant's connections (closed and deactivated at once) with its stored secret."""
    return identities(call).delete(call.caller.grant, args.alias)
