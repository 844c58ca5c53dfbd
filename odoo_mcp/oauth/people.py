"""The people behind OAuth grants: their sign-in, their policy, their own Odoo connection at run time.

A person who signs in is a grant named `<their Odoo login>@<connection>`. What they sign in with
is checked by Odoo (`odoo_identity.identify`); their secret is sealed into the store
(`sealing.Sealer`), and each of their tool calls that reaches Odoo runs on a connection made
from it — their own Odoo user, so Odoo's access rights apply under the policy. A signed-in
person never reaches the operator's accounts: a call naming another connection is refused.

A grant of the tokens file is never a person: a sign-in whose grant name is a static grant's is
refused, and a static grant's calls never get a person's connection (`static`).

A grant of the external identity provider (`jwt_verifier.py`) is mapped by the OAuth file to a
grant name and to one configured connection; its calls use that connection.

Policies: the first rule of the OAuth file that matches the person (login, then Odoo group, in
the file's order) names their policy file; no rule, the default policy. The person's grant is
kept in step with that file's policy in the policy set on every request (`sync_policy`), so a
reload of the file reaches signed-in people too and a person's policy never comes from a guess.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from guard.policy_set import PolicySet
from odoo_client.connection import OdooConnection
from odoo_client.errors import NoConnection
from odoo_client.settings import ConnectionConfig, OdooSettings
from odoo_mcp.config import ConfigError
from odoo_mcp.oauth.config import SCOPE_APPROVALS, SCOPE_TOOLS, OAuthConfig
from odoo_mcp.oauth.odoo_identity import OdooPerson, SigninRefused, personal_config
from odoo_mcp.oauth.sealing import Sealer
from odoo_mcp.oauth.store import OAuthStore, Person


@dataclass(frozen=True)
class Mapped:
    """A grant of the external identity provider: its connection alias and policy pseudo-grant."""

    connection: str | None
    policy: str | None
    approver: bool


class People:
    """Signed-in people and IdP grants → their Odoo connection and policy (the tools' `signed_in` service)."""

    def __init__(self, config: OAuthConfig, store: OAuthStore, sealer: Sealer, odoo: OdooSettings,
                 policies: PolicySet | None = None, audit: Any = None, static: frozenset[str] = frozenset()) -> None:
        self.config = config
        self.static = static
        """The tokens file's grants: names no person and no identity-provider subject may take."""
        self.store = store
        self.sealer = sealer
        self.odoo = odoo
        self.policies = policies
        self.audit = audit
        self.mapped: dict[str, Mapped] = {}
        if config.idp is not None:
            for subject in config.idp.subjects.values():
                if subject.grant in static:
                    raise ConfigError(f"oauth idp: grant {subject.grant!r} is also a grant of the tokens file")
                self.mapped[subject.grant] = Mapped(subject.connection, config.policy_key(subject.policy),
                                                    subject.approver)
        self._open: dict[str, tuple[bytes, OdooConnection]] = {}
        self._lock = threading.Lock()

    # ---- who may sign in where ----

    def connections(self) -> list[ConnectionConfig]:
        """The operator's connections people may sign in to (their url and database; never their account)."""
        names = self.config.connections if self.config.connections is not None else tuple(self.odoo.connections)
        return [self.odoo.connections[name] for name in names if name in self.odoo.connections]

    def groups_asked(self) -> list[str]:
        named = [rule.group for rule in self.config.rules if rule.group] + list(self.config.approvers.groups)
        return list(dict.fromkeys(named))

    @staticmethod
    def grant_of(person: OdooPerson) -> str:
        return f"{person.login}@{person.connection}"

    def policy_for(self, person: OdooPerson) -> str | None:
        """The pseudo-grant of the person's policy: the first matching rule's file, else None (the default)."""
        for rule in self.config.rules:
            if (rule.login is not None and rule.login == person.login) or (rule.group in person.groups):
                return self.config.policy_key(rule.policy)
        return None

    def scopes_for(self, person: OdooPerson) -> list[str]:
        approvers = self.config.approvers
        approver = person.login in approvers.logins or bool(person.groups & set(approvers.groups))
        return [SCOPE_TOOLS, SCOPE_APPROVALS] if approver else [SCOPE_TOOLS]

    def remember(self, person: OdooPerson, secret: str) -> Person:
        """Keep a person who signed in: sealed secret, policy, the scopes they may hold."""
        grant = self.grant_of(person)
        if grant in self.static or grant in self.mapped:
            raise SigninRefused(f"{grant} is the name of another grant of this server")
        row = Person(grant=grant, connection=person.connection, login=person.login, uid=person.uid,
                     sealed=self.sealer.seal(secret, grant), policy=self.policy_for(person),
                     scopes=self.scopes_for(person))
        self.store.put_person(row)
        self._drop(grant)  # a new secret: the next call logs in with it
        if self.audit is not None:
            self.audit.add_secrets([secret])
        self.sync_policy(grant)
        return row

    # ---- at run time ----

    def sync_policy(self, grant: str) -> None:
        """Put the policy this grant should have in force for it (no-op when it already is)."""
        if self.policies is None:
            return
        key = self._policy_key(grant)
        wanted = self.policies.for_grant(key) if key else self.policies.default
        if self.policies.for_grant(grant) is not wanted:
            self.policies.swap(grant, wanted)

    def _policy_key(self, grant: str) -> str | None:
        if grant in self.mapped:
            return self.mapped[grant].policy
        person = self.store.person(grant)
        return person.policy if person else None

    def is_approver(self, grant: str) -> bool:
        if grant in self.mapped:
            return self.mapped[grant].approver
        person = self.store.person(grant)
        return person is not None and SCOPE_APPROVALS in person.scopes

    def connection(self, grant: str, alias: str | None) -> OdooConnection | None:
        """The connection a call of `grant` must use; None when the grant is not OAuth's (static tokens, stdio)."""
        if grant in self.static:
            return None
        if grant in self.mapped:
            mapped = self.mapped[grant].connection
            if mapped is None:
                return None
            self._only(alias, mapped, grant)
            return self._operator(grant, mapped)
        person = self.store.person(grant)
        if person is None:
            return None
        self._only(alias, person.connection, grant)
        return self._personal(person)

    @staticmethod
    def _only(alias: str | None, own: str, grant: str) -> None:
        if alias is not None and alias != own:
            raise NoConnection(f"connection {alias!r} is not available to {grant}: it acts on {own!r} only")

    def _personal(self, person: Person) -> OdooConnection:
        with self._lock:
            held = self._open.get(person.grant)
            if held is not None and held[0] == person.sealed:
                return held[1]
            secret = self.sealer.open(person.sealed, person.grant)
            base = self.odoo.connections.get(person.connection)
            if secret is None or base is None:
                raise NoConnection(f"the sign-in of {person.grant} cannot be used any more: sign in again")
            connection = OdooConnection(personal_config(base, person.login, secret))
            self._close(person.grant)
            self._open[person.grant] = (person.sealed, connection)
            return connection

    def _operator(self, grant: str, alias: str) -> OdooConnection:
        with self._lock:
            held = self._open.get(grant)
            if held is not None:
                return held[1]
            config = self.odoo.connections.get(alias)
            if config is None:
                raise NoConnection(f"connection {alias!r} of {grant} is not configured")
            connection = OdooConnection(config)
            self._open[grant] = (b"", connection)
            return connection

    def _drop(self, grant: str) -> None:
        with self._lock:
            self._close(grant)

    def _close(self, grant: str) -> None:
        held = self._open.pop(grant, None)
        if held is not None:
            held[1].close()

    def close(self) -> None:
        with self._lock:
            for grant in list(self._open):
                self._close(grant)
