"""The one place the Odoo tools apply the sensitive-data rules (sensitive_rules.py) and size reads.

Every Odoo tool that names a model, a domain, fields, a group-by, an order, a report or an
attachment calls in here before it asks Odoo, and hands what Odoo answered back through here
before the agent sees it:

- `check_model` / `check_search` / `check_values` refuse (`[POLICY DENIED]`) a sensitive model,
  and a filter, sort or group-by on a sensitive field (an answer's *shape* can leak a value);
- `plan_read` / `finish_read` choose the default field set of a read, mask sensitive values
  with a marker, cut long HTML bodies, keep binaries out and cap the size of the answer, saying
  in the answer what was masked, left out or cut and how to ask for it;
- `check_execute` / `mask_deep` do the same for `odoo_execute` on the methods that read.

The schema a path check needs (`fields_get`: type and relation of each field) is fetched once
per model and connection and kept as long as the connection lives.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from foundation import fastjson
from foundation.env import positive_int
from guard.spec import Call, NotConfigured, PolicyRefusal
from odoo_client.connection import OdooConnection
from odoo_client.errors import ConfigError, OdooFault
from tools.odoo_kit.sensitive_rules import MASK, FieldInfo, Schema, SensitiveRules, field_of, order_fields, rules_for

MAX_ANSWER_CHARS = 50_000
"""Default cap on the JSON text of a read's answer (`ODOO_MCP_MAX_ANSWER_CHARS`)."""
MAX_HTML_CHARS = 2_000
"""Default cut of an HTML body in a read without `fields` (`ODOO_MCP_MAX_HTML_CHARS`)."""
SCHEMA_TTL = 600.0
"""Seconds a model's `fields_get` is trusted before it is fetched again."""
TRUNCATION_NOTE_CHARS = 300
"""Room kept in a capped answer for the note that says how to ask for the rest."""
BINARY = "[BINARY: not returned inline; use odoo_attachment_download or odoo_record_backup]"
MASKED_NOTE = (f"values of sensitive fields are replaced by {MASK!r}; the policy's \"sensitive\" key can opt in "
               "named fields")
LEFT_OUT_TYPES = {"binary": "binary", "one2many": "one2many", "many2many": "many2many"}

# --- rules and schema -----------------------------------------------------------------------


def rules_of(call: Call) -> SensitiveRules:
    """The running policy's rules (its `sensitive` opt-ins applied)."""
    policy = getattr(call.runtime, "policy", None)
    sensitive = getattr(policy, "sensitive", None)
    return rules_for(sensitive) if sensitive is not None else SensitiveRules()


