"""Which Odoo models and fields hold secrets, and what a domain, an order or a field path touches.

Secrets stay in Odoo unless the policy opts in: a *sensitive model* (system parameters, API keys,
TOTP devices, mail server credentials...) is refused in every tool, a *sensitive field* (a name
like `password`, `*_secret`, `*_token`, `api_key`, `totp*`, `private_key`, and a few named ones
such as `res.users.login`) is masked in what is read and refused wherever it would be used to
filter, sort or group (so that `search_count` cannot be an oracle on its value).

This module is pure: it knows names and rules, not a connection. Where a field path crosses a relation
(`user_ids.login`), the caller gives a `Schema` (model → field → type and relation) it got from
`fields_get`; a step the schema does not know is judged by its name alone (fail closed).

The policy's one optional key `"sensitive": {"allow_models": [...], "allow_fields": [...]}`
(`guard.policy.SensitiveOptIn`: the policy language knows its shape, not Odoo) is the only way to
lift these rules, one named model or field at a time; `opt_in_problems` says what in it names
nothing sensitive (the server refuses such a policy), `rules_for` applies it. The Odoo tools apply
these rules in `tools/odoo_kit/sensitive.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from guard.policy import SensitiveOptIn

SENSITIVE_MODELS: dict[str, str] = {
    "ir.config_parameter": "system parameters (database.secret, integration keys)",
    "res.users.apikeys": "users' API keys",
    "res.users.apikeys.description": "API key creation wizard",
    "res.users.identitycheck": "password confirmation wizard",
    "auth_totp.device": "trusted two-factor (TOTP) devices",
    "auth_totp.wizard": "two-factor (TOTP) set-up secrets",
    "ir.mail_server": "outgoing mail server credentials",
    "fetchmail.server": "incoming mail server credentials",
    "certificate.key": "private keys of certificates (e-invoicing, signing)",
}
"""Models whose every record is a secret or a credential: refused as a whole."""

SENSITIVE_FIELDS: dict[str, frozenset[str]] = {
    "res.users": frozenset({"login", "password", "new_password", "api_key_ids", "totp_secret", "totp_enabled",
                            "totp_trusted_device_ids", "oauth_access_token", "signup_token"}),
    "res.partner": frozenset({"signup_token", "signup_url"}),
    "payment.token": frozenset({"provider_ref"}),
}
"""Fields sensitive on one model only, whatever their names say (a login is half a credential)."""

SEARCHED_WITH: dict[str, dict[str, tuple[str, ...]]] = {"res.users": {"display_name": ("login",)}}
"""Filters Odoo also answers from a sensitive field: on `res.users`, display_name matches logins too
(`_rec_names_search`), so a filter on it is an oracle on the login."""

SEARCHING_METHODS: dict[str, dict[str, tuple[str, ...]]] = {"res.users": {"name_search": ("login",)}}
"""Methods that search a sensitive field by themselves (`odoo_execute`)."""

CREDENTIAL_MODELS = frozenset({"payment.provider", "payment.acquirer"})
"""Payment providers: every credential field (`stripe_secret_key`, `authorize_login`, `adyen_hmac_key`...)."""

NAME_PATTERN = re.compile(
    r"password|passwd|passphrase|secret|token|totp|privkey|credential"
    r"|(api|private|access|signing|encryption|master)_?key"
    r"|(^|_)(pass|pwd|otp|hmac|pin)(_|$)"
)
"""Field names that are sensitive on every model (searched anywhere in the name)."""

CREDENTIAL_PATTERN = re.compile(r"(^|_)(key|secret|token|signature|hmac|password|login|sha|shakey|userid)(_|$)")
"""On `CREDENTIAL_MODELS`, names that hold a provider's credentials."""

MASK = "[MASKED: sensitive]"
"""What a masked value reads as: a marker, never an empty value that looks real."""

MAX_RELATED = 4
"""How many related-to-related hops a check follows before it refuses (fail closed)."""

def opt_in_problems(opt_in: SensitiveOptIn) -> list[str]:
    """What is wrong with a policy's `"sensitive"` key, one line each, as the policy's other problems:
    naming something that is not sensitive is an error, so a typo cannot pass for an opt-in. Checked
    where the server checks a policy's tool names (at start, on reload, by `policy check`)."""
    problems = []
    known = ", ".join(sorted(SENSITIVE_MODELS))
    for model in opt_in.allow_models:
        if model not in SENSITIVE_MODELS:
            problems.append(f"sensitive.allow_models: {model!r} is not a sensitive model (those are: {known}); "
                            "sensitive fields are opted in with allow_fields")
    for spec in opt_in.allow_fields:
        model, field = split_field(spec)
        if not field_is_sensitive(model, field):
            problems.append(f"sensitive.allow_fields: {spec!r} is not a sensitive field: nothing to opt in")
    return problems


