"""Translation tools (upstream names and arguments): list, read, write, HTML/XML terms, prepared batches.

Odoo 16+ goes through `get_field_translations` / `update_field_translations`; before 16 through
`ir.translation`. Nothing invisible is ever added to a value (upstream prefixed U+200B); markup
in translated terms is checked by nh3 and refused, not rewritten; previews are what is written.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from guard.spec import Call, Risk, ToolArgs, ToolFailure
from tools.odoo.common import odoo
from tools.odoo_kit import ConnectionName, FieldName, ModelName, OnModel, RecordId, sensitive
from tools.registry import tool

from .common import TERM_KINDS, check_langs, check_readable, field_info, kind_of, major, term_map
from .context_aware import odoo_translate_context_aware_handler
from .markup import safe_markup_values, safe_record_translations, visible_text

Lang = Annotated[str, Field(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?(@[a-z]+)?$", description="Language code, e.g. fr_FR.")]
SourceLang = Annotated[str, Field(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?(@[a-z]+)?$", description="Language of the source.")]
IDENTICAL = Field(True, description="Ignored: nothing invisible is added.")
ODOO_SOURCE = "en_US"
"""The language Odoo 16+ keeps the source of a term-translated field in; `source_lang` cannot move it."""
LANG = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?(@[a-z]+)?$")


def lang_keys(values: dict[str, Any]) -> dict[str, Any]:
    """Keys are language codes (checked here, not as schema patterns: tools/list stays small)."""
    for key in values:
        if not LANG.match(key):
            raise ValueError(f"{key!r} is not a language code")
    return values


class ModelArgs(OnModel):
    pass


class FieldArgs(OnModel):
    res_id: RecordId
    field_name: FieldName


class TranslateFieldArgs(FieldArgs):
    translations: Annotated[dict[str, Annotated[str | None, Field(max_length=100_000), AfterValidator(visible_text)]],
                            AfterValidator(lang_keys)] = Field(
        min_length=1, max_length=50, description="{lang: value}; null removes a translation.")
    source_lang: SourceLang = "en_US"
    dry_run: bool = False
    mark_identical_as_translated: bool = IDENTICAL


class TranslateHtmlArgs(FieldArgs):
    translations: Annotated[dict[str, Any], AfterValidator(lang_keys), AfterValidator(safe_markup_values)] = Field(
        default_factory=dict, max_length=50, description="terms: {lang: {term: translation}}; replace: {lang: html}.")
    mode: Literal["extract", "terms", "replace"] = "terms"
    source_lang: SourceLang = "en_US"
    dry_run: bool = False
    mark_identical_as_translated: bool = IDENTICAL


def _terms_of_field(args: FieldArgs, call: Call) -> tuple[Any, str]:
    connection = odoo(call, args.connection)
    check_readable(call, connection, args.model, args.field_name)
    kind = kind_of(connection, args.model, args.field_name, field_info(connection, args.model, args.field_name),
                   args.res_id)
    return connection, kind


@tool("odoo_list_translatable_fields", family="translations", risk=Risk.READ, args=ModelArgs, idempotent=True,
      open_world=True)
def odoo_list_translatable_fields(args: ModelArgs, call: Call) -> Any:
    """List a model's translatable fields with their kind (simple, html or xml terms)."""
    connection = odoo(call, args.connection)
    sensitive.check_model(call, args.model)
    described = connection.execute(args.model, "fields_get", [], {
        "attributes": ["string", "type", "translate", "help", "readonly", "store"]})
    rules, schema = sensitive.rules_of(call), sensitive.schema_of(call, connection)
    rows = []
    for name, info in described.items():
        if not info.get("translate") or rules.hides(schema, args.model, name):
            continue
        rows.append({"name": name, "string": info.get("string"), "type": info.get("type"),
                     "kind": kind_of(connection, args.model, name, info), "readonly": bool(info.get("readonly")),
                     "help": str(info.get("help") or "")[:200] or None})
    rows.sort(key=lambda row: (row["kind"] != "simple", row["name"]))
    return {"model": args.model, "fields": rows}


