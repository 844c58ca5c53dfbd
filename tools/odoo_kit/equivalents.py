"""Which dedicated tool an `odoo_execute` call does the work of — the one mapping, documented here.

`odoo_execute` reaches any public model method, so without this a policy's rule on
`odoo_module_install` or a `deny_if` on `odoo_write` could be walked around through the generic
door. The guard decides an `odoo_execute` call by its own rule AND by the rule of every dedicated
tool listed here for it (`guard/equivalence.py`): denied if that tool is denied (or not allowed
under `"default": "deny"`), that tool's conditions applied to the equivalent arguments, its
approval and its counters applied too; the audit record names both (`equivalent_of`).

| `odoo_execute` method (model)                                   | decided also by            |
|-----------------------------------------------------------------|----------------------------|
| `create`                                                        | `odoo_create`              |
| `write`                                                         | `odoo_write`               |
| `unlink`                                                        | `odoo_unlink`              |
| `copy`, `copy_data`                                             | `odoo_create` (incomplete) |
| `read`                                                          | `odoo_read`                |
| `search`                                                        | `odoo_search`              |
| `search_read`, `web_search_read`                                | `odoo_search_read`         |
| `search_count`                                                  | `odoo_search_count`        |
| `read_group`, `formatted_read_group`, `web_read_group`          | `odoo_read_group`          |
| `message_post`                                                  | `odoo_message_post`        |
| `button_install`, `button_immediate_install` (ir.module.module) | `odoo_module_install`      |
| `button_upgrade`, `button_immediate_upgrade` (ir.module.module)  | `odoo_module_upgrade`      |
| `upgrade_module` (base.module.upgrade wizard)                   | `odoo_module_upgrade`      |
| `button_uninstall`, `button_immediate_uninstall`, `module_uninstall` (ir.module.module) | uninstall |
| `action_uninstall` (base.module.uninstall wizard)               | `odoo_module_uninstall`    |
| `update_list` (ir.module.module)                                | `odoo_module_update_list`  |
| any other method on ir.module.module that is not a read         | install, upgrade AND uninstall |

"Incomplete" means the dedicated tool's arguments cannot all be known from the call (module
names behind ids, the values a copy carries over): if that tool's rule has conditions, the call
is refused and the agent is told to use the dedicated tool, whose arguments can be checked.

The tools that write one field of one record through another door are decided by `odoo_write`'s
rule as well (`field_write_equivalents`), with `model`, `ids: [res_id]` and, where the call says
it, `values: {field: value}`:

| Tool                                                     | `values` given to `odoo_write`'s conditions        |
|----------------------------------------------------------|----------------------------------------------------|
| `odoo_translate_field`                                   | `{field: value}`, once per language                 |
| `odoo_translate_html` `mode=replace`                     | `{field: html}`, once per language                  |
| `odoo_translate_html` `mode=terms`                       | unknown (Odoo rebuilds the value from the terms)    |
| `odoo_translate_context_aware` (`dry_run=false`)         | `{field: text}` per record; unknown with terms      |
| `odoo_website_add_snippet`, `_update_snippet`, `_remove_snippet` | unknown (the new arch is computed from the page) |

A condition of `odoo_write` that reads an unknown `values` fails closed (the call is refused and
the agent told why); conditions on `model` and `ids` are checked. Dry runs, extracts and previews
write nothing and are not decided by `odoo_write`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from guard.spec import Equivalent, Equivalents, ToolSpec

MODULE_MODEL = "ir.module.module"
MODULE_READS = frozenset(
    {
        "read",
        "search",
        "search_read",
        "search_count",
        "fields_get",
        "name_search",
        "name_get",
        "read_group",
        "formatted_read_group",
        "web_search_read",
        "web_read",
        "downstream_dependencies",
        "upstream_dependencies",
        "check_access_rights",
        "default_get",
    }
)
MODULE_INSTALL = frozenset({"button_install", "button_immediate_install"})
MODULE_UPGRADE = frozenset({"button_upgrade", "button_immediate_upgrade"})
MODULE_UNINSTALL = frozenset({"button_uninstall", "button_immediate_uninstall", "module_uninstall"})
WIZARDS = {
    ("base.module.upgrade", "upgrade_module"): "odoo_module_upgrade",
    ("base.module.uninstall", "action_uninstall"): "odoo_module_uninstall",
}
"""The module wizards' buttons: they act on modules chosen earlier, so their arguments are unknown."""


class _Positional:
    """Odoo's `execute_kw(model, method, args, kwargs)`: an argument by position or by keyword."""

    def __init__(self, args: list[Any], kwargs: dict[str, Any]) -> None:
        self.args, self.kwargs = args, kwargs
        self.complete = True

    def get(self, index: int, name: str, default: Any = None, *, required: bool = True) -> Any:
        if index < len(self.args):
            return self.args[index]
        if name in self.kwargs:
            return self.kwargs[name]
        if required:
            self.complete = False
        return default


