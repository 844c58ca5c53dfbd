"""Which module folders `ee_deploy` made: a server-side record, never a file in the target alone.

A marker file inside a folder proves nothing: anyone who can write in the target can create a
folder with that file and get it replaced or removed by the next deploy. So each deployed
folder is recorded here, keyed by the target's resolved path and the module name, with the
folder's identity (device, inode) and a random token written into the folder's marker file
(mode 0600). A folder counts as ours only when all three still match: same name, same
inode (not a folder put there since), and a marker holding our token, read without following
links and refused if hard-linked.

The record lives in memory, and in `<ODOO_MCP_STATE_DIR>/deployed.json` when that variable is
set (written atomically, mode 0600), so a restarted server still knows its folders. Without a
state dir, a restarted server treats earlier deploys as foreign: it refuses to replace them
(`[CONFLICT]`) rather than trust them — fail closed.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foundation.fsroot import READ_FLAGS
from guard.spec import NotConfigured

MARKER = ".odoo_mcp_deployed"
LEDGER_FILE = "deployed.json"


@dataclass(frozen=True)
class Deployed:
    """One folder a deploy made: where, which inode, and the token in its marker."""

    device: int
    inode: int
    token: str


def new_token() -> str:
    return secrets.token_hex(16)


def marker_text(token: str, instance: str) -> bytes:
    return f"deployed by odoo-mcp ee_deploy from buffer instance {instance}\ntoken {token}\n".encode()


def _marker_token(folder_fd: int) -> str | None:
    """The token in the marker of an open folder, or None (missing, a link, hard-linked, odd)."""
    try:
        fd = os.open(MARKER, READ_FLAGS, dir_fd=folder_fd)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1 or st.st_size > 4096:
            return None
        text = os.read(fd, 4096).decode("utf-8", errors="replace")
    finally:
        os.close(fd)
    for line in text.splitlines():
        if line.startswith("token "):
            return line.removeprefix("token ").strip()
    return None


class DeployLedger:
    """The runtime service `deploy_ledger`: records and checks the folders deploys made."""

    def __init__(self, state_dir: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._file = state_dir / LEDGER_FILE if state_dir is not None else None
        self._entries: dict[str, dict[str, Deployed]] = {}
        if self._file is not None and self._file.is_file():
            try:
                raw: dict[str, Any] = json.loads(self._file.read_text())
                self._entries = {target: {name: Deployed(**row) for name, row in rows.items()}
                                 for target, rows in raw.get("targets", {}).items()}
            except (OSError, ValueError, TypeError, AttributeError) as exc:
                raise NotConfigured(f"ODOO_MCP_STATE_DIR: {self._file} is not a readable deploy ledger "
                                    f"({type(exc).__name__}); fix or remove it") from None

    @classmethod
    def factory(cls, runtime: Any) -> DeployLedger:
        raw = (runtime.settings.env.get("ODOO_MCP_STATE_DIR") or "").strip()
        return cls(Path(raw).expanduser() if raw else None)

    def owns(self, target_key: str, target_fd: int, name: str) -> bool:
        """True only if `name` in the target is the very folder we deployed, marker token intact."""
        return self.owns_at(target_key, target_fd, name, name)

    def owns_at(self, target_key: str, target_fd: int, name: str, entry_name: str) -> bool:
        """`owns` for the folder recorded as `name`, now found at `entry_name` (moved aside)."""
        with self._lock:
            entry = self._entries.get(target_key, {}).get(name)
        if entry is None:
            return False
        try:
            fd = os.open(entry_name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=target_fd)
        except OSError:
            return False
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != (entry.device, entry.inode):
                return False
            return secrets.compare_digest(_marker_token(fd) or "", entry.token)
        finally:
            os.close(fd)

    def names(self, target_key: str) -> list[str]:
        with self._lock:
            return sorted(self._entries.get(target_key, {}))

    def record(self, target_key: str, name: str, entry: Deployed) -> None:
        with self._lock:
            self._entries.setdefault(target_key, {})[name] = entry
            self._save()

    def forget(self, target_key: str, name: str) -> None:
        with self._lock:
            self._entries.get(target_key, {}).pop(name, None)
            self._save()

    def _save(self) -> None:
        if self._file is None:
            return
        self._file.parent.mkdir(parents=True, exist_ok=True)
        data = {"targets": {target: {name: vars(entry) for name, entry in rows.items()}
                            for target, rows in self._entries.items()}}
        temporary = self._file.with_name(f".{LEDGER_FILE}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle)
            os.replace(temporary, self._file)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