class SchemaCache:
    """`fields_get` (type, relation, related) per connection and model; forgotten with the connection,
    and fetched again after `SCHEMA_TTL` seconds (a module installed since may have added fields)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._by_connection: weakref.WeakKeyDictionary[
            OdooConnection, dict[str, tuple[float, dict[str, FieldInfo]]]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._clock = clock
        self.fetches = 0

    def fields(self, connection: OdooConnection, model: str) -> dict[str, FieldInfo]:
        with self._lock:
            known = self._by_connection.setdefault(connection, {}).get(model)
        if known is not None and self._clock() - known[0] < SCHEMA_TTL:
            return known[1]
        described = connection.execute(model, "fields_get", [], {"attributes": ["type", "relation", "related"]})
        found = {name: FieldInfo(str(info.get("type") or ""), info.get("relation") or None,
                                 info.get("related") if isinstance(info.get("related"), str) else None)
                 for name, info in (described or {}).items() if isinstance(info, dict)}
        with self._lock:
            self.fetches += 1
            self._by_connection.setdefault(connection, {})[model] = (self._clock(), found)
        return found


class LazySchema(dict):
    """The `Schema` mapping of sensitive_rules.py, filled from the cache on first look-up of a model.

    A model this user may not describe (an access error) reads as unknown: its steps are then
    judged by name alone.
    """

    def __init__(self, cache: SchemaCache, connection: OdooConnection) -> None:
        super().__init__()
        self.cache = cache
        self.connection = connection

    def __missing__(self, model: str) -> dict[str, FieldInfo]:
        try:
            found = self.cache.fields(self.connection, model)
        except OdooFault:
            found = {}
        self[model] = found
        return found

    def get(self, model: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[model] if model else default


def schema_of(call: Call, connection: OdooConnection) -> LazySchema:
    return LazySchema(call.runtime.service("odoo_schema", lambda _runtime: SchemaCache()), connection)


# --- refusals before Odoo is asked -----------------------------------------------------------


def refuse(reason: str | None) -> None:
    if reason:
        raise PolicyRefusal(f"sensitive data: {reason}")


def check_model(call: Call, model: str) -> SensitiveRules:
    """Refuse a sensitive model (any tool naming it); return the rules for the rest of the call."""
    rules = rules_of(call)
    refuse(rules.model_refusal(model))
    return rules


def check_search(call: Call, connection: OdooConnection, model: str, *, domain: Any = None, order: str | None = None,
                 groupby: list[str] = (), aggregates: list[str] = ()) -> SensitiveRules:  # type: ignore[assignment]
    """Refuse what would let the answer's shape reveal a sensitive value: a filter (a count is an
    oracle), a sort, a group-by or an aggregate on a sensitive field, through relations too."""
    rules = check_model(call, model)
    schema = schema_of(call, connection)
    refuse(rules.domain_refusal(schema, model, domain or []))
    refuse(rules.names_refusal(schema, model, order_fields(order), "sort by"))
    refuse(rules.names_refusal(schema, model, list(groupby), "group by"))
    refuse(rules.names_refusal(schema, model, [a for a in aggregates if a != "__count"], "aggregate"))
    return rules


def check_values(call: Call, model: str, values: dict[str, Any] | list[dict[str, Any]]) -> None:
    """Refuse writing a sensitive field (setting a password or a login is taking an account over)."""
    rules = check_model(call, model)
    for row in values if isinstance(values, list) else [values]:
        for name in row:
            refuse(rules.field_refusal(model, name, "write"))


def check_report(call: Call, connection: OdooConnection, report_name: str) -> None:
    """A report prints its model's records: refused when that model is sensitive."""
    rows = connection.execute("ir.actions.report", "search_read", [[["report_name", "=", report_name]]],
                              {"fields": ["model"], "limit": 1})
    if rows and rows[0].get("model"):
        refuse(rules_of(call).model_refusal(str(rows[0]["model"])))


def check_attachment(call: Call, row: dict[str, Any]) -> None:
    """An attachment of a sensitive model, or the file of a sensitive binary field, stays in Odoo."""
    rules = rules_of(call)
    model, field_name = row.get("res_model") or "", row.get("res_field") or ""
    if model:
        refuse(rules.model_refusal(str(model)))
        if field_name:
            refuse(rules.field_refusal(str(model), str(field_name), "download"))


def check_attachment_ids(call: Call, connection: OdooConnection, ids: list[int]) -> None:
    """The owner check of `check_attachment` on attachments named by id (the download and image routes)."""
    rows = connection.execute("ir.attachment", "read", [ids], {"fields": ["res_model", "res_field"]})
    for row in rows or []:
        check_attachment(call, row)


def check_binary_file(call: Call, connection: OdooConnection, model: str, field_name: str) -> None:
    """`/web/image/<model>/<id>/<field>`: a binary field of a model and field that are not sensitive.

    Odoo's image route serves whatever the field holds (a text field decoded as base64), so the
    field must be a binary field where the schema knows it; the file of an attachment is checked
    by its owner (`check_attachment_ids`) by the caller."""
    check_search(call, connection, model, domain=[[field_name, "!=", False]])
    info = schema_of(call, connection)[model].get(field_name)
    if info is not None and info.type != "binary":
        raise PolicyRefusal(f"{model}.{field_name} is a {info.type} field, not an image or file: the image route "
                            "would serve its value")


def describe_fields(call: Call, connection: OdooConnection, model: str, described: dict[str, Any]) -> dict[str, Any]:
    """`fields_get` with each sensitive field marked, so an agent knows before it reads."""
    rules, schema = rules_of(call), schema_of(call, connection)
    for name, info in described.items():
        if isinstance(info, dict) and rules.hides(schema, model, name):
            opt_in = f"\"sensitive\": {{\"allow_fields\": [\"{model}.{name}\"]}}"
            info["sensitive"] = f"masked in reads; opt in with {opt_in}"
    return described


# --- reads sized for an agent ----------------------------------------------------------------


def _limit(call: Call, name: str, default: int) -> int:
    try:
        return positive_int(getattr(call.runtime.settings, "env", None) or {}, name, default)
    except ConfigError as exc:
        raise NotConfigured(str(exc)) from None


