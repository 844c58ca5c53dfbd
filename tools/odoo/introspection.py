"""Introspection tools: server version, models, fields, module facts."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from guard.spec import Call, Risk, ToolArgs, ToolFailure
from tools.odoo_kit import ConnectionName, FieldList, Limit, ModuleName, OnModel, given, sensitive
from tools.registry import tool

from .common import odoo

MODULE_FIELDS = ["name", "shortdesc", "summary", "state", "author", "license", "application", "latest_version",
                 "installed_version"]


class ConnectionArgs(ToolArgs):
    connection: ConnectionName = None


class FieldsGetArgs(OnModel):
    fields: FieldList = None
    attributes: list[Annotated[str, Field(pattern=r"^[a-z_]+$")]] = Field(
        default_factory=lambda: ["type", "string", "required", "readonly", "relation", "selection", "help"],
        max_length=30, description="Field attributes to return.")


class ListModelsArgs(ToolArgs):
    connection: ConnectionName = None
    filter: str | None = Field(None, max_length=128, description="Substring of the model name or description.")
    limit: Limit = 500


class ModuleInfoArgs(ToolArgs):
    connection: ConnectionName = None
    module: ModuleName


@tool("odoo_version", family="odoo", risk=Risk.READ, args=ConnectionArgs, idempotent=True, open_world=True)
def odoo_version(args: ConnectionArgs, call: Call) -> Any:
    """Odoo server version of a connection (no login needed) and the protocol spoken to it: detected from
    the version (JSON-2 from 19.0 with an API key, JSON-RPC otherwise) unless the connection sets one."""
    connection = odoo(call, args.connection)
    info = connection.version()
    return {"connection": connection.alias, "protocol": connection.protocol,
            "protocol_chosen": "detected" if connection.config.protocol == "auto" else "configured",
            "server_version": info.get("server_version"), "server_version_info": info.get("server_version_info"),
            "major_version": connection.major_version()}


@tool("odoo_fields_get", family="odoo", risk=Risk.READ, args=FieldsGetArgs, idempotent=True, open_world=True)
def odoo_fields_get(args: FieldsGetArgs, call: Call) -> Any:
    """Describe the fields of a model (type, label, required, relation, selection...); sensitive fields are
    marked, and the sensitive models are refused."""
    sensitive.check_model(call, args.model)
    connection = odoo(call, args.connection)
    described = connection.execute(args.model, "fields_get", [], given(
        allfields=args.fields, attributes=args.attributes))
    return sensitive.describe_fields(call, connection, args.model, described)


@tool("odoo_list_models", family="odoo", risk=Risk.READ, args=ListModelsArgs, idempotent=True, open_world=True)
def odoo_list_models(args: ListModelsArgs, call: Call) -> Any:
    """List the models of the database (ir.model), optionally filtered by name or description."""
    domain: list[Any] = []
    if args.filter:
        domain = ["|", ["model", "ilike", args.filter], ["name", "ilike", args.filter]]
    return odoo(call, args.connection).execute("ir.model", "search_read", [domain], {
        "fields": ["model", "name", "transient"], "limit": args.limit, "order": "model"})


def find_modules(call: Call, connection: str | None, names: list[str]) -> list[dict[str, Any]]:
    """The `ir.module.module` records named `names`; refuses names the server does not know."""
    rows = odoo(call, connection).execute("ir.module.module", "search_read", [[["name", "in", names]]],
                                          {"fields": MODULE_FIELDS})
    missing = sorted(set(names) - {row["name"] for row in rows})
    if missing:
        raise ToolFailure(f"unknown module(s) {', '.join(missing)}: run odoo_module_update_list after adding "
                          "them to an addons path")
    return rows


INSTALLED_STATES = ("installed", "to upgrade", "to remove")


def module_facts(row: dict[str, Any]) -> dict[str, Any]:
    """One module as a reader expects it. Odoo's own field names are crossed: `latest_version` (labelled
    "Installed Version") is the version in the database, set at install or upgrade; `installed_version`
    (labelled "Latest Version") is computed from the manifest on disk, for every module, installed or not."""
    installed = row.get("state") in INSTALLED_STATES
    facts = {key: row.get(key) for key in ("id", "name", "shortdesc", "summary", "state", "author", "license",
                                           "application")}
    return {**facts, "installed": installed,
            "installed_version": (row.get("latest_version") or None) if installed else None,
            "version_on_disk": row.get("installed_version") or None}


@tool("odoo_module_info", family="odoo", risk=Risk.READ, args=ModuleInfoArgs, idempotent=True, open_world=True)
def odoo_module_info(args: ModuleInfoArgs, call: Call) -> Any:
    """Facts about one module: its state, whether it is installed and which version (none when it is not),
    the version on disk (its manifest), author, license and dependencies."""
    [row] = find_modules(call, args.connection, [args.module])
    depends = odoo(call, args.connection).execute("ir.module.module.dependency", "search_read",
                                                  [[["module_id", "=", row["id"]]]], {"fields": ["name"]})
    return {**module_facts(row), "depends": sorted(dep["name"] for dep in depends)}
