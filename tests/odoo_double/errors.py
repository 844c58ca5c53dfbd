"""Odoo's exceptions as the double raises them: each knows its fully qualified Odoo name.

The wire layer turns them into the three fault shapes (JSON-RPC error object, XML-RPC
`Fault` with Odoo's integer codes, JSON-2 HTTP error JSON) without knowing which one it is.
"""

from __future__ import annotations


class OdooError(Exception):
    """Base: `name` is what Odoo puts in `error.data.name`; `http_status` is JSON-2's status."""

    name = "odoo.exceptions.UserError"
    xmlrpc_code = 2
    http_status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UserErrorOdoo(OdooError):
    pass


class ValidationErrorOdoo(OdooError):
    name = "odoo.exceptions.ValidationError"


class MissingErrorOdoo(OdooError):
    name = "odoo.exceptions.MissingError"
    http_status = 404


class AccessErrorOdoo(OdooError):
    name = "odoo.exceptions.AccessError"
    xmlrpc_code = 4
    http_status = 403


class AccessDeniedOdoo(OdooError):
    name = "odoo.exceptions.AccessDenied"
    xmlrpc_code = 3
    http_status = 401

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


class SessionExpiredOdoo(OdooError):
    name = "odoo.http.SessionExpiredException"
    xmlrpc_code = 1
    http_status = 401

    def __init__(self, message: str = "Session expired") -> None:
        super().__init__(message)


class ValueErrorOdoo(OdooError):
    """A Python error inside the server (bad domain, bad argument types): XML-RPC code 1."""

    name = "builtins.ValueError"
    xmlrpc_code = 1
    http_status = 422


class TypeErrorOdoo(ValueErrorOdoo):
    name = "builtins.TypeError"


class AttributeErrorOdoo(ValueErrorOdoo):
    name = "builtins.AttributeError"
