"""Prepared batch translation bound to what was prepared: a server-issued token over the sources.

Upstream asked an LLM twice (preview, then a fresh re-query on write), so what was written was not
what was shown. Here the server never calls an LLM: the prepare call returns the source texts and
terms plus an HMAC token over (grant, connection, model, languages, every prepared source); the
write call must bring that token and only translations of prepared items. The sources are read
again and the token recomputed: if anything changed, nothing is written. What is written is
exactly the `translations` argument the policy (and any human approver) saw.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from guard.refusals import Conflict
from guard.spec import Call, ToolFailure
from tools.odoo.common import odoo
from tools.odoo_kit import sensitive

from .common import TERM_KINDS, check_langs, check_readable, field_info, kind_of, major, term_map


def _key(call: Call) -> bytes:
    return call.runtime.service("translation_token_key", lambda _runtime: secrets.token_bytes(32))


def _prepare(args: Any, call: Call) -> tuple[list[dict[str, Any]], str]:
    connection = odoo(call, args.connection)
    if major(connection) < 16:
        raise ToolFailure("odoo_translate_context_aware needs Odoo 16 or later")
    check_langs(connection, [args.target_lang, args.source_lang])
    kinds = {}
    for name in args.field_names:
        check_readable(call, connection, args.model, name)
        kinds[name] = field_info(connection, args.model, name)
    items: list[dict[str, Any]] = []
    rows = connection.execute(args.model, "read", [args.ids], {"fields": [*args.field_names, "display_name"],
                                                                "context": {"lang": args.source_lang}})
    for row in rows:
        for name in args.field_names:
            kind = kind_of(connection, args.model, name, kinds[name], row["id"])
            item: dict[str, Any] = {"id": row["id"], "field": name, "kind": kind}
            if kind in TERM_KINDS:
                terms, by_lang = term_map(connection, args.model, row["id"], name)
                item["terms"] = terms
                item["current"] = {t: v for t, v in by_lang.get(args.target_lang, {}).items() if v}
            else:
                item["source"] = row.get(name) or ""
                current = connection.execute(args.model, "get_field_translations", [[row["id"]]],
                                             {"field_name": name})[0]
                item["current"] = next((r.get("value") for r in current if r["lang"] == args.target_lang), "")
            items.append(item)
    bound = {"grant": call.caller.grant, "connection": connection.alias, "model": args.model,
             "target": args.target_lang, "source_lang": args.source_lang,
             "sources": [[i["id"], i["field"], i["kind"], i.get("source"), i.get("terms")] for i in items]}
    token = hmac.new(_key(call), json.dumps(bound, sort_keys=True).encode(), hashlib.sha256).hexdigest()
    return items, token


def odoo_translate_context_aware_handler(args: Any, call: Call) -> Any:
    items, token = _prepare(args, call)
    if args.dry_run:
        return {"token": token, "target_lang": args.target_lang, "context_hint": args.context_hint,
                "items": items, "next": "translate, then call again with dry_run=false, this token and "
                                        'translations {"<id>": {"<field>": text or {term: translation}}}'}
    if not args.token or not hmac.compare_digest(args.token, token):
        raise Conflict("the token does not match: the sources changed since they were prepared, or the token "
                          "is not one this server issued for these records; prepare again (nothing was written)")
    if not args.translations:
        raise ToolFailure("translations is empty: nothing to write")
    prepared = {(str(i["id"]), i["field"]): i for i in items}
    plan: list[tuple[int, str, Any]] = []
    for record_id, fields in args.translations.items():
        for name, value in fields.items():
            item = prepared.get((record_id, name))
            if item is None:
                raise ToolFailure(f"{record_id}/{name} was not prepared; nothing was written")
            where = f"translations[{record_id}][{name}]"
            if item["kind"] in TERM_KINDS:
                if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                    raise ToolFailure(f"{where} must be {{term: translation}}")
                unknown = [t for t in value if t not in item["terms"]]
                if unknown:
                    raise ToolFailure(f"{where}: {unknown[0][:80]!r} is not a prepared term; nothing was written")
            elif not isinstance(value, str):
                raise ToolFailure(f"{where} must be a text")
            plan.append((item["id"], name, value))
    sensitive.check_values(call, args.model, {name: "" for _, name, _ in plan})
    connection = odoo(call, args.connection)
    for record_id, name, value in plan:
        connection.execute(args.model, "update_field_translations", [[record_id]], {
            "field_name": name, "translations": {args.target_lang: value}})
    return {"written": [{"id": record_id, "field": name} for record_id, name, _ in plan],
            "target_lang": args.target_lang}