def rules_for(opt_in: SensitiveOptIn) -> SensitiveRules:
    """The built-in rules with the policy's opt-ins applied."""
    return SensitiveRules(frozenset(opt_in.allow_models), frozenset(split_field(spec) for spec in opt_in.allow_fields))


def summary(opt_in: SensitiveOptIn) -> dict[str, Any]:
    """What an agent should know before it reads (shown by `policy_status`)."""
    return {
        "refused_models": sorted(set(SENSITIVE_MODELS) - set(opt_in.allow_models)),
        "masked_fields": "names containing password, secret, token, totp, api/private/access key, credential "
                         "(and pass, pwd, otp, hmac, pin as words); res.users login, payment provider "
                         "credentials; related fields that mirror them. Filters, sorts and group-bys on them "
                         "are refused.",
        "opted_in": {"models": list(opt_in.allow_models), "fields": list(opt_in.allow_fields)},
    }


def split_field(spec: str) -> tuple[str, str]:
    """`res.users.login` → (`res.users`, `login`): a field name never has a dot, a model name may."""
    model, _, field = spec.rpartition(".")
    return model, field


def field_is_sensitive(model: str, field: str) -> bool:
    """The built-in judgement, before any opt-in."""
    if field in SENSITIVE_FIELDS.get(model, ()):
        return True
    if model in CREDENTIAL_MODELS and CREDENTIAL_PATTERN.search(field):
        return True
    return bool(NAME_PATTERN.search(field))


@dataclass(frozen=True)
class FieldInfo:
    """What a path check needs to know about a field: its type and the model a relation points to."""

    type: str
    relation: str | None = None
    related: str | None = None
    """The path a related field mirrors (`user_id.login`): it is as sensitive as what it mirrors."""


Schema = Mapping[str, Mapping[str, FieldInfo]]
"""model → field name → `FieldInfo`; a model or field missing from it is judged by name only."""


