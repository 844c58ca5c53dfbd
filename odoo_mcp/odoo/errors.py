"""Errors the client side raises, each rendered for the agent as one tagged line.

Odoo's own faults become `OdooFailure(<exception class name>, <message>)` whatever the
protocol; a network failure or a timeout becomes `OdooUnreachable` (tag `ODOO UNREACHABLE`)
naming the server and what went wrong, never a stack trace or a credential.
"""

from __future__ import annotations

from guard.spec import OdooFailure, ToolFailure


class OdooUnreachable(ToolFailure):
    """The server could not be reached, did not answer in time, or did not answer as Odoo."""

    tag = "ODOO UNREACHABLE"


class SessionExpired(OdooFailure):
    """Odoo dropped the session: the connection logs in again once and retries."""

    def __init__(self, message: str = "Session expired") -> None:
        super().__init__("SessionExpiredException", message)


def short_name(qualified: str) -> str:
    """`odoo.exceptions.AccessError` → `AccessError` (the same on every protocol)."""
    return qualified.rsplit(".", 1)[-1] or "Error"


def odoo_failure(qualified_name: str, message: str) -> OdooFailure:
    name = short_name(qualified_name)
    if "SessionExpired" in name:
        return SessionExpired(message)
    return OdooFailure(name, message.strip() or name)


def wrong_credentials(login: str, db: str) -> OdooFailure:
    return OdooFailure("AccessDenied", f"wrong login or password/API key for user {login!r} on database {db!r}")
