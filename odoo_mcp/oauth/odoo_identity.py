"""Who a sign-in is, asked of Odoo itself: the login and password (or API key) against one connection.

The operator's connection gives the server (url, database, protocol, TLS settings); the person
gives the login and the secret. Odoo decides: a wrong secret is Odoo's `AccessDenied`. Then the
person's own login as Odoo stores it (the unique `res.users.login`, so "Alice" typed at the form
and "alice" are one person only if Odoo says so), and which of the Odoo groups the operator's
file names they belong to (`res.users.has_group`, asked as the person, about themselves).

On the json2 protocol the secret is an API key; on JSON-RPC and XML-RPC Odoo accepts a password
or an API key in the same place (an API key as the password works from 14.0 on XML-RPC). On json2
the uid is looked up by the login typed, so the key's owner is confirmed by Odoo's own
`res.users.context_get`, which answers the caller's uid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from odoo_client.connection import OdooConnection
from odoo_client.errors import OdooError, OdooFault
from odoo_client.settings import ConnectionConfig

HAS_GROUP_ON_RECORDS = 17
"""From 17.0 `has_group` is a method of the user record; before, of the model (`@api.model`)."""


@dataclass(frozen=True)
class OdooPerson:
    connection: str
    uid: int
    login: str
    groups: frozenset[str]


class SigninRefused(Exception):
    """Odoo did not accept the login and secret: a failed sign-in."""


class OdooUnavailable(Exception):
    """Odoo could not be asked: no one's attempt, nothing counted."""


def personal_config(base: ConnectionConfig, login: str, secret: str) -> ConnectionConfig:
    """The operator's connection with the person's own login and secret (never the operator's)."""
    if base.protocol == "json2":
        return replace(base, username=login, api_key=secret, password=None)
    return replace(base, username=login, password=secret, api_key=None)


def _in_group(connection: OdooConnection, uid: int, xml_id: str) -> bool:
    if connection.major_version() >= HAS_GROUP_ON_RECORDS:
        return bool(connection.execute("res.users", "has_group", [[uid], xml_id]))
    return bool(connection.execute("res.users", "has_group", [xml_id]))


def identify(base: ConnectionConfig, login: str, secret: str, groups: Sequence[str] = ()) -> OdooPerson:
    """Log in as the person (blocking: run it off the event loop); `SigninRefused` if Odoo says no."""
    connection = OdooConnection(personal_config(base, login, secret))
    try:
        uid = connection.uid()
        if not uid:
            raise SigninRefused("Odoo refused the login")
        own_uid = (connection.execute("res.users", "context_get") or {}).get("uid")
        if own_uid != uid and (own_uid is not None or base.protocol == "json2"):
            # json2 finds the uid by the login typed; the key may be another user's: Odoo's own answer decides
            raise SigninRefused("the API key does not belong to that login")
        records = connection.execute("res.users", "read", [[uid]], {"fields": ["login"]})
        own_login = str(records[0]["login"]) if records else login
        member = frozenset(group for group in groups if _in_group(connection, uid, group))
    except OdooFault as exc:
        raise SigninRefused(f"Odoo refused the login ({exc.exception or 'fault'})") from None
    except OdooError as exc:
        raise OdooUnavailable(f"Odoo could not be asked ({type(exc).__name__})") from None
    finally:
        connection.close()
    return OdooPerson(base.alias, uid, own_login, member)