@tool("odoo_get_field_translations", family="translations", risk=Risk.READ, args=FieldArgs, idempotent=True,
      open_world=True)
def odoo_get_field_translations(args: FieldArgs, call: Call) -> Any:
    """Read every language's translation of one field of one record (terms for HTML/XML fields)."""
    connection, kind = _terms_of_field(args, call)
    if major(connection) >= 16:
        rows, meta = connection.execute(args.model, "get_field_translations", [[args.res_id]],
                                        {"field_name": args.field_name})
        return {"kind": kind, "translation_type": meta.get("translation_type"), "translations": rows}
    rows = connection.execute("ir.translation", "search_read", [[
        ["name", "=", f"{args.model},{args.field_name}"], ["res_id", "=", args.res_id]]],
        {"fields": ["lang", "src", "value", "state"]})
    [source] = connection.execute(args.model, "read", [[args.res_id]], {"fields": [args.field_name],
                                                                         "context": {"lang": "en_US"}})
    return {"kind": kind, "source": source.get(args.field_name),
            "translations": [{"lang": row["lang"], "source": row["src"], "value": row["value"]} for row in rows]}


def _current_simple(connection: Any, args: FieldArgs) -> dict[str, Any]:
    rows, _ = connection.execute(args.model, "get_field_translations", [[args.res_id]],
                                 {"field_name": args.field_name})
    return {row["lang"]: row.get("value") for row in rows}


@tool("odoo_translate_field", family="translations", risk=Risk.WRITE, args=TranslateFieldArgs, idempotent=True,
      open_world=True)
def odoo_translate_field(args: TranslateFieldArgs, call: Call) -> Any:
    """Write translations of a simple (char/text) field of one record, one value per language.
    dry_run shows exactly what would be written."""
    connection, kind = _terms_of_field(args, call)
    if kind != "simple":
        raise ToolFailure(f"{args.model}.{args.field_name} is translated by terms ({kind}): use odoo_translate_html")
    sensitive.check_values(call, args.model, {args.field_name: ""})
    check_langs(connection, [*args.translations, args.source_lang])
    version = major(connection)
    if version >= 16:
        current = _current_simple(connection, args)
        if args.dry_run:
            return {"dry_run": True, "would_write": args.translations, "current": current}
        connection.execute(args.model, "update_field_translations", [[args.res_id]], {
            "field_name": args.field_name, "translations": {k: (v if v is not None else False)
                                                            for k, v in args.translations.items()},
            "source_lang": args.source_lang})
        return {"written": args.translations, "now": _current_simple(connection, args)}
    if args.dry_run:
        return {"dry_run": True, "would_write": args.translations}
    name = f"{args.model},{args.field_name}"
    [source] = connection.execute(args.model, "read", [[args.res_id]], {"fields": [args.field_name],
                                                                         "context": {"lang": args.source_lang}})
    for lang, value in args.translations.items():
        if lang == args.source_lang:
            connection.execute(args.model, "write", [[args.res_id], {args.field_name: value or False}],
                               {"context": {"lang": lang}})
            continue
        found = connection.execute("ir.translation", "search", [[["name", "=", name], ["res_id", "=", args.res_id],
                                                                 ["lang", "=", lang]]], {"limit": 1})
        if found:
            connection.execute("ir.translation", "write", [found, {"value": value or "", "state": "translated"}])
        else:
            connection.execute("ir.translation", "create", [[{
                "name": name, "res_id": args.res_id, "lang": lang, "src": source.get(args.field_name) or "",
                "value": value or "", "type": "model", "state": "translated"}]])
    return {"written": args.translations}


def _checked_terms(args: TranslateHtmlArgs, known: list[str]) -> dict[str, dict[str, str]]:
    checked: dict[str, dict[str, str]] = {}
    for lang, mapping in args.translations.items():
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise ToolFailure(f"translations[{lang}] must be {{source term: translation}} in terms mode")
        unknown = [term for term in mapping if term not in known]
        if unknown:
            raise ToolFailure(f"translations[{lang}]: {len(unknown)} term(s) are not terms of the field "
                              f"(first: {unknown[0][:80]!r}); nothing was written")
        checked[lang] = dict(mapping)
    return checked


