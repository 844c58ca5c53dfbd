"""The first `tools/list` of a stdio session, kept from the last start that had the same inputs.

Desktop clients start every configured server at launch and wait for its tool list. Building
the list means importing the catalogue (pydantic models for every tool), loading the policy and
wrapping every tool in the guard — most of a cold start. Yet the list is a pure function of the
code, the policy file, the command line and the environment. So a successful start writes the
list it served to the cache folder under a key made of exactly those inputs, and the next start
with the same key answers `initialize` and `tools/list` from it (`odoo_mcp.launch`) before
importing anything else; the server is then built as usual and takes the session over.

What the cache can and cannot do:
- It only ever decides what is *advertised* first. Every call is decided by the guard built
  from the policy as loaded at that start, whatever the cache says; and should the built
  server's list differ from the one sent, the client is told its list changed.
- A policy that no longer loads has other bytes, hence another key: it never hits, and the
  server refuses to start as always. A setting checked at start (a folder that disappeared since
  the entry was written) still stops the start, right after the early answers.
- Keyed by: the package version, Python's version, the size and mtime of every source file of
  the server's packages (an edited checkout misses), the command line, the working directory,
  the whole environment (whatever a setting reads is in it) and the policy file's bytes.
- Not used with mounts (their tools are known only once they run) nor with HTTP.

Standard library only: it runs before the server's own imports. Entries are files of this user
only (0600 in a 0700 folder), refused when another user owns them or others may write them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from odoo_mcp import __version__

FORMAT = 1
PACKAGES = ("odoo_mcp", "guard", "tools", "odoo_client", "foundation")
"""The server's import packages: their sources are part of the key."""

MAX_ENTRY_BYTES = 8 * 1024 * 1024


def cache_dir(env: Mapping[str, str]) -> Path:
    """`ODOO_MCP_STATE_DIR/listing-cache` when set, else `$XDG_CACHE_HOME/odoo-mcp` (`~/.cache/odoo-mcp`)."""
    state = env.get("ODOO_MCP_STATE_DIR", "").strip()
    if state:
        return Path(state).expanduser() / "listing-cache"
    base = env.get("XDG_CACHE_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path(env.get("HOME") or Path.home()) / ".cache"
    return root / "odoo-mcp"


def _policy_path(argv: Sequence[str], env: Mapping[str, str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg == "--policy" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--policy="):
            return arg.split("=", 1)[1]
    return env.get("ODOO_MCP_POLICY") or None


def _code_fingerprint() -> str:
    """Size and mtime of every source file of the server's packages, in one digest."""
    digest = hashlib.sha256()
    top = Path(__file__).resolve().parents[2]  # the folder holding the packages (odoo_mcp/wire/ is two down)
    for package in PACKAGES:
        for folder, dirs, files in os.walk(top / package):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".json", ".yaml", ".yml")):
                    st = os.stat(os.path.join(folder, name))
                    digest.update(f"{folder}/{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def cache_key(argv: Sequence[str], env: Mapping[str, str]) -> str | None:
    """The key of this start's list, or None when the list is not to be cached (see the module)."""
    if not argv or argv[0] != "serve" or any(arg.startswith(("--http", "--mount")) for arg in argv):
        return None
    if env.get("ODOO_MCP_MOUNTS"):
        return None
    policy = _policy_path(argv, env)
    if not policy:
        return None
    try:
        policy_bytes = Path(policy).read_bytes()
    except OSError:
        return None  # the server says what is wrong with it
    material = {
        "format": FORMAT,
        "version": __version__,
        "python": sys.version,
        "code": _code_fingerprint(),
        "argv": list(argv),
        "cwd": os.getcwd(),
        "env": sorted(env.items()),
        "policy": hashlib.sha256(policy_bytes).hexdigest(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _private(st: os.stat_result) -> bool:
    """Owned by this user and writable by no one else (never on Windows: no cache there)."""
    if not hasattr(os, "geteuid"):
        return False
    return st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load(key: str, env: Mapping[str, str]) -> dict[str, Any] | None:
    """The entry kept under `key`, or None (absent, unreadable, not this user's alone, malformed)."""
    path = cache_dir(env) / f"{key}.json"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not _private(st) or st.st_size > MAX_ENTRY_BYTES:
            return None
        with os.fdopen(os.dup(fd), "rb") as file:
            entry = json.loads(file.read())
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("tools"), dict):
        return None
    return entry


def store(key: str, env: Mapping[str, str], tools: dict[str, Any]) -> None:
    """Keep `tools` (a tools/list result) under `key`: written whole, then renamed into place."""
    folder = cache_dir(env)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(os.stat(folder)):
            return
        data = json.dumps({"key": key, "tools": tools}, separators=(",", ":")).encode()
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".entry-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temporary, folder / f"{key}.json")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        _prune(folder, keep=f"{key}.json")
    except OSError:
        return  # a cache that cannot be written costs the next start its speed, nothing else


def _prune(folder: Path, keep: str, limit: int = 16) -> None:
    """At most `limit` entries: the oldest go (one per key that changed: a policy edit, an upgrade)."""
    entries = sorted((p for p in folder.glob("*.json") if p.name != keep), key=lambda p: p.stat().st_mtime)
    for old in entries[: max(0, len(entries) - (limit - 1))]:
        with contextlib.suppress(OSError):
            old.unlink()
