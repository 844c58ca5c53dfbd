"""The OAuth file (`--oauth FILE` / `ODOO_MCP_OAUTH`): who may sign in, to which Odoo, under which policy.

    {"public_url": "https://mcp.example.com",
     "connections": ["prod"],
     "policies": [{"login": "alice@example.com", "policy": "alice.json"},
                  {"group": "base.group_system", "policy": "admins.json"}],
     "approvers": {"logins": ["carol@example.com"], "groups": ["account.group_account_manager"]},
     "access_token_ttl": 900, "refresh_token_ttl": 2592000,
     "signin_limits": {"per_login": {"max": 5, "window": 900}, "per_address": {"max": 30, "window": 900}},
     "idp": {"issuer": "https://login.example.com/", "jwks_url": "https://login.example.com/jwks",
             "algorithms": ["RS256"], "claim": "email",
             "subjects": {"dave@example.com": {"grant": "dave", "connection": "dave", "policy": "dave.json"}}}}

`public_url` is the address clients reach (the TLS proxy's): the issuer, and `<public_url>/mcp` the
resource every token is bound to. `connections` are the configured Odoo connections people may
sign in to with their own login (default: every configured one). `policies` are tried in order,
a person's login first, then an Odoo group (its XML id); the first that matches is the person's
policy, none the default policy. Parsing is pure: a document in, an `OAuthConfig` out, every
problem a `ConfigError` naming the key (the server then does not start).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from odoo_mcp.config import ConfigError, beside, read_json_file

SCOPE_TOOLS = "odoo"
"""The scope a token needs for the MCP endpoint (calling tools)."""
SCOPE_APPROVALS = "approvals"
"""The scope a token needs for the approvals endpoint; granted only to the operator's approvers."""
SCOPES = (SCOPE_TOOLS, SCOPE_APPROVALS)
XML_ID = r"^[a-z0-9_]+\.[A-Za-z0-9_.]+$"
POLICY_KEY_PREFIX = "oauth-policy:"
"""The policy set holds each person/group policy file under this pseudo-grant, so a reload of the
file reaches it; a signed-in grant is kept in step with it (`people.People.sync_policy`)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicyRule(_Strict):
    login: str | None = Field(None, min_length=1, max_length=256)
    group: str | None = Field(None, pattern=XML_ID, max_length=256)
    policy: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_key(self) -> PolicyRule:
        if (self.login is None) == (self.group is None):
            raise ValueError("give exactly one of login or group")
        return self


class Approvers(_Strict):
    logins: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)


class Cap(_Strict):
    max: int = Field(ge=1, le=10_000)
    window: int = Field(ge=1, le=86_400, description="seconds")


class SigninLimits(_Strict):
    per_login: Cap = Cap(max=5, window=900)
    per_address: Cap = Cap(max=30, window=900)


class FlowLimits(_Strict):
    per_address: Cap = Cap(max=60, window=600)
    """Registrations and authorization requests (both store something before anyone signed in)."""


class Subject(_Strict):
    grant: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.@+-]+$")
    connection: str | None = None
    policy: str | None = None
    approver: bool = False


class IdpFile(_Strict):
    issuer: str = Field(min_length=1)
    jwks_url: str = Field(min_length=1)
    audience: str | None = None
    algorithms: list[Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]] = (
        Field(default_factory=lambda: ["RS256"], min_length=1)
    )
    claim: str = Field("sub", min_length=1)
    scope_claim: str = "scope"
    subjects: dict[str, Subject] = Field(min_length=1)


class OAuthFile(_Strict):
    public_url: str
    connections: list[str] | None = None
    policies: list[PolicyRule] = Field(default_factory=list)
    approvers: Approvers = Approvers()
    access_token_ttl: int = Field(900, ge=60, le=86_400)
    refresh_token_ttl: int = Field(30 * 86_400, ge=300, le=365 * 86_400)
    code_ttl: int = Field(300, ge=30, le=600)
    signin_limits: SigninLimits = SigninLimits()
    flow_limits: FlowLimits = FlowLimits()
    idp: IdpFile | None = None


@dataclass(frozen=True)
class OAuthConfig:
    """The parsed file, with the URLs derived from `public_url` and policy paths made absolute."""

    public_url: str
    connections: tuple[str, ...] | None
    rules: tuple[PolicyRule, ...]
    approvers: Approvers
    access_token_ttl: int
    refresh_token_ttl: int
    code_ttl: int
    limits: SigninLimits
    idp: IdpFile | None
    flow: FlowLimits = field(default_factory=FlowLimits)
    base: Path = Path()
    policy_files: dict[str, Path] = field(default_factory=dict)
    """pseudo-grant (`oauth-policy:<path>`) → policy file, for every policy the file names."""

    @property
    def issuer(self) -> str:
        return self.public_url

    @property
    def resource(self) -> str:
        """What every token is bound to (RFC 8707): the MCP endpoint's public address."""
        return f"{self.public_url}/mcp"

    def policy_key(self, relative: str | None) -> str | None:
        """The pseudo-grant holding the policy file `relative` names (None: the default policy)."""
        if relative is None:
            return None
        return POLICY_KEY_PREFIX + str(beside(relative, self.base))


def _public_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ConfigError(f"oauth public_url {raw!r}: must be https:// (http:// only on a loopback address)")
    if parts.query or parts.fragment or (parts.path not in {"", "/"}):
        raise ConfigError(f"oauth public_url {raw!r}: scheme and host[:port] only, no path, query or fragment")
    return f"{parts.scheme}://{parts.netloc}"


def parse_oauth(document: Any, source: str, base: Path) -> OAuthConfig:
    """The OAuth file's JSON → `OAuthConfig`; any problem is a `ConfigError` naming where."""
    try:
        parsed = OAuthFile.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top)"
        raise ConfigError(f"oauth file {source}: {where}: {first['msg']}") from None
    files: dict[str, Path] = {}
    names = [rule.policy for rule in parsed.policies]
    if parsed.idp is not None:
        names += [subject.policy for subject in parsed.idp.subjects.values() if subject.policy]
    for name in names:
        path = beside(name, base)
        files[POLICY_KEY_PREFIX + str(path)] = path
    return OAuthConfig(
        public_url=_public_url(parsed.public_url),
        connections=tuple(parsed.connections) if parsed.connections is not None else None,
        rules=tuple(parsed.policies),
        approvers=parsed.approvers,
        access_token_ttl=parsed.access_token_ttl,
        refresh_token_ttl=parsed.refresh_token_ttl,
        code_ttl=parsed.code_ttl,
        limits=parsed.signin_limits,
        idp=parsed.idp,
        flow=parsed.flow_limits,
        base=base,
        policy_files=files,
    )


def read_oauth(path: Path) -> OAuthConfig:
    return parse_oauth(read_json_file(path, "oauth file"), str(path), path.parent)