@tool("odoo_translate_html", family="translations", risk=Risk.WRITE, args=TranslateHtmlArgs, open_world=True)
def odoo_translate_html(args: TranslateHtmlArgs, call: Call) -> Any:
    """Translate an HTML/XML field term by term (Odoo 16+): extract terms, write {term: translation}, or replace
    one language's whole HTML. Markup is kept; unsafe markup is refused."""
    connection, kind = _terms_of_field(args, call)
    if kind not in TERM_KINDS:
        raise ToolFailure(f"{args.model}.{args.field_name} is a simple field: use odoo_translate_field")
    if major(connection) < 16:
        raise ToolFailure("odoo_translate_html needs Odoo 16 or later (term translations)")
    known, by_lang = term_map(connection, args.model, args.res_id, args.field_name)
    if args.mode == "extract":
        return {"kind": kind, "terms": known, "translations": {lang: {t: v for t, v in terms.items() if v}
                                                               for lang, terms in by_lang.items()
                                                               if lang != args.source_lang},
                "missing": {lang: sum(1 for v in terms.values() if not v) for lang, terms in by_lang.items()
                            if lang != args.source_lang}}
    if not args.translations:
        raise ToolFailure("translations is empty: nothing to write")
    sensitive.check_values(call, args.model, {args.field_name: ""})
    check_langs(connection, [*args.translations, args.source_lang])
    source = next((lang for lang in (ODOO_SOURCE, args.source_lang) if lang in args.translations), None)
    if source is not None:
        raise ToolFailure(f"{source} is the source language ({ODOO_SOURCE} is the source of every term-translated "
                          "field from Odoo 16, whatever source_lang says): changing the source here would orphan the "
                          "other languages' terms; edit the source with the website tools or odoo_write")
    if args.mode == "terms":
        checked = _checked_terms(args, known)
        if args.dry_run:
            return {"dry_run": True, "would_write": checked}
        connection.execute(args.model, "update_field_translations", [[args.res_id]], {
            "field_name": args.field_name, "translations": checked})
        return {"written": {lang: len(terms) for lang, terms in checked.items()}}
    if kind == "xml":
        raise ToolFailure("replace mode is refused on view archs (QWeb would not survive an HTML check): "
                          "use mode=terms")
    for lang, value in args.translations.items():
        if not isinstance(value, str):
            raise ToolFailure(f"translations[{lang}] must be the whole HTML in replace mode")
    if args.dry_run:
        return {"dry_run": True, "would_write": args.translations}
    for lang, value in args.translations.items():
        connection.execute(args.model, "write", [[args.res_id], {args.field_name: value}], {"context": {"lang": lang}})
    return {"written": sorted(args.translations)}


class ContextAwareArgs(ToolArgs):
    connection: ConnectionName = None
    model: ModelName
    ids: list[RecordId] = Field(min_length=1, max_length=50)
    target_lang: Lang
    field_names: list[FieldName] = Field(default_factory=lambda: ["name"], min_length=1, max_length=10)
    source_lang: SourceLang = "en_US"
    context_hint: str = Field("", max_length=2000)
    claude_model: str = Field("", max_length=64, description="Ignored.")
    max_tokens: int = Field(4000, ge=1, le=64000, description="Ignored.")
    dry_run: bool = True
    token: str | None = Field(None, max_length=128, description="From the dry run.")
    translations: Annotated[dict[str, dict[str, Any]] | None, AfterValidator(safe_record_translations)] = Field(
        None, description='{"<id>": {"<field>": text or {term: translation}}}')


@tool("odoo_translate_context_aware", family="translations", risk=Risk.WRITE, args=ContextAwareArgs, open_world=True)
def odoo_translate_context_aware(args: ContextAwareArgs, call: Call) -> Any:
    """Translate several records' fields in two steps: dry_run=true returns the source texts/terms and a token;
    dry_run=false writes exactly the given translations, refused if the source changed since."""
    return odoo_translate_context_aware_handler(args, call)
