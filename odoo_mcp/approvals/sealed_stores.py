"""The approval stores other processes reach: a SQLite file, or Redis; every record sealed.

Chosen from the limiter's storage URI (as `limits` does), by `open_store`:

- `memory://` — a SQLite file in the state directory (`ODOO_MCP_STATE_DIR`). The server's
  counters stay in process memory, but an approval must be reachable by the human's
  `odoo-mcp approvals approve` — another process — so it goes to a file both can open.
  Each change is one SQL statement (atomic across processes); the file is mode 0600.
  Without a state directory: the guard's in-process `MemoryApprovalStore`.
- `redis://…` — the same Redis the counters use, so every replica sees every approval and
  an approval given through one replica is used on another. Each state change is one
  Lua script (atomic).

Both implement the gate's `ApprovalStore` (guard/approvals/store.py) and are injected when the
server assembles its guard (`configured.py`).

The SQLite file and Redis are reachable by every process of the server's Unix user — a stdio
mount among them. So each record they hold is sealed with the server's approval key (an HMAC
over the whole record: call, state, decider, expiry). A record whose seal does not match (edited
in place, inserted, re-targeted) is never believed: `get` and `all` leave it out as if absent,
`find` raises `AlteredApproval` so the gate can refuse the call, audit it and discard the record.
What the seal cannot tell is an old, genuinely sealed record written back over a newer one;
the gate remembers the approvals it used (guard/approvals/gate.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import threading
import time
from dataclasses import asdict
from pathlib import Path

from guard.approvals.store import (
    CLOSED,
    AlteredApproval,
    ApprovalStore,
    MemoryApprovalStore,
    PendingApproval,
    transitioned,
)
from guard.approvals.ticket import Binding

KEEP_AFTER_EXPIRY = 86400.0
"""Finished or expired approvals stay listable this long, then they are dropped."""


def _mac(key: bytes, fields: dict[str, object]) -> str:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hmac.new(key, b"approval\x00" + body, hashlib.sha256).hexdigest()


def seal(approval: PendingApproval, key: bytes) -> str:
    """The record as stored: its fields and `mac`, their HMAC under the approval key."""
    fields = asdict(approval)
    return json.dumps({**fields, "mac": _mac(key, fields)}, sort_keys=True)


def unseal(text: str | bytes, key: bytes, expected_id: str | None = None) -> PendingApproval:
    """The approval a stored record holds, if its seal matches (AlteredApproval otherwise)."""
    try:
        fields = json.loads(text)
        mac = fields.pop("mac")
        approval = PendingApproval(**fields)
    except (ValueError, TypeError, KeyError, AttributeError):
        raise AlteredApproval(expected_id or "?") from None
    if not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(key, asdict(approval))):
        raise AlteredApproval(approval.id if isinstance(approval.id, str) else "?")
    if expected_id is not None and approval.id != expected_id:
        raise AlteredApproval(expected_id)
    return approval


def binding_key(binding: Binding) -> str:
    return hashlib.sha256(
        "\x00".join((binding.grant, binding.session, binding.tool, binding.digest)).encode()
    ).hexdigest()


def _found(approval: PendingApproval, binding: Binding) -> PendingApproval:
    """The record found for `binding`, if it is for that call (a record moved to another call's
    place keeps its own, sealed binding: AlteredApproval)."""
    if approval.binding != binding:
        raise AlteredApproval(approval.id)
    return approval


class SqliteApprovalStore:
    """A SQLite file shared by the server processes and the approver CLI of one machine."""

    def __init__(self, path: Path, *, key: bytes) -> None:
        self.path = path
        self._key = key
        self._local = threading.local()

    def _open(self, record: str | bytes, approval_id: str | None = None) -> PendingApproval | None:
        try:
            return unseal(record, self._key, approval_id)
        except AlteredApproval:
            return None

    def _db(self) -> sqlite3.Connection:
        """This thread's connection; the file and its tables are made on first use (a server whose
        calls never need an approval leaves nothing behind)."""
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=True)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS approvals (id TEXT PRIMARY KEY, binding TEXT NOT NULL, "
                "status TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL, record TEXT NOT NULL)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS approvals_binding ON approvals (binding, status)")
            db.execute("CREATE TABLE IF NOT EXISTS claims (id TEXT PRIMARY KEY, expires REAL NOT NULL)")
            now = time.time()
            db.execute("DELETE FROM approvals WHERE expires < ?", (now - KEEP_AFTER_EXPIRY,))
            db.execute("DELETE FROM claims WHERE expires < ?", (now,))
            self._local.db = db
        return db

    def add(self, approval: PendingApproval) -> None:
        self._db().execute(
            "INSERT INTO approvals (id, binding, status, created, expires, record) VALUES (?, ?, ?, ?, ?, ?)",
            (
                approval.id,
                binding_key(approval.binding),
                approval.status,
                approval.created,
                approval.expires,
                seal(approval, self._key),
            ),
        )

    def get(self, approval_id: str) -> PendingApproval | None:
        row = self._db().execute("SELECT record FROM approvals WHERE id = ?", (approval_id,)).fetchone()
        return self._open(row[0], approval_id) if row else None

    def all(self) -> list[PendingApproval]:
        rows = self._db().execute("SELECT id, record FROM approvals ORDER BY created").fetchall()
        return [a for a in (self._open(record, approval_id) for approval_id, record in rows) if a is not None]

    def find(self, binding: Binding) -> PendingApproval | None:
        row = (
            self._db()
            .execute(
                "SELECT id, record FROM approvals WHERE binding = ? AND status NOT IN (?, ?) "
                "ORDER BY created DESC LIMIT 1",
                (binding_key(binding), *CLOSED),
            )
            .fetchone()
        )
        return _found(unseal(row[1], self._key, row[0]), binding) if row else None

    def transition(
        self, approval_id: str, expect: str, status: str, *, by: str | None, now: float, expires: float | None = None
    ) -> PendingApproval | None:
        changed = transitioned(self.get(approval_id), expect, status, by, now, expires)
        if changed is None:
            return None
        cursor = self._db().execute(
            "UPDATE approvals SET status = ?, expires = ?, record = ? WHERE id = ? AND status = ? AND expires > ?",
            (status, changed.expires, seal(changed, self._key), approval_id, expect, now),
        )
        return changed if cursor.rowcount == 1 else None

    def claim(self, ticket_id: str, expires: float) -> bool:
        cursor = self._db().execute("INSERT OR IGNORE INTO claims (id, expires) VALUES (?, ?)", (ticket_id, expires))
        return cursor.rowcount == 1

    def discard(self, approval_id: str) -> None:
        self._db().execute("DELETE FROM approvals WHERE id = ?", (approval_id,))


_REDIS_TRANSITION = """
local record = redis.call('GET', KEYS[1])
if not record then return nil end
local current = cjson.decode(record)
if current['status'] ~= ARGV[1] or tonumber(current['expires']) <= tonumber(ARGV[3]) then return nil end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return ARGV[2]
"""


class RedisApprovalStore:
    """Approvals in Redis (the limiter's store), visible to every replica."""

    PREFIX = "odoo-guard:approval:"

    def __init__(self, uri: str, *, key: bytes) -> None:
        import redis  # the `redis` extra, as for the limiter's Redis storage

        self._key = key
        self._redis = redis.Redis.from_url(uri)
        self._transition = self._redis.register_script(_REDIS_TRANSITION)

    def _ttl(self, approval: PendingApproval) -> int:
        return max(1, int(approval.expires - time.time() + KEEP_AFTER_EXPIRY))

    def add(self, approval: PendingApproval) -> None:
        pipe = self._redis.pipeline()
        pipe.set(self.PREFIX + "id:" + approval.id, seal(approval, self._key), ex=self._ttl(approval))
        pipe.set(self.PREFIX + "for:" + binding_key(approval.binding), approval.id, ex=self._ttl(approval))
        pipe.zadd(self.PREFIX + "index", {approval.id: approval.created})
        pipe.zremrangebyscore(self.PREFIX + "index", "-inf", time.time() - 2 * KEEP_AFTER_EXPIRY)
        pipe.execute()

    def _read(self, approval_id: str) -> PendingApproval | None:
        record = self._redis.get(self.PREFIX + "id:" + approval_id)
        return unseal(record, self._key, approval_id) if record else None

    def get(self, approval_id: str) -> PendingApproval | None:
        try:
            return self._read(approval_id)
        except AlteredApproval:
            return None

    def all(self) -> list[PendingApproval]:
        ids = [i.decode() for i in self._redis.zrange(self.PREFIX + "index", 0, -1)]
        found = [self.get(i) for i in ids]
        return [a for a in found if a is not None]

    def find(self, binding: Binding) -> PendingApproval | None:
        approval_id = self._redis.get(self.PREFIX + "for:" + binding_key(binding))
        approval = self._read(approval_id.decode()) if approval_id else None
        return _found(approval, binding) if approval is not None and approval.status not in CLOSED else None

    def transition(
        self, approval_id: str, expect: str, status: str, *, by: str | None, now: float, expires: float | None = None
    ) -> PendingApproval | None:
        changed = transitioned(self.get(approval_id), expect, status, by, now, expires)
        if changed is None:
            return None
        sealed = seal(changed, self._key)
        done = self._transition(keys=[self.PREFIX + "id:" + approval_id], args=[expect, sealed, now])
        return changed if done is not None else None

    def claim(self, ticket_id: str, expires: float) -> bool:
        ttl = max(1, int(expires - time.time()) + 1)
        return bool(self._redis.set(self.PREFIX + "claim:" + ticket_id, b"1", nx=True, ex=ttl))

    def discard(self, approval_id: str) -> None:
        self._redis.delete(self.PREFIX + "id:" + approval_id)
        self._redis.zrem(self.PREFIX + "index", approval_id)


def open_store(storage_uri: str, state_dir: Path | None, *, key: bytes) -> ApprovalStore:
    """The approval store beside the limiter's counters (see the module docstring), its records
    sealed with the approval `key`."""
    scheme = storage_uri.split("://", 1)[0]
    if scheme in ("redis", "rediss"):
        return RedisApprovalStore(storage_uri, key=key)
    if scheme == "memory":
        if state_dir is None:
            return MemoryApprovalStore()
        return SqliteApprovalStore(state_dir / "approvals.sqlite3", key=key)
    raise ValueError(f"approvals cannot be kept in {scheme}:// storage (use memory:// or redis://)")
