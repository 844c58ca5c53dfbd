"""What every Odoo tool shares, below every family: argument types (validated before Odoo is asked)
and the connection pool service, here; beside them `context` (an Odoo family's context: the server's
runtime with the Odoo settings checked), `errors` (the client's errors as tagged refusals, in one
place), `equivalents` (the dedicated tools a generic call does the work of), `sensitive_rules`
(Odoo's sensitive models and fields) and `sensitive` (where the Odoo tools apply them).

A package of its own, not part of the `tools/odoo` family package, so a family (and the identity
store, which the `odoo()` connection choice in `tools/odoo/common.py` sits above) can use it
without loading the Odoo family or making an import cycle. It serves no tool.

Argument types carry the limits: model and field names by pattern, domains by `check_domain`,
ids as positive integers, limits with maxima. A policy can name these arguments in its
conditions (`{"arg": "model", "op": "in", ...}`, `{"arg": "ids", "op": "len_lte", ...}`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from guard.spec import Call, ToolArgs
from odoo_client.connection import OdooConnection
from odoo_client.domain import FIELD_NAME, MODEL_NAME, check_domain
from odoo_client.names import ALIAS, MODULE_NAME, anchored
from odoo_client.pool import OdooPool
from odoo_client.settings import OdooSettings

MAX_LIMIT = 2000
MAX_IDS = 1000


def _field_names(values: dict[str, Any]) -> dict[str, Any]:
    for key in values:
        if not FIELD_NAME.match(key):
            raise ValueError(f"{key!r} is not a field name")
    return values


ConnectionName = Annotated[
    str | None,
    Field(None, pattern=anchored(ALIAS),
          description="Alias (odoo_connections); omit for the default."),
]
ModelName = Annotated[
    str, Field(pattern=MODEL_NAME.pattern, max_length=128, description="Model, e.g. res.partner.")
]
FieldName = Annotated[str, Field(pattern=FIELD_NAME.pattern, max_length=128)]
FieldList = Annotated[
    list[FieldName] | None,
    Field(None, max_length=500, description="Field names to return; when omitted, reads return every field but "
                                            "binary and one2many/many2many ones, backups every field."),
]
Domain = Annotated[
    list[Any],
    AfterValidator(check_domain),
    Field(description="Odoo domain: [[field, operator, value], ...] with optional &, |, ! prefixes."),
]
RecordId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Ids = Annotated[list[RecordId], Field(min_length=1, max_length=MAX_IDS, description="Record ids.")]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"Maximum number of records (1..{MAX_LIMIT}).")]
Offset = Annotated[int, Field(0, ge=0, le=10_000_000, description="Number of records to skip.")]
Order = Annotated[
    str | None,
    Field(None, pattern=r"^[a-z_][a-z0-9_]*( (asc|desc|ASC|DESC))?(, ?[a-z_][a-z0-9_]*( (asc|desc|ASC|DESC))?)*$",
          max_length=256, description='Sort order, e.g. "name asc, id desc".'),
]
Values = Annotated[dict[str, Any], AfterValidator(_field_names), Field(description="Field values by field name.")]
ModuleName = Annotated[str, Field(pattern=anchored(MODULE_NAME), description="Technical module name.")]
ModuleList = Annotated[list[ModuleName], Field(min_length=1, max_length=50)]


class OnModel(ToolArgs):
    connection: ConnectionName = None
    model: ModelName


def given(**kwargs: Any) -> dict[str, Any]:
    """Keyword arguments without the ones left unset (Odoo's defaults apply; XML-RPC has no None)."""
    return {key: value for key, value in kwargs.items() if value is not None}


def odoo_pool(call: Call) -> OdooPool:
    """The server's connection pool, built on first use from the settings checked at start-up
    (`OdooContext`; a bare runtime, in tests and benchmarks: its settings' one parse)."""
    parsed = getattr(call.runtime, "odoo", None)

    def build(runtime: Any) -> OdooPool:
        settings = parsed if isinstance(parsed, OdooSettings) else runtime.settings.odoo
        return OdooPool(settings)  # a ConfigError here: [NOT CONFIGURED] (errors.py)

    return call.runtime.service("odoo", build)


SIGNED_IN = "signed_in"
"""The runtime service the HTTP server registers when people sign in with OAuth (odoo_mcp/oauth/people.py):
`connection(grant, alias)` is the person's own Odoo connection, None for other grants."""


def signed_in_connection(call: Call, connection: str | None) -> OdooConnection | None:
    service = getattr(call.runtime, "service", None)
    people = service(SIGNED_IN, lambda _runtime: None) if service is not None else None
    return people.connection(call.caller.grant, connection) if people is not None else None
