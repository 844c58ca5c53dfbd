"""Field values as Odoo will store them, decided before the policy's conditions see them.

A `deny_if` on `values.active eq false` must also refuse `active: 0`: Odoo stores `0` in a
boolean field as false. So the record-writing tools (`odoo_create`, `odoo_write`, and
`odoo_execute` / `odoo_web_call` when they call `create` or `write`) have a canonicalisation
step (`guard.spec.Canonical`): each value is converted by its field's type (from `fields_get`,
cached per connection and model) into what Odoo stores; the policy decides on that and Odoo is
sent exactly that. A value Odoo cannot store for the type, or would store as something other
than it reads (the text `"0"` in a boolean field is stored as true), is `[INVALID ARGUMENTS]`.

| field type | accepted | sent (and decided on) |
|---|---|---|
| boolean | `true`/`false`, `0`/`1` | `true`/`false` |
| integer | an integer, a float without fraction, a text of digits; `false` | the integer (`false` is `0`) |
| float, monetary | a number or a text of one; `false` | the float (`false` is `0.0`) |
| date | `YYYY-MM-DD` (a datetime text: its date) ; `false` | `YYYY-MM-DD` |
| datetime | `YYYY-MM-DD[ HH:MM[:SS]]`, ISO 8601 with `T`, an offset or `Z`; `false` | UTC `YYYY-MM-DD HH:MM:SS` |
| char, text, html | text; a number (Odoo stores its text) ; `false` | the text |
| selection | one of the field's keys; `false` | unchanged |
| many2one | a record id; `false` | unchanged |

Other types (x2many commands, binary, json, properties) and names that are not fields of the
model are sent unchanged: Odoo checks them and refuses what it cannot store.
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from datetime import UTC, date, datetime
from typing import Any

from guard.spec import Call, InvalidArguments
from odoo_client.connection import OdooConnection

from .common import odoo

INT4 = 2**31 - 1
_INTEGER_TEXT = re.compile(r"^[+-]?\d{1,10}$")
_NUMBER_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")

FieldTypes = dict[str, tuple[str, frozenset[Any] | None]]
"""field name -> (type, selection keys or None)."""

_cache: weakref.WeakKeyDictionary[OdooConnection, dict[str, FieldTypes]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def field_types(connection: OdooConnection, model: str, names: Any = ()) -> FieldTypes:
    """`fields_get` (type and selection) of `model`, asked once per connection — and again when `names` holds
    a field the cached answer lacks (a module installed since may have added it: never decide on a stale list)."""
    with _lock:
        known = _cache.setdefault(connection, {}).get(model)
    if known is not None and all(name in known for name in names):
        return known
    described = connection.execute(model, "fields_get", [], {"attributes": ["type", "selection"]}) or {}
    types: FieldTypes = {}
    for name, info in described.items():
        selection = info.get("selection")
        keys = frozenset(pair[0] for pair in selection if pair) if isinstance(selection, list) else None
        types[name] = (str(info.get("type")), keys)
    with _lock:
        _cache.setdefault(connection, {})[model] = types
    return types


def _refuse(where: str, why: str) -> InvalidArguments:
    return InvalidArguments(f"{where}: {why}; nothing was sent to Odoo")


def _boolean(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    hint = " (Odoo would store this text as true)" if isinstance(value, str) and value else ""
    raise _refuse(where, f"a boolean field takes true or false (or 0/1), not {value!r}{hint}")


def _integer(value: Any, where: str) -> int:
    if value is False or value is None:
        return 0
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER_TEXT.match(value.strip()):
        number = int(value.strip())
    if number is None:
        raise _refuse(where, f"an integer field takes a whole number, not {value!r}")
    if abs(number) > INT4:
        raise _refuse(where, f"{number} is out of the range of an integer field (±{INT4})")
    return number


def _float(value: Any, where: str) -> float:
    if value is False or value is None:
        return 0.0
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and _NUMBER_TEXT.match(value.strip()):
        number = float(value.strip())
    if number is None or not math.isfinite(number):
        raise _refuse(where, f"a number field takes a finite number, not {value!r}")
    return number


def _date(value: Any, where: str) -> Any:
    if value is False or value is None:
        return False
    match = _DATE.match(value) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError
        return date.fromisoformat(match.group(1)).isoformat()
    except ValueError:
        raise _refuse(where, f"a date field takes YYYY-MM-DD, not {value!r}") from None


def _datetime(value: Any, where: str) -> Any:
    if value is False or value is None:
        return False
    try:
        if not isinstance(value, str) or not _DATETIME.match(value):
            raise ValueError
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _refuse(where, f"a datetime field takes YYYY-MM-DD HH:MM:SS (UTC) or ISO 8601, not {value!r}") from None
    if moment.tzinfo is not None:  # Odoo stores UTC without an offset
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S")


def _text(value: Any, where: str) -> Any:
    if value is False or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    raise _refuse(where, f"a text field takes text, not {value!r}")


def _selection(value: Any, keys: frozenset[Any] | None, where: str) -> Any:
    if value is False or value is None or keys is None or value in keys:
        return value
    raise _refuse(where, f"{value!r} is not one of the field's values ({', '.join(sorted(map(str, keys)))})")


def _many2one(value: Any, where: str) -> Any:
    if value is False or value is None or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        return value
    raise _refuse(where, f"a many2one field takes a record id (a positive integer) or false, not {value!r}")


def canonical_value(kind: str, keys: frozenset[Any] | None, value: Any, where: str) -> Any:
    """`value` as Odoo stores it in a field of type `kind` (see the table above)."""
    match kind:
        case "boolean":
            return _boolean(value, where)
        case "integer":
            return _integer(value, where)
        case "float" | "monetary":
            return _float(value, where)
        case "date":
            return _date(value, where)
        case "datetime":
            return _datetime(value, where)
        case "char" | "text" | "html":
            return _text(value, where)
        case "selection":
            return _selection(value, keys, where)
        case "many2one":
            return _many2one(value, where)
    return value


def canonical_values(types: FieldTypes, values: Any, where: str) -> Any:
    """One record's values (a dict), each converted by its field's type; anything else unchanged."""
    if not isinstance(values, dict):
        return values
    converted = {}
    for name, value in values.items():
        kind, keys = types.get(name, ("", None))
        converted[name] = canonical_value(kind, keys, value, f"{where}.{name}")
    return converted


def _names(values: Any) -> set[str]:
    rows = values if isinstance(values, list) else [values]
    return {name for row in rows if isinstance(row, dict) for name in row}


def _for_records(types: FieldTypes, values: Any, where: str) -> Any:
    """`create` takes one dict or a list of them."""
    if isinstance(values, list):
        return [canonical_values(types, row, f"{where}[{index}]") for index, row in enumerate(values)]
    return canonical_values(types, values, where)


def canonical_record_args(args: Any, call: Call) -> Any:
    """`odoo_create` / `odoo_write`: `values` as Odoo will store them."""
    types = field_types(odoo(call, args.connection), args.model, _names(args.values))
    return args.model_copy(update={"values": _for_records(types, args.values, "values")})


WRITING = {"create": (0, "vals_list"), "write": (1, "vals")}
"""The methods whose values are canonicalised: where `execute_kw` carries them (position, keyword)."""


def canonical_call_args(args: Any, call: Call) -> Any:
    """`odoo_execute` / `odoo_web_call` of `create` or `write`: the values in `args`/`kwargs` as Odoo will
    store them; any other method unchanged."""
    if args.method not in WRITING:
        return args
    index, keyword = WRITING[args.method]
    values = args.args[index] if index < len(args.args) else args.kwargs.get(keyword)
    types = field_types(odoo(call, args.connection), args.model, _names(values))
    if index < len(args.args):
        positional = list(args.args)
        positional[index] = _for_records(types, positional[index], f"args[{index}]")
        return args.model_copy(update={"args": positional})
    if keyword in args.kwargs:
        kwargs = dict(args.kwargs)
        kwargs[keyword] = _for_records(types, kwargs[keyword], f"kwargs.{keyword}")
        return args.model_copy(update={"kwargs": kwargs})
    return args