def _given(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _records(tool: str, model: str, method: str, call: _Positional, connection: str | None) -> Equivalent | None:
    """The record tools: the same model, and the arguments where Odoo's signature puts them."""
    base = {"connection": connection, "model": model}
    if method == "create":
        values = call.get(0, "vals_list")
        return Equivalent(tool, _given(**base, values=values), call.complete)
    if method == "write":
        ids, values = call.get(0, "ids"), call.get(1, "vals")
        return Equivalent(tool, _given(**base, ids=ids, values=values), call.complete)
    if method == "unlink":
        return Equivalent(tool, _given(**base, ids=call.get(0, "ids")), call.complete)
    if method in ("copy", "copy_data"):
        return Equivalent(tool, _given(**base, values=call.get(1, "default", required=False)), complete=False)
    if method == "read":
        ids, fields = call.get(0, "ids"), call.get(1, "fields", required=False)
        return Equivalent(tool, _given(**base, ids=ids, fields=fields), call.complete)
    if method in ("search", "search_count", "search_read", "web_search_read"):
        domain = call.get(0, "domain", [], required=False)
        fields = call.get(1, "fields", required=False) if method != "search_count" else None
        return Equivalent(tool, _given(**base, domain=domain, fields=fields), call.complete)
    if method in ("read_group", "formatted_read_group", "web_read_group"):
        return Equivalent(tool, _given(**base, domain=call.get(0, "domain", [], required=False)), complete=False)
    if method == "message_post":
        body = call.kwargs.get("body")
        return Equivalent(tool, _given(**base, ids=call.get(0, "ids"), body=body), call.complete and body is not None)
    return None


RECORD_TOOLS = {
    "create": "odoo_create",
    "write": "odoo_write",
    "unlink": "odoo_unlink",
    "copy": "odoo_create",
    "copy_data": "odoo_create",
    "read": "odoo_read",
    "search": "odoo_search",
    "search_read": "odoo_search_read",
    "web_search_read": "odoo_search_read",
    "search_count": "odoo_search_count",
    "read_group": "odoo_read_group",
    "formatted_read_group": "odoo_read_group",
    "web_read_group": "odoo_read_group",
    "message_post": "odoo_message_post",
}


def _module_tools(method: str) -> list[str]:
    """The module tools a method on `ir.module.module` does the work of (all three when unknown)."""
    if method in MODULE_INSTALL:
        return ["odoo_module_install"]
    if method in MODULE_UPGRADE:
        return ["odoo_module_upgrade"]
    if method in MODULE_UNINSTALL:
        return ["odoo_module_uninstall"]
    if method == "update_list":
        return ["odoo_module_update_list"]
    if method in MODULE_READS or method in RECORD_TOOLS:
        return []
    return ["odoo_module_install", "odoo_module_upgrade", "odoo_module_uninstall"]


def execute_equivalents(args: Any) -> list[Equivalent]:
    """The dedicated tools an `odoo_execute` call (validated `ExecuteArgs`) is equivalent to."""
    model, method, connection = args.model, args.method, args.connection
    call = _Positional(list(args.args), dict(args.kwargs))
    found: list[Equivalent] = []
    record_tool = RECORD_TOOLS.get(method)
    if record_tool is not None:
        equivalent = _records(record_tool, model, method, call, connection)
        if equivalent is not None:
            found.append(equivalent)
    if model == MODULE_MODEL:
        for tool in _module_tools(method):
            arguments = (
                _given(connection=connection)
                if tool == "odoo_module_update_list"
                else _given(connection=connection, ids=call.get(0, "ids", required=False))
            )
            found.append(Equivalent(tool, arguments, complete=tool == "odoo_module_update_list"))
    wizard = WIZARDS.get((model, method))
    if wizard is not None:
        found.append(Equivalent(wizard, _given(connection=connection), complete=False))
    return found


# --- tools that write one field of a record through another door ----------------------------


def _field_write(args: Any, record_id: int, values: dict[str, Any] | None) -> Equivalent:
    arguments = _given(connection=getattr(args, "connection", None), model=args.model, ids=[record_id], values=values)
    return Equivalent("odoo_write", arguments, unknown=() if values is not None else ("values",))


def field_write_equivalents(args: Any) -> list[Equivalent]:
    """`odoo_write` of the field a translation or website tool rewrites (see the table above)."""
    if getattr(args, "dry_run", False) or getattr(args, "mode", None) == "extract":
        return []
    translations = getattr(args, "translations", None)
    if hasattr(args, "ids") and isinstance(translations, dict):  # odoo_translate_context_aware
        found = []
        for record_id, fields in translations.items():
            texts = {name: value for name, value in fields.items() if isinstance(value, str)}
            found.append(_field_write(args, int(record_id), texts if len(texts) == len(fields) else None))
        return found
    field_name = getattr(args, "field_name", None)
    if isinstance(translations, dict) and getattr(args, "mode", "replace") == "replace" and translations and all(
            value is None or isinstance(value, str) for value in translations.values()):
        return [_field_write(args, args.res_id, {field_name: value if value is not None else False})
                for value in translations.values()]
    return [_field_write(args, args.res_id, None)]


def with_equivalents(specs: tuple[ToolSpec, ...], deciders: dict[str, Equivalents]) -> tuple[ToolSpec, ...]:
    """A family's specs with the dedicated tools that also decide the named ones (every name must be a spec)."""
    names = {spec.name for spec in specs}
    missing = sorted(set(deciders) - names)
    if missing:
        raise ValueError(f"equivalents declared for tools this family does not have: {', '.join(missing)}")
    return tuple(replace(spec, equivalents=deciders[spec.name]) if spec.name in deciders else spec for spec in specs)