@dataclass
class ReadPlan:
    """What a read asks Odoo for and what it must say about what it left out."""

    model: str
    rules: SensitiveRules
    schema: Schema
    fields: list[str] | None
    default_set: bool
    left_out: dict[str, str] = field(default_factory=dict)
    binary: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)


def plan_read(call: Call, connection: OdooConnection, model: str, fields: list[str] | None, *,
              keep_binary: bool = False) -> ReadPlan:
    """Without `fields`: every field but binaries and x2many bodies (from the cached schema).
    With `fields`: those, binaries replaced by a marker unless `keep_binary` (a file tool)."""
    rules = check_model(call, model)
    schemas = schema_of(call, connection)
    schema = schemas[model]
    if not fields:
        if keep_binary or not schema:
            return ReadPlan(model, rules, schemas, None, default_set=False)
        chosen = [name for name, info in schema.items() if info.type not in LEFT_OUT_TYPES]
        left_out = {name: LEFT_OUT_TYPES[info.type] for name, info in schema.items() if info.type in LEFT_OUT_TYPES}
        html = [name for name in chosen if schema[name].type == "html"]
        return ReadPlan(model, rules, schemas, chosen, default_set=True, left_out=left_out, html=html)
    binary = [] if keep_binary else [name for name in fields if schema.get(name, FieldInfo("")).type == "binary"]
    wanted = [name for name in fields if name not in binary]
    return ReadPlan(model, rules, schemas, wanted or ["id"], default_set=False, binary=binary)


def mask_rows(rules: SensitiveRules, model: str, rows: list[Any], schema: Schema | None = None) -> list[str]:
    """Replace sensitive values in place by the marker; the names of the masked fields.

    With a `schema`, related fields that mirror a sensitive field are masked too. On
    `ir.attachment`, the content of an attachment of a sensitive model or field is masked (and
    of one whose owner the row does not say: fail closed).
    """
    known: dict[str, bool] = {}
    masked: dict[str, None] = {}
    marked: list[tuple[dict[str, Any], list[str]]] = []  # the rows with something to mask (usually none)
    attachments = model == "ir.attachment"
    keys: set[str] | None = None
    hidden: list[str] = []
    for row in rows:  # every decision first (a schema look-up may be refused on the event loop: nothing changed yet)
        if not isinstance(row, dict):
            continue
        if keys is None or row.keys() != keys:  # Odoo's rows share their keys: judged once, not per row
            keys = set(row)
            for name in keys - known.keys():
                known[name] = name != "id" and (rules.hides(schema, model, name) if schema is not None
                                                 else rules.masks(model, name))
            hidden = [name for name in row if known[name]]
        if hidden or attachments:
            marked.append((row, hidden))
    for row, names in marked:
        for name in names:
            row[name] = MASK
            masked[name] = None
        if attachments and _secret_attachment(rules, row):
            for name in ATTACHMENT_CONTENT & row.keys():
                row[name] = MASK
                masked[name] = None
    return list(masked)


ATTACHMENT_CONTENT = frozenset({"datas", "raw", "db_datas"})


def _secret_attachment(rules: SensitiveRules, row: dict[str, Any]) -> bool:
    if not ATTACHMENT_CONTENT & row.keys():
        return False
    if "res_model" not in row:
        return True
    owner, field_name = str(row.get("res_model") or ""), str(row.get("res_field") or "")
    return bool(owner) and (rules.model_refusal(owner) is not None
                            or (bool(field_name) and rules.masks(owner, field_name)))


