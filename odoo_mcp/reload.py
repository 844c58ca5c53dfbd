"""Live policy reload: a changed policy file is validated and swapped in for the next call.

How a change is noticed: the reloader *polls* each policy file (the default one and every
grant's) every `ODOO_MCP_POLICY_RELOAD` seconds (default 2; `0` turns polling off), and
`SIGHUP` makes it look at once. Polling rather than inotify (`watchfiles`) because it sees every
way a file gets replaced — an editor's write-to-temp-and-rename, a Kubernetes ConfigMap's
symlink swap, a bind mount edited on the host, a network filesystem — where inotify misses some
of them, and it costs one `stat` per file per period and no dependency.

What a change does: the file is read and validated exactly as at start-up (`load_policy` plus
the tool-name check). A valid policy replaces the old one with one reference swap
(`PolicySet.swap`): calls already running finish under the policy they started with, the next
call gets the new one. An invalid file is refused — logged on stderr and audited as
`policy_reload_refused` with the problems — and the old policy stays in force; fixing the file
is noticed on the next poll. A file whose content did not change (a `touch`) is not reloaded.

Counters live in the limiter, keyed by counter name, scope, `max` and window; a reload keeps
the limiter, so a counter whose definition is unchanged keeps counting across the reload, and
one whose `max` or window changed starts afresh (it is a different counter).
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guard.policy import Policy, PolicyError
from guard.policy_set import PolicySet
from odoo_mcp.config import ConfigError

DEFAULT_INTERVAL = 2.0
Loader = Callable[[Path], Policy]


def reload_interval(env: Mapping[str, str]) -> float:
    """`ODOO_MCP_POLICY_RELOAD`: seconds between polls (`0` or `off`: only on SIGHUP)."""
    raw = (env.get("ODOO_MCP_POLICY_RELOAD") or "").strip().lower()
    if not raw:
        return DEFAULT_INTERVAL
    if raw in {"0", "off", "no", "false"}:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"ODOO_MCP_POLICY_RELOAD: {raw!r} is not a number of seconds (or 0/off)") from None
    if not 0 < value < 86400:
        raise ConfigError("ODOO_MCP_POLICY_RELOAD: must be between 0 and 86400 seconds")
    return value


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass
class _Watched:
    grant: str | None
    path: Path
    stat: tuple[int, int, int] | None
    digest: str | None


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)  # follows symlinks: a ConfigMap's swapped link is a change
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class PolicyReloader:
    """Watches the policy files behind a `PolicySet` and swaps in the valid new versions."""

    def __init__(
        self, policies: PolicySet, sources: Mapping[str | None, Path], load: Loader, audit: Any = None
    ) -> None:
        self.policies = policies
        self.load = load
        self.audit = audit
        self._watched = [_Watched(grant, path, _stat(path), _digest(path)) for grant, path in sources.items()]
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def check(self) -> list[tuple[str | None, str]]:
        """Look at every file once; returns (grant, "reloaded" | "refused") for each one that changed."""
        outcomes: list[tuple[str | None, str]] = []
        with self._lock:
            for watched in self._watched:
                stat = _stat(watched.path)
                if stat == watched.stat:
                    continue
                watched.stat = stat
                digest = _digest(watched.path)
                if digest is not None and digest == watched.digest:
                    continue
                outcomes.append((watched.grant, self._reload(watched, digest)))
        return outcomes

    def _reload(self, watched: _Watched, digest: str | None) -> str:
        label = watched.grant or "(default)"
        try:
            policy = self.load(watched.path)
        except PolicyError as exc:
            problems = list(exc.problems)
            print(
                f"odoo-mcp: policy {watched.path} (grant {label}) not reloaded, the old policy stays: "
                + "; ".join(problems),
                file=sys.stderr,
            )
            self._record("policy_reload_refused", grant=label, policy=str(watched.path), problems=problems)
            return "refused"  # digest not remembered: the same broken text is refused again if touched
        old = self.policies.swap(watched.grant, policy)
        watched.digest = digest
        print(f"odoo-mcp: policy {watched.path} reloaded for grant {label} (mode {policy.mode})", file=sys.stderr)
        self._record(
            "policy_reloaded",
            grant=label,
            policy=str(watched.path),
            mode=policy.mode,
            default=policy.default,
            hidden_changed=sorted(set(old.hide) ^ set(policy.hide)),
        )
        return "reloaded"

    def _record(self, event: str, **fields: Any) -> None:
        if self.audit is not None:
            self.audit.record(event, **fields)

    def start(self, interval: float, *, sighup: bool = True) -> None:
        """Poll every `interval` seconds (0: only when woken) in a daemon thread; SIGHUP wakes it."""
        if sighup and hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGHUP, lambda *_: self._wake.set())

        def loop() -> None:
            while not self._stop.is_set():
                self._wake.wait(interval or None)
                self._wake.clear()
                if self._stop.is_set():
                    return
                try:
                    self.check()
                except Exception as exc:  # never let the watcher die silently: say so, keep watching
                    print(f"odoo-mcp: policy reload failed ({type(exc).__name__}: {exc})", file=sys.stderr)

        self._thread = threading.Thread(target=loop, name="policy-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()


def grant_policies(
    default: Policy, default_path: Path, grant_paths: Mapping[str, Path], load: Loader
) -> tuple[PolicySet, dict[str | None, Path]]:
    """The start-up `PolicySet`: the default policy and each grant's own (any broken one stops the start)."""
    by_grant = {grant: load(path) for grant, path in grant_paths.items()}
    sources: dict[str | None, Path] = {None: default_path, **grant_paths}
    return PolicySet(default, by_grant), sources
