"""The fields and method signatures of the Odoo version the double stands in for, so it refuses what that Odoo refuses.

A model the schema covers answers `fields_get` with that version's fields (as the real server
described them), refuses a field that version lacks in Odoo's words (`Invalid field 'lot_id' on model
'stock.move'`) and gains, empty, the fields it has and the double never filled. A method that version
lacks is refused as Odoo does (`The method 'res.partner.formatted_read_group' does not exist`), and a
call is bound to the method's real signature first (`export_data() got an unexpected keyword argument
'import_compat'`). A model that version removed answers `Object <model> doesn't exist`. Custom fields
(`x_…`) are the database's own and pass.

Data: `schema/fields-18.0.json` is `fields_get` of a real Odoo 18.0 Community server for the models the
tools touch (from the shared odoo-schema extract), each field as `type|relation|flags|string` — flags
`R` required, `r` readonly, `s` stored, `t` translated, `c` company-dependent; selection values and
groups are left out. `fields-19.0.json` holds only what a real 19.0 server answers differently (a
`null` removes a field, or a whole model). 16.0 and 17.0 are derived in `versions.py`, with sources.
"""

from __future__ import annotations

import ast
import functools
import inspect
import json
from pathlib import Path
from typing import Any

from .errors import AttributeErrorOdoo, TypeErrorOdoo, UserErrorOdoo
from .versions import (
    ABSENT_MODELS,
    BEYOND_SCHEMA,
    FIELDS_16_FROM_17,
    FIELDS_17_FROM_18,
    SIGNATURES,
    SUPPORTED,
)

DATA = Path(__file__).parent / "schema"
FLAGS = {"R": "required", "r": "readonly", "s": "store", "t": "translate", "c": "company_dependent"}
Fields = dict[str, dict[str, str]]


def _patched(base: Fields, changes: dict[str, Any]) -> Fields:
    models = {name: dict(fields) for name, fields in base.items()}
    for model, fields in changes.items():
        if fields is None:
            models.pop(model, None)
            continue
        target = models.setdefault(model, {})
        for name, spec in fields.items():
            if spec is None:
                target.pop(name, None)
            else:
                target[name] = spec
    return models


@functools.cache
def fields_of(version: str) -> Fields:
    if version == "17.0":
        return _patched(fields_of("18.0"), FIELDS_17_FROM_18)
    if version == "16.0":
        return _patched(fields_of("17.0"), FIELDS_16_FROM_17)
    document = json.loads((DATA / f"fields-{version}.json").read_text(encoding="utf-8"))
    base = document.get("base")
    return _patched(fields_of(base), document["models"]) if base else document["models"]


def _signature(text: str) -> inspect.Signature:
    """`(self, a, b=1, *, c=None, **kw)` → an `inspect.Signature` without `self` (defaults as written)."""
    function = ast.parse(f"def f{text}: pass").body[0]
    assert isinstance(function, ast.FunctionDef)
    spec = function.args
    kind = inspect.Parameter
    positional = [*spec.posonlyargs, *spec.args][1:]
    defaults = [None] * (len(positional) - len(spec.defaults)) + list(spec.defaults)
    parameters = [kind(a.arg, kind.POSITIONAL_OR_KEYWORD,
                       default=kind.empty if d is None else ast.literal_eval(d)) for a, d in zip(positional, defaults,
                                                                                               strict=True)]
    if spec.vararg:
        parameters.append(kind(spec.vararg.arg, kind.VAR_POSITIONAL))
    for argument, default in zip(spec.kwonlyargs, spec.kw_defaults, strict=True):
        parameters.append(kind(argument.arg, kind.KEYWORD_ONLY,
                               default=kind.empty if default is None else ast.literal_eval(default)))
    if spec.kwarg:
        parameters.append(kind(spec.kwarg.arg, kind.VAR_KEYWORD))
    return inspect.Signature(parameters)


def describe(spec: str) -> dict[str, Any]:
    """One field as `fields_get` answers it (attributes Odoo leaves false are false, `help` too)."""
    kind, relation, flags, string = spec.split("|", 3)
    info: dict[str, Any] = {"type": kind, "string": string, "help": False,
                            **{attribute: letter in flags for letter, attribute in FLAGS.items()}}
    if relation:
        info["relation"] = relation
    return info


class Schema:
    """One Odoo version: its models' fields, its removed models, its method signatures."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.fields = fields_of(version)
        self.absent = ABSENT_MODELS[version]
        self.signatures = {name: None if text is None else _signature(text)
                           for name, text in SIGNATURES[version].items()}

    @classmethod
    def for_version(cls, version: str) -> Schema | None:
        """None for a version the double has no schema of (it then accepts what its own models have)."""
        return cls(version) if version in SUPPORTED else None

    def check_model(self, name: str) -> None:
        if name in self.absent:
            raise UserErrorOdoo(f"Object {name} doesn't exist")

    def adapt(self, model: Any) -> None:
        """Give `model` (a `database.Model`) this version's fields: the double's own where both have one
        (its storage), the version's others as plain fields, none that this version lacks."""
        known = self.fields.get(model.name)
        if known is None or getattr(model, "schema_version", None) == self.version:
            return
        from .database import Field  # the double's field type (database imports this module lazily)

        beyond = BEYOND_SCHEMA.get(model.name, {})
        for name in [name for name in model.fields if name not in known and not name.startswith("x_")
                     and name not in beyond]:
            del model.fields[name]
        for name, spec in known.items():
            if name not in model.fields and name != "id":
                info = describe(spec)
                translate = ("html" if info["type"] == "html" else "simple") if info["translate"] else None
                model.fields[name] = Field(info["type"], info["string"], relation=info.get("relation"),
                                           readonly=info["readonly"], store=info["store"], translate=translate)
        model.schema_version = self.version

    def describe_fields(self, model: Any) -> dict[str, dict[str, Any]] | None:
        """`fields_get` of `model` as this version answers it; None when the schema does not cover it."""
        known = self.fields.get(model.name)
        if known is None:
            return None
        described = {name: describe(spec) for name, spec in known.items()}
        for name, field in model.fields.items():
            if name in described and field.selection is not None:
                described[name]["selection"] = [list(pair) for pair in field.selection]
            elif name not in described:  # a custom x_ field, or one of BEYOND_SCHEMA
                described[name] = field.describe()
        return described

    def check_call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> None:
        """Refuse a method this version lacks, or arguments its signature does not take (ids apart)."""
        if method not in self.signatures:
            return
        signature = self.signatures[method]
        if signature is None:
            raise AttributeErrorOdoo(f"The method '{model}.{method}' does not exist")
        try:
            signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeErrorOdoo(f"{method}() {exc}") from None
