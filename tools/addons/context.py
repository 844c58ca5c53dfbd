"""What the addons handlers receive as `call.runtime`: built once at start-up, settings checked then.

`AddonsContext` holds the server's runtime (its settings, with the filesystem roots, and the
lazily built services: the index, the deploy ledger, the pinned roots) and the addons settings
parsed once from the environment. A bad value (`ODOO_MCP_GIT_TIMEOUT=abc`) stops the server at
start-up naming the variable, instead of failing every git call later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tools.addons.settings import AddonsSettings

T = TypeVar("T")


@dataclass(frozen=True)
class AddonsContext:
    runtime: Any
    """The server's runtime: `settings` (roots, env) and `service(name, factory)`."""
    addons: AddonsSettings

    @property
    def settings(self) -> Any:
        return self.runtime.settings

    def service(self, name: str, factory: Callable[[Any], T]) -> T:
        return self.runtime.service(name, factory)


def addons_context(runtime: Any, _guard: Any) -> AddonsContext:
    """The family's context; raises `NotConfigured` naming the variable when a setting is unusable."""
    return AddonsContext(runtime=runtime, addons=AddonsSettings.from_env(runtime.settings.env))
