"""The shared state under every family's context: settings and lazily built services.

Each family's context (`AddonsContext`, `OdooContext`, ...) is built from it once at start-up
(`odoo_mcp.server.build_guard`); handlers reach it through that context, never patched after.

Services (the addons index, the Odoo connection pool) are built on first use, once, so a
server whose tools are all denied never scans a tree or opens a connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from odoo_mcp.config import Settings

T = TypeVar("T")


class Runtime:
    """Settings plus named services, each created once by its factory (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._services: dict[str, Any] = {}
        self._lock = threading.Lock()

    def service(self, name: str, factory: Callable[[Runtime], T]) -> T:
        """The service `name`, built by `factory(self)` the first time it is asked for."""
        with self._lock:
            if name not in self._services:
                self._services[name] = factory(self)
            return self._services[name]

    def close(self) -> None:
        """Close every service that has a `close()` (connections, caches)."""
        with self._lock:
            services, self._services = list(self._services.values()), {}
        for service in services:
            close = getattr(service, "close", None)
            if callable(close):
                close()
