"""Live policy reload: a changed policy file is validated and swapped in for the next call.

How a change is noticed: the reloader *polls* each policy file (the default one and every
grant's) every `ODOO_MCP_POLICY_RELOAD` seconds (default 2; `0` turns polling off), and
`SIGHUP` makes it look at once. Polling rather than inotify (`watchfiles`) because it sees every
way a file gets replaced — an editor's write-to-temp-and-rename, a Kubernetes ConfigMap's
symlink swap, a bind mount edited on the host, a network filesystem — where inotify misses some
of them, and it costs one `stat` per file per period and no dependency.

When a change is read: never halfway through a rewrite. Any line prefix of an Intercept YAML
policy is a valid and looser policy (cut before `default`: everything allowed; cut after
`odoo_unlink:`: the tool allowed unchecked), so a poll that read a file being rewritten in place
could swap in half a policy. A new version is read only once it stands still — the same size,
modification time, inode and content hash at two polls in a row — or, if a checksum file
`<policy>.sha256` lies beside it, only when the content matches that checksum. Replacing the
file atomically (write a temporary file, then rename it over the policy) is still the way to
edit it: docs/policy.md says so.

What a change does: the file is read and validated exactly as at start-up (`load_policy` plus
the tool-name check), then compared with the policy in force: a version that leaves unsaid what
the old one said (`default`, `hide`, `all_tools`, a tool's rules — `guard.policy_diff.dropped`)
is refused, since that is what a cut-off file looks like. A valid policy replaces the old one
with one reference swap (`PolicySet.swap`): calls already running finish under the policy they
started with, the next call gets the new one; the audit record `policy_reloaded` lists the tools
newly allowed, newly denied and with changed rules. An invalid file is refused — logged on
stderr and audited as `policy_reload_refused` with the problems — and the old policy stays in
force; fixing the file is noticed on the next poll. A file whose content did not change (a
`touch`) is not reloaded.

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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guard.policy import Policy, PolicyError
from guard.policy_diff import changes, dropped
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


CHECKSUM_SUFFIX = ".sha256"
SETTLE_SECONDS = 1.0
"""Without polling (`ODOO_MCP_POLICY_RELOAD=0`), how long after a SIGHUP the file is looked at again
to see that it stood still."""


def checksum_file(path: Path) -> Path:
    """`policy.yaml` → `policy.yaml.sha256`, the optional checksum file beside a policy."""
    return path.with_name(path.name + CHECKSUM_SUFFIX)


def _expected_digest(path: Path) -> str | None:
    """The sha256 the checksum file beside `path` names (`sha256sum` output or the bare hex), if there is one."""
    try:
        text = checksum_file(path).read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    words = text.split()
    return words[0].lower() if words else ""


@dataclass
class _Watched:
    grant: str | None
    path: Path
    stat: tuple[int, int, int] | None
    digest: str | None
    """The text in force (or last refused: the same broken text is refused again when touched)."""
    seen: tuple[tuple[int, int, int] | None, str | None] | None = None
    """A new version seen at the previous poll, waiting to be seen unchanged once more."""
    waiting_for_checksum: str | None = None


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)  # follows symlinks: a ConfigMap's swapped link is a change
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class PolicyReloader:
    """Watches the policy files behind a `PolicySet` and swaps in the valid new versions.

    A new version is read only once it stands still: the same size, modification time, inode and
    content hash at two polls in a row — or, when a checksum file `<policy>.sha256` is beside it,
    as soon as the content matches that checksum (and never while it does not). A version that
    would drop what the policy in force says (`guard.policy_diff.dropped`) is refused like a
    broken one. `tools` are the server's tool names, for the audit's newly allowed/denied lists.
    """

    def __init__(
        self,
        policies: PolicySet,
        sources: Mapping[str | None, Path],
        load: Loader,
        audit: Any = None,
        tools: Iterable[str] = (),
    ) -> None:
        self.policies = policies
        self.load = load
        self.audit = audit
        self.tools = sorted(set(tools))
        self._watched = [_Watched(grant, path, _stat(path), _digest(path)) for grant, path in sources.items()]
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def settling(self) -> bool:
        """A change was seen and waits for the next poll to show it stood still."""
        return any(watched.seen is not None for watched in self._watched)

    def check(self) -> list[tuple[str | None, str]]:
        """Look at every file once; returns (grant, "reloaded" | "refused" | "waiting") for each that changed.

        "waiting": a new version was seen, and is read when the next poll finds it unchanged (or when
        it matches its checksum file)."""
        outcomes: list[tuple[str | None, str]] = []
        with self._lock:
            for watched in self._watched:
                outcome = self._look(watched)
                if outcome is not None:
                    outcomes.append((watched.grant, outcome))
        return outcomes

    def _look(self, watched: _Watched) -> str | None:
        stat = _stat(watched.path)
        if stat == watched.stat and watched.seen is None:
            return None
        watched.stat = stat
        digest = _digest(watched.path)
        if digest is not None and digest == watched.digest:
            watched.seen = None  # touched, or put back as it was: nothing to do
            return None
        expected = _expected_digest(watched.path)
        if expected is not None:
            if digest != expected:
                watched.seen = (stat, digest)
                if watched.waiting_for_checksum != digest:
                    watched.waiting_for_checksum = digest
                    print(
                        f"odoo-mcp: policy {watched.path} changed but does not match "
                        f"{checksum_file(watched.path).name} (yet): not read until it does",
                        file=sys.stderr,
                    )
                return "waiting"
        elif watched.seen != (stat, digest):
            watched.seen = (stat, digest)  # may be half written: read it when the next poll sees it unchanged
            return "waiting"
        watched.seen = None
        watched.waiting_for_checksum = None
        return self._reload(watched, digest)

    def _reload(self, watched: _Watched, digest: str | None) -> str:
        label = watched.grant or "(default)"
        try:
            policy = self.load(watched.path)
            old = self.policies.for_grant(watched.grant)
            problems = dropped(old, policy)
            if problems:
                raise PolicyError(str(watched.path), problems)
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
        changed = changes(old, policy, self.tools)
        said = "".join(
            f"; newly {what}: {', '.join(names)}"
            for what, names in (("allowed", changed.newly_allowed), ("denied", changed.newly_denied))
            if names
        )
        print(
            f"odoo-mcp: policy {watched.path} reloaded for grant {label} (mode {policy.mode}){said}", file=sys.stderr
        )
        self._record(
            "policy_reloaded",
            grant=label,
            policy=str(watched.path),
            mode=policy.mode,
            default=policy.default,
            default_changed=old.default != policy.default,
            hidden_changed=sorted(set(old.hide) ^ set(policy.hide)),
            newly_allowed=changed.newly_allowed,
            newly_denied=changed.newly_denied,
            rules_changed=changed.rules_changed,
        )
        return "reloaded"

    def _record(self, event: str, **fields: Any) -> None:
        if self.audit is not None:
            self.audit.record(event, **fields)

    def start(self, interval: float, *, sighup: bool = True) -> None:
        """Poll every `interval` seconds (0: only when woken) in a daemon thread; SIGHUP wakes it.
        A change seen is looked at again one period later (`SETTLE_SECONDS` without polling)."""
        if sighup and hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGHUP, lambda *_: self._wake.set())

        def loop() -> None:
            while not self._stop.is_set():
                self._wake.wait(interval or (SETTLE_SECONDS if self.settling else None))
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
