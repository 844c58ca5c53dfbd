"""The double's in-memory database: models with typed fields, records, access rules, ORM methods.

Only what the tools use, with Odoo's observable behaviour: `read` returns many2one as
`[id, display_name]` and empty values as `False` and drops unknown ids, writes check access per
operation, a write or unlink of unknown records raises MissingError, private methods are refused.
Model-specific methods (modules, messages) are plugged in through `Model.methods`.
"""

from __future__ import annotations

import inspect
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import domain as domains
from .errors import (
    AccessDeniedOdoo,
    AccessErrorOdoo,
    AttributeErrorOdoo,
    MissingErrorOdoo,
    TypeErrorOdoo,
    UserErrorOdoo,
    ValidationErrorOdoo,
    ValueErrorOdoo,
)

NUMERIC = {"integer", "float", "monetary"}
RELATIONAL = {"many2one", "one2many", "many2many"}


@dataclass
class Field:
    type: str
    string: str
    relation: str | None = None
    selection: list[tuple[str, str]] | None = None
    required: bool = False
    readonly: bool = False
    store: bool = True
    related: str | None = None
    translate: str | None = None
    """None, "simple", "html" or "xml" (tests/odoo_double/translations.py)."""

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"type": self.type, "string": self.string, "required": self.required,
                                "readonly": self.readonly, "store": self.store, "help": False}
        if self.relation:
            info["relation"] = self.relation
        if self.related:
            info["related"] = self.related
        if self.translate:
            info["translate"] = True
        if self.selection is not None:
            info["selection"] = [list(pair) for pair in self.selection]
        return info

    def empty(self) -> Any:
        return [] if self.type in ("one2many", "many2many") else False


