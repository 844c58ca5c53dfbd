"""What the authorization server remembers, in one SQLite file of the state folder.

Clients (RFC 7591 registrations), authorization requests waiting for a sign-in, authorization
codes, access and refresh tokens, and the people who signed in (their Odoo login and sealed
secret, `sealing.py`). Codes and tokens are kept as their SHA-256 only: a copy of the file
lets nobody call. Every token belongs to a *family* — the code it came from — so a code used
twice, or a refresh token used after it was rotated, revokes the whole family (RFC 6749
§4.1.2 and OAuth 2.1 §4.3.1's reuse detection), and revocation reaches both kinds at once.

SQLite because replicas that share the state folder (docs/teams.md) then share registrations
and tokens, with its own locking; every statement is short and runs on the caller's thread.
Settings built in code without a state folder keep the same tables in memory.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (client_id TEXT PRIMARY KEY, info TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS requests (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, params TEXT NOT NULL,
    expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS codes (hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, grant_name TEXT NOT NULL,
    scopes TEXT NOT NULL, challenge TEXT NOT NULL, redirect_uri TEXT NOT NULL, explicit INTEGER NOT NULL,
    resource TEXT NOT NULL, expires REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, kind TEXT NOT NULL, family TEXT NOT NULL,
    client_id TEXT NOT NULL, grant_name TEXT NOT NULL, scopes TEXT NOT NULL, resource TEXT NOT NULL,
    expires REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS tokens_family ON tokens (family);
CREATE TABLE IF NOT EXISTS people (grant_name TEXT PRIMARY KEY, connection TEXT NOT NULL, login TEXT NOT NULL,
    uid INTEGER NOT NULL, sealed BLOB NOT NULL, policy TEXT, scopes TEXT NOT NULL, updated REAL NOT NULL);
"""


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_secret() -> str:
    """A code or token: 256 random bits, URL-safe (RFC 6749 §10.10 asks for at least 128)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class CodeRow:
    client_id: str
    grant: str
    scopes: list[str]
    challenge: str
    redirect_uri: str
    explicit: bool
    resource: str
    expires: float
    used: bool
    family: str


@dataclass(frozen=True)
class TokenRow:
    kind: str
    family: str
    client_id: str
    grant: str
    scopes: list[str]
    resource: str
    expires: float
    used: bool
    revoked: bool


@dataclass(frozen=True)
class Person:
    grant: str
    connection: str
    login: str
    uid: int
    sealed: bytes
    policy: str | None
    scopes: list[str]


@dataclass(frozen=True)
class Issued:
    access: str
    refresh: str


class OAuthStore:
    """The tables above; `clock` is a parameter so expiry is tested without waiting."""

    def __init__(self, path: Path | None, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.touch(mode=0o600, exist_ok=True)
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False, timeout=10,
                                   isolation_level=None)
        self._lock = threading.Lock()
        self._db.executescript(SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # ---- clients ----

    def add_client(self, client_id: str, info: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO clients VALUES (?, ?, ?)", (client_id, json.dumps(info), self.clock()))

    def client(self, client_id: str) -> dict[str, Any] | None:
        with self._tx() as db:
            row = db.execute("SELECT info FROM clients WHERE client_id = ?", (client_id,)).fetchone()
        return json.loads(row[0]) if row else None

    # ---- authorization requests waiting for a sign-in ----

    def add_request(self, client_id: str, params: dict[str, Any], ttl: float) -> str:
        request_id = new_secret()
        with self._tx() as db:
            db.execute("DELETE FROM requests WHERE expires < ?", (self.clock(),))
            db.execute("INSERT INTO requests VALUES (?, ?, ?, ?)",
                       (request_id, client_id, json.dumps(params), self.clock() + ttl))
        return request_id

    def request(self, request_id: str) -> tuple[str, dict[str, Any]] | None:
        with self._tx() as db:
            row = db.execute("SELECT client_id, params FROM requests WHERE id = ? AND expires >= ?",
                             (request_id, self.clock())).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def take_request(self, request_id: str) -> bool:
        """Consume a request once (a second sign-in on the same request gets nothing)."""
        with self._tx() as db:
            return db.execute("DELETE FROM requests WHERE id = ?", (request_id,)).rowcount == 1

    # ---- codes ----

    def add_code(self, code: str, *, client_id: str, grant: str, scopes: list[str], challenge: str,
                 redirect_uri: str, explicit: bool, resource: str, ttl: float) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO codes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                       (digest(code), client_id, grant, " ".join(scopes), challenge, redirect_uri, int(explicit),
                        resource, self.clock() + ttl))

    def code(self, code: str) -> CodeRow | None:
        with self._tx() as db:
            row = db.execute("SELECT client_id, grant_name, scopes, challenge, redirect_uri, explicit, resource, "
                             "expires, used, hash FROM codes WHERE hash = ?", (digest(code),)).fetchone()
        if row is None:
            return None
        return CodeRow(row[0], row[1], row[2].split(), row[3], row[4], bool(row[5]), row[6], row[7], bool(row[8]),
                       row[9])

    def use_code(self, code: str) -> bool:
        """Mark a code used; False if it already was (two exchanges racing: one wins)."""
        with self._tx() as db:
            return db.execute("UPDATE codes SET used = 1 WHERE hash = ? AND used = 0", (digest(code),)).rowcount == 1

    # ---- tokens ----

    def issue(self, *, family: str, client_id: str, grant: str, scopes: list[str], resource: str,
              access_ttl: float, refresh_ttl: float) -> Issued:
        access, refresh = new_secret(), new_secret()
        now = self.clock()
        with self._tx() as db:
            for kind, value, ttl in (("access", access, access_ttl), ("refresh", refresh, refresh_ttl)):
                db.execute("INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
                           (digest(value), kind, family, client_id, grant, " ".join(scopes), resource, now + ttl))
            db.execute("DELETE FROM tokens WHERE expires < ?", (now - 86_400,))
        return Issued(access, refresh)

    def token(self, value: str) -> TokenRow | None:
        with self._tx() as db:
            row = db.execute("SELECT kind, family, client_id, grant_name, scopes, resource, expires, used, revoked "
                             "FROM tokens WHERE hash = ?", (digest(value),)).fetchone()
        if row is None:
            return None
        return TokenRow(row[0], row[1], row[2], row[3], row[4].split(), row[5], row[6], bool(row[7]), bool(row[8]))

    def rotate(self, value: str) -> bool:
        """Mark a refresh token used (rotated); False if it already was."""
        with self._tx() as db:
            return db.execute("UPDATE tokens SET used = 1 WHERE hash = ? AND kind = 'refresh' AND used = 0 "
                              "AND revoked = 0", (digest(value),)).rowcount == 1

    def revoke_family(self, family: str) -> int:
        with self._tx() as db:
            return db.execute("UPDATE tokens SET revoked = 1 WHERE family = ? AND revoked = 0", (family,)).rowcount

    def revoke_family_access(self, family: str) -> None:
        """A refresh replaces the family's access tokens: the old ones stop working at once."""
        with self._tx() as db:
            db.execute("UPDATE tokens SET revoked = 1 WHERE family = ? AND kind = 'access'", (family,))

    def live_families(self, grant: str) -> int:
        """How many token families of `grant` can still refresh (its credentials are kept while any can)."""
        with self._tx() as db:
            row = db.execute("SELECT COUNT(DISTINCT family) FROM tokens WHERE grant_name = ? AND kind = 'refresh' "
                             "AND revoked = 0 AND used = 0 AND expires >= ?", (grant, self.clock())).fetchone()
        return int(row[0])

    # ---- people ----

    def put_person(self, person: Person) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO people VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (person.grant, person.connection, person.login, person.uid, person.sealed, person.policy,
                        " ".join(person.scopes), self.clock()))

    def person(self, grant: str) -> Person | None:
        with self._tx() as db:
            row = db.execute("SELECT grant_name, connection, login, uid, sealed, policy, scopes FROM people "
                             "WHERE grant_name = ?", (grant,)).fetchone()
        return Person(row[0], row[1], row[2], row[3], bytes(row[4]), row[5], row[6].split()) if row else None

    def forget_person(self, grant: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM people WHERE grant_name = ?", (grant,))

    def close(self) -> None:
        self._db.close()
