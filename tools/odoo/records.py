"""Record tools: search, read, create, write, unlink, execute, aggregate, post a message.

The two reads an agent calls most (`odoo_search_read`, `odoo_read`) are async: on a warm
connection their checks, their Odoo request and their answer's masking run on the event loop, no
worker thread (`OdooConnection.execute_async`, `common.on_loop_unless_blocking`); a cold schema,
the first login or XML-RPC still go to a thread. The other tools run in a worker thread.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from guard.spec import Call, Risk, ToolFailure
from odoo_client.connection import OdooConnection
from odoo_client.domain import METHOD_NAME
from tools.odoo_kit import Domain, FieldList, Ids, Limit, Offset, OnModel, Order, Values, given, sensitive
from tools.odoo_kit.equivalents import execute_equivalents
from tools.registry import tool

from . import message_body
from .canonical import canonical_call_args, canonical_record_args
from .common import odoo, on_loop_unless_blocking
from .message_body import BodyFormat
from .previews import unlink_preview, write_preview


class SearchArgs(OnModel):
    domain: Domain = Field(default_factory=list)
    limit: Limit = 80
    offset: Offset = 0
    order: Order = None


class SearchReadArgs(SearchArgs):
    fields: FieldList = None


class SearchCountArgs(OnModel):
    domain: Domain = Field(default_factory=list)


class ReadArgs(OnModel):
    ids: Ids
    fields: FieldList = None


class CreateArgs(OnModel):
    values: Values | Annotated[list[Values], Field(min_length=1, max_length=500)] = Field(
        description="Field values of the new record, or a list of them to create several at once.")


class WriteArgs(OnModel):
    ids: Ids
    values: Values


class UnlinkArgs(OnModel):
    ids: Ids


class ExecuteArgs(OnModel):
    method: str = Field(pattern=METHOD_NAME.pattern, max_length=128,
                        description="Public model method (names starting with '_' are refused).")
    args: list[Any] = Field(default_factory=list, max_length=50, description="Positional arguments.")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments.")


class ReadGroupArgs(OnModel):
    domain: Domain = Field(default_factory=list)
    groupby: list[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*(:(day|week|month|quarter|year))?$")]] = Field(
        min_length=1, max_length=5, description='Fields to group by, e.g. ["country_id", "date:month"].')
    aggregates: list[Annotated[str, Field(pattern=r"^(__count|[a-z_][a-z0-9_]*:(sum|avg|min|max|count|"
                                                 r"count_distinct|array_agg|bool_and|bool_or))$")]] = Field(
        default_factory=lambda: ["__count"], max_length=20,
        description='Aggregates, e.g. ["__count", "amount_total:sum"].')
    limit: Limit | None = None
    offset: Offset = 0
    order: Order = None


class MessagePostArgs(OnModel):
    ids: Ids
    body: str = Field(min_length=1, max_length=100_000, description=(
        "Message body: HTML (kept only if the sanitiser would keep all of it) or plain text (shown as typed)."))
    body_format: BodyFormat = Field("auto", description=(
        "auto: HTML when the body holds HTML elements, text otherwise; html; text (never interpreted)."))
    subject: str | None = Field(None, max_length=500)
    message_type: Literal["comment", "notification"] = "comment"

    @model_validator(mode="after")
    def _safe_body(self) -> MessagePostArgs:
        message_body.checked(self.body, self.body_format)
        return self


@tool("odoo_search", family="odoo", risk=Risk.READ, args=SearchArgs, idempotent=True, open_world=True)
def odoo_search(args: SearchArgs, call: Call) -> Any:
    """Search records of a model; returns their ids."""
    connection = odoo(call, args.connection)
    sensitive.check_search(call, connection, args.model, domain=args.domain, order=args.order)
    return connection.execute(args.model, "search", [args.domain], given(
        offset=args.offset, limit=args.limit, order=args.order))


@tool("odoo_search_read", family="odoo", risk=Risk.READ, args=SearchReadArgs, idempotent=True, open_world=True)
async def odoo_search_read(args: SearchReadArgs, call: Call) -> Any:
    """Search records of a model and read their fields in one call. Without `fields`: every field but
    binaries and one2many/many2many; long answers are capped (the answer says how to ask for more)."""

    def plan() -> tuple[OdooConnection, sensitive.ReadPlan]:
        connection = odoo(call, args.connection)
        sensitive.check_search(call, connection, args.model, domain=args.domain, order=args.order)
        return connection, sensitive.plan_read(call, connection, args.model, args.fields)

    connection, read = await on_loop_unless_blocking(plan)
    kwargs = given(fields=read.fields, offset=args.offset, limit=args.limit, order=args.order)
    rows = await connection.execute_async(args.model, "search_read", [args.domain], kwargs)
    return await on_loop_unless_blocking(lambda: sensitive.finish_read(
        call, read, rows, more=lambda kept: f"call again with offset={args.offset + kept}"))


@tool("odoo_search_count", family="odoo", risk=Risk.READ, args=SearchCountArgs, idempotent=True, open_world=True)
def odoo_search_count(args: SearchCountArgs, call: Call) -> Any:
    """Count the records of a model that match a domain."""
    connection = odoo(call, args.connection)
    sensitive.check_search(call, connection, args.model, domain=args.domain)
    return connection.execute(args.model, "search_count", [args.domain])


@tool("odoo_read", family="odoo", risk=Risk.READ, args=ReadArgs, idempotent=True, open_world=True)
async def odoo_read(args: ReadArgs, call: Call) -> Any:
    """Read fields of records by id. Without `fields`: every field but binaries and one2many/many2many;
    long answers are capped (the answer says how to ask for more)."""

    def plan() -> tuple[OdooConnection, sensitive.ReadPlan]:
        connection = odoo(call, args.connection)
        return connection, sensitive.plan_read(call, connection, args.model, args.fields)

    connection, read = await on_loop_unless_blocking(plan)
    kwargs = {"fields": read.fields} if read.fields else {}
    rows = await connection.execute_async(args.model, "read", [args.ids], kwargs)
    return await on_loop_unless_blocking(lambda: sensitive.finish_read(call, read, rows, more=lambda kept: (
        f"read the remaining {len(args.ids) - kept} ids, from id {args.ids[min(kept, len(args.ids) - 1)]} on")))


@tool("odoo_create", family="odoo", risk=Risk.WRITE, args=CreateArgs, open_world=True,
      canonical=canonical_record_args)
def odoo_create(args: CreateArgs, call: Call) -> Any:
    """Create a record (values is an object) or several (values is a list); returns the new id(s)."""
    batch = isinstance(args.values, list)
    sensitive.check_values(call, args.model, args.values)
    created = odoo(call, args.connection).execute(args.model, "create", [args.values if batch else [args.values]])
    ids = created if isinstance(created, list) else [created]
    return {"ids": ids} if batch else {"id": ids[0]}


@tool("odoo_write", family="odoo", risk=Risk.WRITE, args=WriteArgs, idempotent=True, open_world=True,
      preview=write_preview, canonical=canonical_record_args)
def odoo_write(args: WriteArgs, call: Call) -> Any:
    """Update fields of records by id."""
    sensitive.check_values(call, args.model, args.values)
    result = odoo(call, args.connection).execute(args.model, "write", [args.ids, args.values])
    return {"updated": args.ids, "result": result}


@tool("odoo_unlink", family="odoo", risk=Risk.DESTRUCTIVE, args=UnlinkArgs, open_world=True,
      preview=unlink_preview)
def odoo_unlink(args: UnlinkArgs, call: Call) -> Any:
    """Delete records by id. Irreversible: prefer odoo_record_backup first."""
    sensitive.check_model(call, args.model)
    result = odoo(call, args.connection).execute(args.model, "unlink", [args.ids])
    return {"deleted": args.ids, "result": result}


@tool("odoo_execute", family="odoo", risk=Risk.EXECUTE, args=ExecuteArgs, open_world=True,
      equivalents=execute_equivalents, canonical=canonical_call_args)
def odoo_execute(args: ExecuteArgs, call: Call) -> Any:
    """Call any public method of a model (execute_kw). Private methods (starting with '_') are refused.
    A call that does what a dedicated tool does (create, write, unlink, module install...) is also decided
    by that tool's policy."""
    if args.method.startswith("_"):
        raise ToolFailure("private methods (starting with '_') cannot be called")
    connection = odoo(call, args.connection)
    sensitive.check_execute(call, connection, args.model, args.method, args.args, args.kwargs)
    result = connection.execute(args.model, args.method, args.args, args.kwargs)
    return sensitive.finish_execute(call, connection, args.model, result)