@dataclass(frozen=True)
class SensitiveRules:
    """The built-in lists with the policy's opt-ins applied: the questions every tool asks."""

    allow_models: frozenset[str] = frozenset()
    allow_fields: frozenset[tuple[str, str]] = frozenset()

    def model_refusal(self, model: str) -> str | None:
        """Why `model` is refused as a whole, or None."""
        why = SENSITIVE_MODELS.get(model)
        if why is None or model in self.allow_models:
            return None
        return (f"{model} holds {why}; opt in with \"sensitive\": {{\"allow_models\": [\"{model}\"]}} in the policy")

    def masks(self, model: str, field: str) -> bool:
        """True when the value of `model.field` must not leave Odoo."""
        return (model, field) not in self.allow_fields and field_is_sensitive(model, field)

    def field_refusal(self, model: str, field: str, use: str) -> str | None:
        """Why `field` cannot be used (`use`: "filter on", "group by"...), or None."""
        if not self.masks(model, field):
            return None
        return f"cannot {use} {model}.{field}: it is {_sensitive(model, field)}"

    def path_refusal(self, schema: Schema, model: str, path: str, use: str, depth: int = 0) -> str | None:
        """Walk a dotted path (`partner_id.user_ids.login`) across relations; the first refusal, or None.

        Every model the path enters must not be refused and every step must not be sensitive,
        nor a related field that mirrors something sensitive. A step whose relation the schema
        does not know ends the walk by model, and the remaining steps are judged by name on
        every model (fail closed).
        """
        current: str | None = model
        for step in path.split("."):
            if current is None:
                if field_is_sensitive("", step):
                    return f"cannot {use} {path}: {step} is a sensitive field name"
                continue
            refused = self.model_refusal(current)
            if refused:
                return f"cannot {use} {path}: {refused}"
            refused = self.field_refusal(current, step, use)
            if refused:
                return refused
            info = schema.get(current, {}).get(step)
            if info is not None and info.related:
                mirrored = (self.path_refusal(schema, current, info.related, use, depth + 1) if depth < MAX_RELATED
                            else f"related fields nested deeper than {MAX_RELATED}")
                if mirrored:
                    return f"{current}.{step} mirrors {info.related}: {mirrored}"
            current = info.relation if info is not None else None
        return None

    def hides(self, schema: Schema, model: str, field: str) -> bool:
        """True when the value of `model.field` must be masked: sensitive, or related to something sensitive."""
        return self.path_refusal(schema, model, field, "read") is not None

    def target_model(self, schema: Schema, model: str, path: str) -> str | None:
        """The model a relational path ends on (for `any` sub-domains), None when unknown."""
        current: str | None = model
        for step in path.split("."):
            info = schema.get(current or "", {}).get(step)
            current = info.relation if info is not None else None
        return current

    def domain_refusal(self, schema: Schema, model: str, domain: Any) -> str | None:
        """The first reason a domain touches something sensitive (`any` sub-domains included), or None."""
        for owner, path, subdomain in domain_terms(model, domain):
            refused = self.path_refusal(schema, owner, path, "filter on") or self._alias_refusal(schema, owner, path)
            if refused:
                return refused
            if subdomain is not None:
                target = self.target_model(schema, owner, path)
                if target is None:
                    sub_refusal = _names_only(subdomain)
                    if sub_refusal:
                        return f"cannot filter on {path}: {sub_refusal}"
                    continue
                refused = self.domain_refusal(schema, target, subdomain)
                if refused:
                    return refused
        return None

    def _alias_refusal(self, schema: Schema, model: str, path: str) -> str | None:
        """A filter on a name that Odoo also searches in a sensitive field (`res.users` display_name → login)."""
        head, _, last = path.rpartition(".")
        owner = self.target_model(schema, model, head) if head else model
        for alias in SEARCHED_WITH.get(owner or "", {}).get(last, ()):
            if self.masks(owner or "", alias):
                return f"cannot filter on {path}: Odoo also searches it in {owner}.{alias}, {_sensitive(owner, alias)}"
        return None

    def method_refusal(self, model: str, method: str) -> str | None:
        """A method that searches a sensitive field by itself (`res.users.name_search` matches logins)."""
        for alias in SEARCHING_METHODS.get(model, {}).get(method, ()):
            if self.masks(model, alias):
                return f"cannot call {model}.{method}: it also searches {model}.{alias}, {_sensitive(model, alias)}"
        return None

    def names_refusal(self, schema: Schema, model: str, names: list[str], use: str) -> str | None:
        """The first refusal among field specs such as `login`, `date:month`, `amount:sum`, `name desc`."""
        for name in names:
            refused = self.path_refusal(schema, model, field_of(name), use)
            if refused:
                return refused
        return None


def _sensitive(model: str | None, field: str) -> str:
    return (f"a sensitive field; opt in with \"sensitive\": {{\"allow_fields\": [\"{model}.{field}\"]}} "
            "in the policy")


def field_of(spec: str) -> str:
    """The field path in a groupby (`date:month`), an aggregate (`amount:sum`, `x:max(amount)`),
    an order term (`name desc`) or an export path (`user_id/login`)."""
    spec = spec.strip()
    inner = re.search(r"\(([a-z0-9_.]+)\)", spec)
    if inner:
        return inner.group(1)
    # any blank ends the name: Odoo's order syntax takes `\s+` before the direction (`login<TAB>desc`)
    path = (spec.split() or [""])[0].split(":")[0].removesuffix("/.id").removesuffix("/id")
    return "id" if path == ".id" else path.replace("/", ".")


def order_fields(order: str | None) -> list[str]:
    """`"name asc, login desc"` → `["name", "login"]`."""
    return [field_of(part) for part in (order or "").split(",") if part.strip()]


def domain_terms(model: str, domain: Any) -> Iterator[tuple[str, str, Any]]:
    """Every term of a domain as (model, field path, sub-domain of an `any` term or None)."""
    if not isinstance(domain, list | tuple):
        return
    for token in domain:
        if isinstance(token, list | tuple) and len(token) == 3 and isinstance(token[0], str):
            operator = str(token[1]).lower()
            sub = token[2] if operator in ("any", "not any") else None
            yield model, token[0], sub


def _names_only(domain: Any) -> str | None:
    """A sub-domain on an unknown model: refused if any step of any path has a sensitive name."""
    for _, path, sub in domain_terms("", domain):
        for step in path.split("."):
            if field_is_sensitive("", step):
                return f"{step} is a sensitive field name"
        if sub is not None:
            found = _names_only(sub)
            if found:
                return found
    return None