def finish_read(call: Call, plan: ReadPlan, rows: Any, *, more: Callable[[int], str]) -> Any:
    """Mask, cut and cap `rows`; a plain list when nothing was changed, else an object that says what
    was and how to get it (`more(kept)`: how to ask for the records left out of a capped answer).

    Every schema look-up it may need happens before `rows` is changed (`mask_rows`), so a run
    refused on the event loop (`WouldBlock`) can be run again in a worker thread."""
    if not isinstance(rows, list):
        return rows
    notes: list[str] = []
    answer: dict[str, Any] = {}
    masked = mask_rows(plan.rules, plan.model, rows, plan.schema)
    if masked:
        answer["masked_fields"] = masked
        notes.append(MASKED_NOTE)
    for name in plan.binary:
        for row in rows:
            row[name] = BINARY
    if plan.binary:
        answer["binary_fields"] = plan.binary
        notes.append("binary fields are not returned inline: odoo_record_backup writes them to a file, "
                     "odoo_attachment_download fetches attachments")
    if plan.default_set and plan.left_out:
        answer["fields_left_out"] = plan.left_out
        notes.append("no `fields` given: binary and one2many/many2many fields are left out; name them in `fields` "
                     "to read them")
    html_cap = _limit(call, "ODOO_MCP_MAX_HTML_CHARS", MAX_HTML_CHARS) if plan.default_set else 0
    cut = [name for name in plan.html if any(isinstance(row.get(name), str) and len(row[name]) > html_cap
                                             for row in rows)]
    for name in cut:
        for row in rows:
            value = row.get(name)
            if isinstance(value, str) and len(value) > html_cap:
                row[name] = value[:html_cap] + f"… [cut: {len(value)} characters; read it with fields=[\"{name}\"]]"
    if cut:
        answer["html_cut"] = cut
        notes.append(f"HTML bodies over {html_cap} characters are cut; name the field in `fields` for all of it")
    around = len(json.dumps({**answer, "note": " ".join(notes)}, ensure_ascii=False)) + TRUNCATION_NOTE_CHARS
    kept = cap_rows(rows, _limit(call, "ODOO_MCP_MAX_ANSWER_CHARS", MAX_ANSWER_CHARS) - around)
    if kept < len(rows):
        answer["truncated"] = {"returned": kept, "read": len(rows)}
        notes.append(f"answer capped at {kept} of {len(rows)} records to stay under the size limit; {more(kept)} "
                     "(or name fewer `fields`)")
        rows = rows[:kept]
    if not notes:
        return rows
    return {"records": rows, **answer, "note": " ".join(notes)}


def cap_rows(rows: list[Any], max_chars: int) -> int:
    """How many leading rows fit in `max_chars` of JSON text (at least one, so an answer is never empty).

    The common case — everything fits — costs one serialisation of the whole list (a row at a time
    with the stdlib cost ~0.4 ms per 100-record read, a third of the server's time per call)."""
    if len(fastjson.dumps(rows)) <= max_chars:
        return len(rows)
    total = 2
    for index, row in enumerate(rows):
        total += len(fastjson.dumps(row)) + 1
        if total > max_chars:
            return max(index, 1)
    return len(rows)


# --- odoo_execute ----------------------------------------------------------------------------


def _arg(args: list[Any], kwargs: dict[str, Any], index: int, *names: str) -> Any:
    for name in names:
        if name in kwargs:
            return kwargs[name]
    return args[index] if len(args) > index else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list | tuple) else []


def _spec_paths(spec: Any, prefix: str = "") -> list[str]:
    """`web_read` specification `{"user_id": {"fields": {"login": {}}}}` → `["user_id", "user_id.login"]`."""
    paths: list[str] = []
    if isinstance(spec, dict):
        for name, sub in spec.items():
            path = f"{prefix}{name}"
            paths.append(path)
            if isinstance(sub, dict):
                paths += _spec_paths(sub.get("fields"), f"{path}.")
    return paths


def _domains(value: Any, depth: int = 0) -> list[list[Any]]:
    """Every list inside `value` that has a domain term `[field, operator, value]` in it."""
    if depth > 6 or not isinstance(value, list | tuple | dict):
        return []
    items = list(value.values()) if isinstance(value, dict) else list(value)
    found = []
    if isinstance(value, list | tuple) and any(
            isinstance(t, list | tuple) and len(t) == 3 and isinstance(t[0], str) and isinstance(t[1], str)
            for t in value):
        found.append(list(value))
    for item in items:
        found += _domains(item, depth + 1)
    return found


ORDER_AT = {"search": 3, "search_read": 4, "search_fetch": 4, "web_search_read": 4}
"""Where the reading methods take `order` when it is passed by position."""


def attachment_content_refusal(rules: SensitiveRules, schema: Schema, model: str, paths: list[str]) -> str | None:
    """A path that ends on an attachment's content (`datas`, `raw`, `db_datas`, also through a relation:
    `message_main_attachment_id/datas`), in an export or nested in a `web_read` specification: neither
    is masked by its owner, so it is refused (a path whose model the schema cannot tell is judged by its
    last name)."""
    for spec in paths:
        path = field_of(spec)
        head, _, last = path.rpartition(".")
        if last not in ATTACHMENT_CONTENT:
            continue
        owner = rules.target_model(schema, model, head) if head else model
        if owner in (None, "ir.attachment"):
            return (f"cannot export or read {spec} through a relation: attachment content leaves Odoo one file at "
                    "a time, its owner checked (public_access_download, odoo_attachment_download)")
    return None