@tool("odoo_read_group", family="odoo", risk=Risk.READ, args=ReadGroupArgs, idempotent=True, open_world=True)
def odoo_read_group(args: ReadGroupArgs, call: Call) -> Any:
    """Aggregate records on the server (group by fields, count/sum/avg...): Odoo 19's formatted_read_group,
    read_group on older servers."""
    connection = odoo(call, args.connection)
    sensitive.check_search(call, connection, args.model, domain=args.domain, order=args.order, groupby=args.groupby,
                           aggregates=args.aggregates)
    if connection.major_version() >= 19:
        return connection.execute(args.model, "formatted_read_group", [], given(
            domain=args.domain, groupby=args.groupby, aggregates=args.aggregates,
            offset=args.offset, limit=args.limit, order=args.order))
    fields = [aggregate for aggregate in args.aggregates if aggregate != "__count"]
    return connection.execute(args.model, "read_group", [args.domain, fields, args.groupby], given(
        offset=args.offset, limit=args.limit, orderby=args.order, lazy=False))


@tool("odoo_message_post", family="odoo", risk=Risk.WRITE, args=MessagePostArgs, open_world=True)
def odoo_message_post(args: MessagePostArgs, call: Call) -> Any:
    """Post a message in the chatter of records (mail.thread models): one message on each record given.
    HTML is kept as HTML (sent with body_is_html on Odoo 17+) only if the sanitiser would keep all of it;
    plain text shows as typed."""
    sensitive.check_model(call, args.model)
    connection = odoo(call, args.connection)
    kwargs: dict[str, Any] = {**message_body.post_kwargs(args.body, args.body_format, connection.major_version()),
                              "message_type": args.message_type}
    if args.subject:
        kwargs["subject"] = args.subject
    # message_post is one record's (Odoo answers "Expected singleton" otherwise): every record is checked
    # first (a missing one refuses the call before anything is posted), then one post per record.
    # Odoo's read drops ids that do not exist instead of raising: compare what came back.
    found = {row["id"] for row in connection.execute(args.model, "read", [args.ids, ["display_name"]], {})}
    missing = [record_id for record_id in args.ids if record_id not in found]
    if missing:
        raise ToolFailure(f"{args.model} {', '.join(map(str, missing))} does not exist (or is not visible to this "
                          "user): nothing was posted")
    posted = []
    for record_id in args.ids:
        result = connection.execute(args.model, "message_post", [[record_id]], kwargs)
        posted.append(result[0] if isinstance(result, list) else result)
    return {"message_ids": posted}