def record_method(function: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a method that takes record ids first (`ids` in JSON-2, args[0] in RPC)."""
    function.on_records = True  # type: ignore[attr-defined]
    return function


@dataclass
class Model:
    name: str
    description: str
    fields: dict[str, Field]
    acl: dict[str, set[str]]
    """operation (read/write/create/unlink) → groups allowed."""
    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    methods: dict[str, Callable[..., Any]] = field(default_factory=dict)
    order: str = "id"
    sequence: itertools.count = field(default_factory=lambda: itertools.count(1))


@dataclass
class User:
    id: int
    login: str
    password: str
    api_key: str
    groups: set[str]
    name: str


class Env:
    """What one call sees: the database and the calling user (Odoo's `self.env`)."""

    def __init__(self, database: Database, user: User, context: dict[str, Any] | None = None) -> None:
        self.db = database
        self.user = user
        self.context = context or {}

    def model(self, name: str) -> Model:
        model = self.db.models.get(name)
        if model is None:
            raise UserErrorOdoo(f"Object {name} doesn't exist")
        if self.db.schema is not None:  # the version's fields and removed models (schema.py)
            self.db.schema.check_model(name)
            self.db.schema.adapt(model)
        return model

    def check_access(self, model: Model, operation: str) -> None:
        if not (model.acl.get(operation, set()) & self.user.groups):
            raise AccessErrorOdoo(
                f"You are not allowed to {'access' if operation == 'read' else operation} "
                f"'{model.description}' ({model.name}) records.\n\nThis operation is allowed for the "
                f"following groups:\n\t- Administration/Settings\n\nContact your administrator to "
                f"request access if necessary."
            )

    def call(self, model_name: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """`execute_kw`: positional `args` (ids first for record methods) and keyword `kwargs`."""
        if method.startswith("_"):
            raise AccessErrorOdoo(f"Private methods (such as '{model_name}.{method}') cannot be called remotely.")
        model = self.model(model_name)
        function = model.methods.get(method) or GENERIC.get(method)
        if function is None:
            raise AttributeErrorOdoo(f"The method '{model_name}.{method}' does not exist")
        if isinstance(kwargs.get("context"), dict):
            self.context = {**self.context, **kwargs["context"]}
        kwargs = {key: value for key, value in kwargs.items() if key != "context"}
        if self.db.schema is not None:  # the version's own signature first (schema.py)
            on_records = getattr(function, "on_records", False)
            self.db.schema.check_call(model_name, method, args[1:] if on_records else args, kwargs)
        try:
            inspect.signature(function).bind(self, model, *args, **kwargs)
        except TypeError as exc:
            raise TypeErrorOdoo(f"{model_name}.{method}() {exc}") from exc
        if getattr(function, "on_records", False):
            if not args:
                raise TypeErrorOdoo(f"{model_name}.{method}() missing the record ids")
            args = [self.ids(args[0]), *args[1:]]
        with self.db.lock:
            return clean(function(self, model, *args, **kwargs))

    def call_named(self, model_name: str, method: str, ids: list[int] | None, params: dict[str, Any]) -> Any:
        """JSON-2: `ids` apart, every other parameter by name."""
        model = self.model(model_name) if not method.startswith("_") else None
        function = (model.methods.get(method) or GENERIC.get(method)) if model else None
        if function is not None and getattr(function, "on_records", False):
            return self.call(model_name, method, [ids or []], params)
        if ids:
            raise TypeErrorOdoo(f"{model_name}.{method}() is not a record method: 'ids' is not expected")
        return self.call(model_name, method, [], params)

    @staticmethod
    def ids(value: Any) -> list[int]:
        if isinstance(value, int) and not isinstance(value, bool):
            return [value]
        if isinstance(value, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in value):
            return value
        raise ValueErrorOdoo(f"Invalid record ids {value!r}")

    # -- record helpers used by the generic methods and the model-specific ones --

    def existing(self, model: Model, ids: list[int]) -> list[dict[str, Any]]:
        missing = [i for i in ids if i not in model.records]
        if missing:
            raise MissingErrorOdoo(
                "Record does not exist or has been deleted.\n"
                f"(Record: {model.name}({missing[0]},), User: {self.user.id})"
            )
        return [model.records[i] for i in ids]

    def display_name(self, model_name: str, record_id: int) -> str:
        model = self.db.models[model_name]
        record = model.records.get(record_id, {})
        return str(record.get("name") or record.get("display_name") or f"{model_name},{record_id}")

    def search_ids(self, model: Model, domain: Any, offset: int = 0, limit: Any = None,
                   order: Any = None) -> list[int]:
        if not isinstance(domain, list):
            raise ValueErrorOdoo(f"Invalid domain {domain!r}")
        for token in domain:
            if isinstance(token, (list, tuple)) and len(token) == 3 and token[0] not in (0, 1):
                name = str(token[0]).split(".")[0]
                if name not in model.fields and name != "id":
                    raise ValueErrorOdoo(f"Invalid field {model.name}.{name} in leaf {tuple(token)!r}")
        def value_of(record: dict[str, Any]) -> Any:
            return lambda name: record["id"] if name == "id" else record.get(name)

        found = [rid for rid, rec in model.records.items() if domains.evaluate(domain, value_of(rec))]
        found = self.sort(model, found, order or model.order)
        found = found[offset or 0:]
        return found[:limit] if limit else found

    def sort(self, model: Model, ids: list[int], order: str) -> list[int]:
        for part in reversed([p.strip() for p in str(order).split(",") if p.strip()]):
            name, _, direction = part.partition(" ")
            if name != "id" and name not in model.fields:
                raise ValueErrorOdoo(f"Invalid field {name!r} on model {model.name!r}")
            def key(rid: int, name: str = name) -> tuple[int, Any]:
                value = rid if name == "id" else domains._plain(model.records[rid].get(name))
                return (0, "") if value in (None, False) else (1, value)
            ids = sorted(ids, key=key, reverse=direction.strip().lower() == "desc")
        return ids

    def read_record(self, model: Model, record: dict[str, Any], names: list[str]) -> dict[str, Any]:
        row: dict[str, Any] = {"id": record["id"]}
        for name in names:
            if name == "id":
                continue
            spec = model.fields.get(name)
            if name == "display_name":  # every Odoo model has it, computed (fields_get lists it from 17.0)
                row[name] = self.display_name(model.name, record["id"])
                continue
            if spec is None:
                raise ValueErrorOdoo(f"Invalid field {name!r} on model {model.name!r}")
            value = record.get(name, spec.empty())
            if spec.type == "many2one" and value:
                value = [value, self.display_name(spec.relation or "", value)]
            if self.db.translate_read is not None:
                value = self.db.translate_read(self, model, record, name, value)
            row[name] = value if value is not None else False
        return row

    def coerce(self, model: Model, values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        if not isinstance(values, dict):
            raise ValueErrorOdoo(f"Values must be a dictionary, not {type(values).__name__}")
        clean_values: dict[str, Any] = {}
        for name, value in values.items():
            spec = model.fields.get(name)
            if spec is None:
                raise ValueErrorOdoo(f"Invalid field '{name}' on model '{model.name}'")
            if spec.type in ("one2many", "many2many"):
                value = _x2many(value)
            elif spec.type == "many2one" and value and (not isinstance(value, int) or value not in
                                                         self.db.models[spec.relation or ""].records):
                raise ValidationErrorOdoo(f"The record {spec.relation}({value!r},) referenced by {name} does not exist")
            elif not _fits(spec, value):
                raise ValidationErrorOdoo(f"Wrong value for {model.name}.{name}: {value!r}")
            clean_values[name] = value
        if creating:
            for name, spec in model.fields.items():
                if spec.required and not clean_values.get(name) and name not in ("id",):
                    raise ValidationErrorOdoo(f"The operation cannot be completed: missing required field '{name}' "
                                              f"on model '{model.name}'")
        return clean_values

    def insert(self, model: Model, values: dict[str, Any]) -> int:
        record_id = next(model.sequence)
        while record_id in model.records:
            record_id = next(model.sequence)
        record = {name: spec.empty() for name, spec in model.fields.items() if spec.store}
        record.update(values)
        record["id"] = record_id
        model.records[record_id] = record
        return record_id


def _fits(spec: Field, value: Any) -> bool:
    if spec.type in NUMERIC:
        return value is False or (isinstance(value, (int, float)) and not isinstance(value, bool))
    if spec.type == "selection":
        return not value or value in {key for key, _ in spec.selection or []}
    return True


def _x2many(value: Any) -> list[int]:
    """Plain id lists, or the usual commands (6, 0, ids) / (4, id) / (5,)."""
    ids: list[int] = []
    for item in value or []:
        if isinstance(item, int):
            ids.append(item)
        elif isinstance(item, (list, tuple)) and item and item[0] == 6:
            ids = list(item[2])
        elif isinstance(item, (list, tuple)) and item and item[0] == 4:
            ids.append(item[1])
        elif isinstance(item, (list, tuple)) and item and item[0] == 5:
            ids = []
        else:
            raise ValueErrorOdoo(f"Invalid x2many command {item!r}")
    return ids


def clean(value: Any) -> Any:
    """Odoo never answers `None` (XML-RPC cannot carry it): `False` instead; tuples as lists."""
    if value is None:
        return False
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


# ---- generic ORM methods: (env, model, *args, **kwargs), as Odoo's signatures name them ----


def _limit(limit: Any) -> int | None:
    if limit in (None, False):
        return None
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise ValueErrorOdoo(f"Invalid limit {limit!r}")
    return limit


def search(env: Env, model: Model, domain: Any = (), offset: int = 0, limit: Any = None,
           order: Any = None) -> list[int]:
    env.check_access(model, "read")
    return env.search_ids(model, list(domain or []), offset, _limit(limit), order)


def search_count(env: Env, model: Model, domain: Any = (), limit: Any = None) -> int:
    env.check_access(model, "read")
    return len(env.search_ids(model, list(domain or []), 0, _limit(limit)))


@record_method
def read(env: Env, model: Model, ids: list[int], fields: Any = None,
         load: str = "_classic_read") -> list[dict[str, Any]]:
    env.check_access(model, "read")
    names = list(fields) if fields else [n for n, f in model.fields.items() if f.type != "binary"]
    # Odoo (16-19) drops the ids that do not exist instead of raising: `BaseModel.read` skips records
    # whose values came back empty (checked on a real 18.0: read([999999, 3]) answers record 3 only).
    # write and unlink raise MissingError (existing()).
    return [env.read_record(model, model.records[i], names) for i in ids if i in model.records]


def search_read(env: Env, model: Model, domain: Any = (), fields: Any = None, offset: int = 0, limit: Any = None,
                order: Any = None) -> list[dict[str, Any]]:
    ids = search(env, model, domain, offset, limit, order)
    return read(env, model, ids, fields)


def create(env: Env, model: Model, vals_list: Any) -> Any:
    env.check_access(model, "create")
    single = isinstance(vals_list, dict)
    rows = [vals_list] if single else vals_list
    if not isinstance(rows, list) or not rows:
        raise ValueErrorOdoo("create() expects a dictionary or a non-empty list of dictionaries")
    ids = [env.insert(model, env.coerce(model, row, creating=True)) for row in rows]
    return ids[0] if single else ids


@record_method
def write(env: Env, model: Model, ids: list[int], vals: Any) -> bool:
    env.check_access(model, "write")
    clean_values = env.coerce(model, vals, creating=False)
    for record in env.existing(model, ids):
        hook = env.db.translate_write
        record.update(hook(env, model, record, clean_values) if hook is not None else clean_values)
    return True


@record_method
def unlink(env: Env, model: Model, ids: list[int]) -> bool:
    env.check_access(model, "unlink")
    env.existing(model, ids)
    for record_id in ids:
        del model.records[record_id]
    return True


def fields_get(env: Env, model: Model, allfields: Any = None, attributes: Any = None) -> dict[str, Any]:
    env.check_access(model, "read")
    described = {"id": {"type": "integer", "string": "ID", "readonly": True, "required": False,
                        "store": True, "help": False}}
    version_fields = env.db.schema.describe_fields(model) if env.db.schema is not None else None
    described.update(version_fields or {name: spec.describe() for name, spec in model.fields.items()})
    if allfields:
        described = {name: info for name, info in described.items() if name in allfields}
    if attributes:
        described = {name: {k: v for k, v in info.items() if k in attributes} for name, info in described.items()}
    return described


@record_method
def check_access_rights(env: Env, model: Model, ids: list[int], operation: str = "read",
                        raise_exception: bool = True) -> bool:
    try:
        env.check_access(model, operation)
    except AccessErrorOdoo:
        if raise_exception:
            raise
        return False
    return True


@record_method
def check_access(env: Env, model: Model, ids: list[int], operation: str) -> None:
    """18.0's replacement of check_access_rights (the only one left in 19.0): raises, else answers nothing."""
    env.check_access(model, operation)


def _group_key(env: Env, model: Model, record: dict[str, Any], spec: str) -> Any:
    name = spec.split(":")[0]
    if name not in model.fields:
        raise ValueErrorOdoo(f"Invalid field {name!r} on model {model.name!r}")
    value = record.get(name, False)
    if model.fields[name].type == "many2one" and value:
        return (value, env.display_name(model.fields[name].relation or "", value))
    return value


def _aggregate(values: list[Any], function: str) -> Any:
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    match function:
        case "sum":
            return sum(numbers)
        case "avg":
            return sum(numbers) / len(numbers) if numbers else False
        case "min":
            return min(numbers) if numbers else False
        case "max":
            return max(numbers) if numbers else False
        case "count":
            return len(values)
        case "count_distinct":
            return len(set(values))
    raise ValueErrorOdoo(f"Invalid aggregate function {function!r}")


def _groups(env: Env, model: Model, domain: Any, groupby: list[str]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    env.check_access(model, "read")
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for record_id in env.search_ids(model, list(domain or [])):
        record = model.records[record_id]
        key = tuple(_group_key(env, model, record, spec) for spec in groupby)
        groups.setdefault(key, []).append(record)
    return groups


def formatted_read_group(env: Env, model: Model, domain: Any = (), groupby: Any = (), aggregates: Any = (),
                         having: Any = (), offset: int = 0, limit: Any = None,
                         order: Any = None) -> list[dict[str, Any]]:
    """Odoo 19's public aggregation: `aggregates` like `["amount:sum", "__count"]`."""
    result = []
    for key, records in _groups(env, model, domain, list(groupby)).items():
        row: dict[str, Any] = {spec: list(value) if isinstance(value, tuple) else value
                               for spec, value in zip(groupby, key, strict=True)}
        for aggregate in aggregates or ():
            if aggregate == "__count":
                row["__count"] = len(records)
                continue
            name, _, function = aggregate.partition(":")
            if name not in model.fields:
                raise ValueErrorOdoo(f"Invalid field {name!r} on model {model.name!r}")
            row[aggregate] = _aggregate([r.get(name) for r in records], function or "sum")
        row["__extra_domain"] = [[spec, "=", value[0] if isinstance(value, tuple) else value]
                                 for spec, value in zip(groupby, key, strict=True)]
        result.append(row)
    return result[offset or 0:][: _limit(limit)]


def read_group(env: Env, model: Model, domain: Any, fields: Any, groupby: Any, offset: int = 0, limit: Any = None,
               orderby: Any = False, lazy: bool = True) -> list[dict[str, Any]]:
    """The pre-19 aggregation: the first `groupby` only when `lazy`, numeric fields summed."""
    groupby = [groupby] if isinstance(groupby, str) else list(groupby)
    keys = groupby[:1] if lazy else groupby
    result = []
    for key, records in _groups(env, model, domain, keys).items():
        row: dict[str, Any] = {spec: list(value) if isinstance(value, tuple) else value
                               for spec, value in zip(keys, key, strict=True)}
        row[f"{keys[0]}_count" if lazy else "__count"] = len(records)
        for spec in fields or ():
            name, _, function = spec.partition(":")
            if name in model.fields and model.fields[name].type in NUMERIC and name not in keys:
                row[name] = _aggregate([r.get(name) for r in records], function or "sum")
        row["__domain"] = [[spec, "=", value[0] if isinstance(value, tuple) else value]
                           for spec, value in zip(keys, key, strict=True)] + list(domain or [])
        result.append(row)
    return result[offset or 0:][: _limit(limit)]


GENERIC: dict[str, Callable[..., Any]] = {
    function.__name__: function
    for function in (search, search_count, read, search_read, create, write, unlink, fields_get,
                     check_access_rights, check_access, formatted_read_group, read_group)
}


class Database:
    """Models, users, sessions and a lock: one instance per double."""

    def __init__(self, name: str = "odoo", version: str = "19.0") -> None:
        self.name = name
        self.version = version
        self.models: dict[str, Model] = {}
        self.users: dict[int, User] = {}
        self.sessions: dict[str, int] = {}
        self.addons_paths: list[Any] = []
        self.lock = threading.RLock()
        self.translate_read: Callable[..., Any] | None = None
        self.translate_write: Callable[..., Any] | None = None
        self.web_log: list[tuple[str, str, bool]] = []
        self.csrf: dict[str | None, str] = {}
        from .schema import Schema

        self.schema = Schema.for_version(version)
        """The version's fields and signatures (schema.py); None for a version without one."""

    @property
    def version_info(self) -> list[Any]:
        major, minor = (int(part) for part in self.version.split(".")[:2])
        return [major, minor, 0, "final", 0, ""]

    def add_model(self, model: Model) -> Model:
        self.models[model.name] = model
        return model

    def authenticate(self, db: str, login: str, secret: str, *, api_key: bool = True) -> User:
        """Password or API key, as Odoo accepts either on RPC; `api_key=False` for the interactive web
        login, which Odoo (14.0 to 19.0) opens with a password only."""
        self.check_db(db)
        for user in self.users.values():
            if user.login == login and secret and secret in (user.password, user.api_key if api_key else None):
                return user
        raise AccessDeniedOdoo()

    def user_by_uid(self, db: str, uid: Any, secret: str) -> User:
        self.check_db(db)
        user = self.users.get(uid) if isinstance(uid, int) else None
        if user is None or not secret or secret not in (user.password, user.api_key):
            raise AccessDeniedOdoo()
        return user

    def user_by_key(self, key: str) -> User:
        for user in self.users.values():
            if key and key == user.api_key:
                return user
        raise AccessDeniedOdoo("Invalid apikey")

    def check_db(self, db: str) -> None:
        if db != self.name:
            raise ValueErrorOdoo(f'database "{db}" does not exist')
