"""The client's own errors, and the one place where library exceptions become them.

Nothing here knows about MCP or the guard: the tool family that uses this client
(`tools.odoo_kit.errors`) turns these into tagged refusals, in one place too.

- `OdooError`: the root; `str(error)` is one line naming the server and the problem,
  never a stack trace or a credential.
- `OdooFault`: Odoo answered with its own fault (`exception`: the short class name,
  the same whatever the protocol); `SessionExpired` is the one the connection retries.
- `OdooUnreachable`: the server could not be reached, did not answer in time, or did
  not answer as Odoo.
- `OdooRequestError`: the request itself cannot be sent as asked (a JSON-2 call with
  positional parameters, an `odoo_connect` outside the allow-list).
- `NoConnection`: no connection with that alias is configured.
- `ConfigError`: a bad setting (environment variable, connections file).
- `WouldBlock` (not an `OdooError`): a blocking Odoo request was asked for where none may run
  (on the event loop, `connection.no_blocking`); nothing was sent, the caller runs the step in a
  worker thread instead.

`mapped_errors(config)` is the single translation point for every transport (the model
is httpx's `map_httpcore_exceptions`): each transport runs its I/O inside it, so a new
transport, or a new library exception, is handled here and only here.
"""

from __future__ import annotations

import http.client
import re
import socket
import sys
import urllib.error
import xmlrpc.client
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from foundation.env import ConfigError as ConfigError  # a bad setting: the environment reader's error, one class


class OdooError(Exception):
    """Root of everything this client raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OdooFault(OdooError):
    """Odoo answered with a fault: `<exception name>: <message>`."""

    def __init__(self, exception: str, message: str) -> None:
        super().__init__(f"{exception}: {message}")
        self.exception = exception
        self.detail = message


class SessionExpired(OdooFault):
    """Odoo dropped the session: the connection logs in again once and retries."""

    def __init__(self, message: str = "Session expired") -> None:
        super().__init__("SessionExpiredException", message)


class OdooUnreachable(OdooError):
    """The server could not be reached, did not answer in time, or did not answer as Odoo."""


class OdooRequestError(OdooError):
    """The request cannot be made as asked; nothing was sent (or the pool refused it)."""


class NoConnection(OdooError):
    """No connection with that alias (or none at all) is configured."""


class WouldBlock(Exception):
    """A blocking request was asked for inside `connection.no_blocking()`; nothing was sent."""


def short_name(qualified: str) -> str:
    """`odoo.exceptions.AccessError` → `AccessError` (the same on every protocol)."""
    return qualified.rsplit(".", 1)[-1] or "Error"


def odoo_failure(qualified_name: str, message: str) -> OdooFault:
    name = short_name(qualified_name)
    if "SessionExpired" in name:
        return SessionExpired(message)
    return OdooFault(name, message.strip() or name)


def wrong_credentials(login: str, db: str) -> OdooFault:
    return OdooFault("AccessDenied", f"wrong login or password/API key for user {login!r} on database {db!r}")


def unreachable(config: Any, problem: str) -> OdooUnreachable:
    """The failure every transport raises when the server cannot be reached or answers garbage."""
    return OdooUnreachable(f"{config.alias} ({config.url}): {problem}")


def timed_out(config: Any) -> OdooUnreachable:
    return unreachable(config, f"no answer within {config.timeout:g} s")


FAULT_CODES = {4: "AccessError", 3: "AccessDenied", 2: "UserError"}
LAST_LINE = re.compile(r"^([\w.]+(?:Error|Exception|Denied|Warning|Expired\w*)): ?(.*)$", re.DOTALL)


def fault_to_failure(fault: xmlrpc.client.Fault) -> OdooFault:
    """Odoo's XML-RPC faults carry integer codes (4 AccessError, 3 AccessDenied, 2 UserError/warning,
    1 any other error with a traceback whose last line names the exception)."""
    text = str(fault.faultString or "").strip()
    name = FAULT_CODES.get(fault.faultCode) if isinstance(fault.faultCode, int) else str(fault.faultCode)
    if name is None:
        last = text.splitlines()[-1] if text else ""
        match = LAST_LINE.match(last)
        name, text = (match.group(1), match.group(2)) if match else ("Error", last or text)
    return odoo_failure(name, text)


def _rpc_error(exc: Exception, config: Any) -> OdooFault:
    """odoorpc's `RPCError`: Odoo's fault data, or (no data) a refused login."""
    info = getattr(exc, "info", None)
    data = (info.get("data") if isinstance(info, dict) else None) or {}
    if not data:
        return wrong_credentials(config.username, config.db)
    return odoo_failure(str(data.get("name") or "Error"), str(data.get("message") or exc))


def _library_classes(module: str, *names: str) -> tuple[type[BaseException], ...]:
    """Exception classes of a library only if it is already imported: a transport that never
    loaded odoorpc or httpx cannot have raised their exceptions (and start-up stays lean)."""
    loaded = sys.modules.get(module)
    return tuple(getattr(loaded, name) for name in names) if loaded is not None else ()


@contextmanager
def mapped_errors(config: Any) -> Iterator[None]:
    """Run a transport's I/O; any library or socket exception leaves as an `OdooError`."""
    try:
        yield
    except OdooError:
        raise
    except Exception as exc:
        raise map_exception(exc, config) from None


def map_exception(exc: Exception, config: Any) -> Exception:
    """The client error for one library exception (the exception itself when it is not an I/O one)."""
    if isinstance(exc, _library_classes("odoorpc.error", "RPCError")):
        return _rpc_error(exc, config)
    if isinstance(exc, xmlrpc.client.Fault):
        return fault_to_failure(exc)
    if isinstance(exc, xmlrpc.client.ProtocolError):
        return unreachable(config, f"HTTP {exc.errcode} {exc.errmsg}: not an Odoo XML-RPC endpoint?")
    if isinstance(exc, urllib.error.HTTPError):
        return unreachable(config, f"HTTP {exc.code} {exc.reason}: not an Odoo JSON-RPC endpoint?")
    if isinstance(exc, _library_classes("httpx", "TimeoutException")):
        return timed_out(config)
    if isinstance(exc, _library_classes("httpx", "HTTPError")):
        return unreachable(config, f"cannot connect ({exc})")
    if isinstance(exc, TimeoutError | socket.timeout):
        return timed_out(config)
    if isinstance(exc, urllib.error.URLError):
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            return timed_out(config)
        return unreachable(config, f"cannot connect ({exc.reason})")
    if isinstance(exc, ConnectionError | http.client.HTTPException | OSError):
        return unreachable(config, f"cannot connect ({exc})")
    if isinstance(exc, xmlrpc.client.ResponseError | ValueError | KeyError):
        return unreachable(config, f"unexpected answer ({exc})")
    return exc
