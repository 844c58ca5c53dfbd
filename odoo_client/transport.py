"""The one interface the three protocols implement, and what they share (TLS, timeouts).

A transport knows how to reach one server with one account: `version()` (no login needed),
`login()` (returns the uid, raises `OdooFault("AccessDenied", …)` on wrong credentials),
`execute(model, method, args, kwargs)` with the classic positional convention (record ids
first for record methods; JSON-2 maps them to names), and `close()`. Every failure leaves as
an `errors.OdooError` (mapped in `errors.mapped_errors`), never as a library exception.
"""

from __future__ import annotations

import ssl
from typing import Any, Protocol

from .errors import timed_out, unreachable
from .pins import pinned_context, read_pin
from .settings import ConnectionConfig


class Transport(Protocol):
    config: ConnectionConfig

    def version(self) -> dict[str, Any]: ...

    def login(self) -> int: ...

    def execute(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any: ...

    def close(self) -> None: ...


def ssl_context(config: ConnectionConfig) -> ssl.SSLContext:
    """Verification on by default; a per-connection CA bundle; with `verify_ssl` false, the server's
    pinned certificate when one exists (`pins`), and no verification only when there is no pin."""
    if not config.verify_ssl and config.pin_dir is not None and config.url.startswith("https://"):
        try:
            pem = read_pin(config.pin_dir, config.url)
        except (ssl.SSLError, OSError) as exc:
            raise unreachable(config, str(exc)) from None
        if pem is not None:
            return pinned_context(pem)
    if not config.verify_ssl:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=str(config.ca_bundle) if config.ca_bundle else None)


__all__ = ["Transport", "ssl_context", "timed_out", "unreachable"]
