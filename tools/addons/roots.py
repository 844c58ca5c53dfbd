"""Which folder a tool may touch, decided from configuration only — never from a free path.

Each configured root (the Enterprise checkout, a buffered instance, the OCA folder, an
addons target) is resolved and *pinned* the first time a tool uses it: if its resolved
path later changes (someone swapped a configured folder for a symlink while the server
runs), tools refuse it instead of following it. `target_dir` (kept for upstream
compatibility) selects a configured target by name or by its exact configured path.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from guard.paths import confine
from guard.spec import Call, NotConfigured, PathRefused


class _Pins:
    """name → resolved path, fixed on first use (the `addons_roots` runtime service)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pins: dict[str, Path] = {}

    def pin(self, key: str, path: Path, arg: str) -> Path:
        try:
            real = Path(os.path.realpath(path))
        except OSError as exc:  # a link changing while it is resolved: refused, not crashed
            raise PathRefused(arg, f"the configured folder cannot be resolved ({exc.strerror})") from None
        with self._lock:
            first = self._pins.setdefault(key, real)
        if first != real:
            raise PathRefused(arg, f"the configured folder now resolves elsewhere ({real}); refusing to follow it")
        return real


def _pins(call: Call) -> _Pins:
    return call.runtime.service("addons_roots", lambda _runtime: _Pins())


def _existing_dir(call: Call, key: str, path: Path, arg: str, what: str) -> Path:
    real = _pins(call).pin(key, path, arg)
    if not real.is_dir():
        raise NotConfigured(f"{what} ({path}) is not an existing folder")
    return real


def enterprise_root(call: Call, mode: str = "direct", instance: str | None = None) -> Path:
    """The Enterprise checkout a call works on: the direct dir, or a buffered instance."""
    roots = call.runtime.settings.roots
    if mode == "buffered":
        if roots.ee_buffer_dir is None:
            raise NotConfigured("buffered mode needs ODOO_MCP_EE_BUFFER_DIR (or EE_BUFFER_DIR)")
        buffer = _existing_dir(call, "ee_buffer", roots.ee_buffer_dir, "mode", "the Enterprise buffer dir")
        path = confine("instance", instance or "default", buffer, must_exist=True)
        if not path.is_dir() or path == buffer:
            raise PathRefused("instance", "not a buffered checkout folder")
        return path
    if roots.ee_dir is None:
        raise NotConfigured("no Enterprise checkout: set ODOO_MCP_EE_DIR (or EE_DIRECT_DIR)")
    return _existing_dir(call, "ee", roots.ee_dir, "mode", "the Enterprise checkout")


def oca_root(call: Call) -> Path:
    roots = call.runtime.settings.roots
    if roots.oca_dir is None:
        raise NotConfigured("no OCA folder: set ODOO_MCP_OCA_DIR (or OCA_DIRECT_DIR)")
    return _existing_dir(call, "oca", roots.oca_dir, "repo", "the OCA folder")


def community_roots(call: Call) -> list[Path]:
    """Community addons dirs that exist (a missing one is skipped: it hides nothing)."""
    found = []
    for index, path in enumerate(call.runtime.settings.roots.community_dirs):
        real = _pins(call).pin(f"community:{index}", path, "target_dir")
        if real.is_dir():
            found.append(real)
    return found


@dataclass(frozen=True)
class Target:
    """A configured addons target: its name, configured path and pinned resolved path."""

    name: str
    path: Path
    real: Path


def resolve_target(call: Call, target_dir: str | None, arg: str = "target_dir") -> Target:
    """The target a call writes into: the default, a target's name, or its exact configured path."""
    targets = call.runtime.settings.roots.addons_targets
    if not targets:
        raise NotConfigured("no addons target: set ODOO_MCP_ADDONS_TARGETS (name=path,...)")
    if target_dir is None:
        name = next(iter(targets))
    elif target_dir in targets:
        name = target_dir
    else:
        matches = [
            key
            for key, path in targets.items()
            if target_dir in {str(path), str(path).rstrip("/") + "/", os.path.realpath(path)}
        ]
        if not matches:
            choices = ", ".join(targets)
            raise PathRefused(arg, f"not a configured target; name one of: {choices}")
        name = matches[0]
    path = targets[name]
    real = _pins(call).pin(f"target:{name}", path, arg)
    if not real.is_dir():
        raise NotConfigured(f"addons target {name!r} ({path}) is not an existing folder")
    return Target(name, path, real)