def execute_refusal(rules: SensitiveRules, schema: Schema, model: str, method: str, args: list[Any],
                    kwargs: dict[str, Any]) -> str | None:
    """Why an `odoo_execute` call would let a sensitive value out, or None: the dedicated tools' rules
    applied to the methods that read (positional or named arguments), every domain anywhere in the
    arguments, and methods that search a sensitive field by themselves."""
    refusals = [rules.model_refusal(model), rules.method_refusal(model, method)]
    refusals += [rules.domain_refusal(schema, model, domain) for domain in _domains([args, kwargs])]
    checks: list[tuple[list[str], str]] = []
    if method in ORDER_AT:
        checks.append((order_fields(_arg(args, kwargs, ORDER_AT[method], "order")), "sort by"))
    if method == "read_group":
        checks += [(_strings(_arg(args, kwargs, 1, "fields")), "aggregate"),
                   (_strings(_arg(args, kwargs, 2, "groupby")), "group by"),
                   (order_fields(_arg(args, kwargs, 5, "orderby")), "sort by")]
    if method in ("formatted_read_group", "web_read_group"):
        checks += [(_strings(_arg(args, kwargs, 1, "groupby")), "group by"),
                   ([a for a in _strings(_arg(args, kwargs, 2, "aggregates")) if a != "__count"], "aggregate"),
                   (order_fields(_arg(args, kwargs, 6, "order")), "sort by")]
    if method == "export_data":
        exported = _strings(_arg(args, kwargs, 1, "fields_to_export"))
        checks.append((exported, "export"))
        refusals.append(attachment_content_refusal(rules, schema, model, exported))
    if method in ("web_read", "web_search_read"):
        paths = _spec_paths(_arg(args, kwargs, 1, "specification"))
        checks.append((paths, "read"))
        # the rows are masked, but not the records nested in them: attachment content through a relation is refused
        refusals.append(attachment_content_refusal(rules, schema, model, [p for p in paths if "." in p]))
    refusals += [rules.names_refusal(schema, model, names, use) for names, use in checks]
    return next((refusal for refusal in refusals if refusal), None)


def check_execute(call: Call, connection: OdooConnection, model: str, method: str, args: list[Any],
                  kwargs: dict[str, Any]) -> None:
    """`odoo_execute` obeys the dedicated tools' rules (see `execute_refusal`)."""
    rules = check_model(call, model)
    refuse(execute_refusal(rules, schema_of(call, connection), model, method, args, kwargs))


def mask_deep(rules: SensitiveRules, model: str, value: Any, masked: dict[str, None] | None = None) -> Any:
    """Mask every key of every object in an `odoo_execute` answer that names a sensitive field."""
    masked = {} if masked is None else masked
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and key != "id" and rules.masks(model, key):
                out[key] = MASK
                masked[key] = None
            else:
                out[key] = mask_deep(rules, model, item, masked)
        return out
    if isinstance(value, list):
        return [mask_deep(rules, model, item, masked) for item in value]
    return value


def finish_execute(call: Call, connection: OdooConnection, model: str, result: Any) -> Any:
    """An `odoo_execute` answer with sensitive values masked, saying which."""
    rules = rules_of(call)
    masked: dict[str, None] = {}
    rows = result.get("records") if isinstance(result, dict) else result  # web_search_read: {"length", "records"}
    if isinstance(rows, list):
        masked.update(dict.fromkeys(mask_rows(rules, model, rows, schema_of(call, connection))))
    cleaned = mask_deep(rules, model, result, masked)
    if not masked:
        return cleaned
    return {"result": cleaned, **masked_note(list(masked))}


def masked_note(masked: list[str]) -> dict[str, Any]:
    """What an answer adds when it masked something: which fields, and why."""
    return {"masked_fields": masked, "note": MASKED_NOTE} if masked else {}


__all__ = ["MASK", "check_attachment", "check_execute", "check_model", "check_report", "check_search",
           "check_values", "describe_fields", "field_of", "finish_execute", "finish_read", "mask_rows", "masked_note",
           "plan_read", "rules_of"]
