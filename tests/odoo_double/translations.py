"""Translatable fields in both of Odoo's generations, languages, website views and products.

Odoo 16+ keeps translations in JSONB: `get_field_translations` / `update_field_translations`, and a
read with `context={'lang': ...}` answers the translated value. Before 16 they live in
`ir.translation` rows (`name="<model>,<field>"`). HTML/XML fields are translated term by term: the
double's terms are the text nodes of the markup (Odoo's are close enough for the tools).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from .database import Database, Env, Field, Model, record_method
from .errors import UserErrorOdoo, ValueErrorOdoo

EVERYONE = {"system", "user"}
ACL = {"read": EVERYONE, "write": {"system"}, "create": {"system"}, "unlink": {"system"}}
SOURCE = "en_US"

SNIPPETS = {  # key: (view name, arch) -- as Odoo keeps them: the editor adds data-snippet / data-name on drop
    "website.s_text_block": ("Text", '<t t-name="website.s_text_block"><section class="s_text_block pt40">'
                                     '<div class="container"><p>Write one or two paragraphs.</p></div></section></t>'),
    "website.s_banner": ("Banner", '<t t-name="website.s_banner"><section class="s_banner"><div class="container">'
                                   '<h1>Catchy headline</h1><a class="btn" href="/contactus">Contact us</a></div>'
                                   '</section></t>'),
}
HOMEPAGE = ('<t name="Home" t-name="website.homepage">\n  <t t-call="website.layout">\n'
            '    <div id="wrap" class="oe_structure oe_empty">\n'
            '      <section class="s_banner" data-snippet="s_banner" data-name="Banner">'
            '<h1 t-esc="title">Welcome</h1><p>Our <b>shop</b><br/>is open</p></section>\n'
            '    </div>\n  </t>\n</t>')
LAYOUT = ('<t t-name="web.layout"><html><head><script src="/web/assets/web.js"/></head>'
          '<body><t t-out="0"/></body></html></t>')
FORM = '<form string="Partner"><sheet><group><field name="name"/></group></sheet></form>'
DESCRIPTION = "<div><p>A <b>solid</b> desk</p><p>Made of oak</p></div>"


def major(db: Database) -> int:
    return int(db.version.split(".")[0])


def _parse(value: str) -> etree._Element:
    try:
        return etree.fromstring(f"<wrap>{value}</wrap>")
    except etree.XMLSyntaxError as exc:
        raise ValueErrorOdoo(f"invalid markup: {exc}") from exc


INLINE = {"b", "i", "em", "strong", "span", "a", "u", "small", "font", "br", "code", "sup", "sub"}


def _inner(node: etree._Element) -> str:
    return (node.text or "") + "".join(etree.tostring(child, encoding="unicode") for child in node)


def _term_nodes(node: etree._Element) -> list[etree._Element]:
    """Elements whose content is one term: they hold text directly or through inline children."""
    direct = (node.text or "").strip() or any((c.tail or "").strip() or c.tag in INLINE for c in node)
    if node.tag != "wrap" and direct and (_inner(node).strip()):
        return [node]
    return [found for child in node for found in _term_nodes(child)]


def terms(value: Any) -> list[str]:
    """The translatable terms of markup, in order, without duplicates (inline markup stays inside)."""
    if not value:
        return []
    found: list[str] = []
    for node in _term_nodes(_parse(str(value))):
        if _inner(node).strip() not in found:
            found.append(_inner(node).strip())
    return found


def apply_terms(value: str, mapping: dict[str, str]) -> str:
    root = _parse(value)
    for node in _term_nodes(root):
        translation = mapping.get(_inner(node).strip())
        if translation:
            replacement = _parse(translation)
            for child in list(node):
                node.remove(child)
            node.text = replacement.text
            for child in replacement:
                node.append(child)
    return _inner(root)


def _store(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return record.setdefault("__translations__", {})


def translated(env: Env, model: Model, record: dict[str, Any], name: str, value: Any) -> Any:
    """What a read in `env.context['lang']` answers for a translatable field."""
    spec = model.fields.get(name)
    lang = env.context.get("lang") or SOURCE
    if spec is None or not getattr(spec, "translate", None) or lang == SOURCE or not value:
        return value
    if major(env.db) < 16:
        rows = [row for row in env.db.models["ir.translation"].records.values()
                if row["name"] == f"{model.name},{name}" and row["res_id"] == record["id"] and row["lang"] == lang]
        if spec.translate == "simple":
            return rows[0]["value"] if rows and rows[0]["value"] else value
        return apply_terms(value, {row["src"]: row["value"] for row in rows})
    stored = _store(record).get(name, {}).get(lang)
    if spec.translate == "simple":
        return stored or value
    return apply_terms(value, stored or {})


def write_in_lang(env: Env, model: Model, record: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A write in another language sets that language's translation, not the source value."""
    lang = env.context.get("lang") or SOURCE
    if lang == SOURCE or major(env.db) < 16:
        return values
    rest = dict(values)
    for name, value in values.items():
        spec = model.fields.get(name)
        translate = getattr(spec, "translate", None)
        if not translate:
            continue
        del rest[name]
        if translate == "simple":
            _store(record).setdefault(name, {})[lang] = value
        else:
            source, mine = terms(record.get(name)), terms(value)
            if len(source) == len(mine):
                _store(record).setdefault(name, {})[lang] = dict(zip(source, mine, strict=True))
    return rest


def _langs(env: Env) -> list[str]:
    return [row["code"] for row in env.db.models["res.lang"].records.values() if row["active"]]


@record_method
def get_field_translations(env: Env, model: Model, ids: list[int], field_name: str,
                           langs: Any = None) -> list[Any]:
    env.check_access(model, "read")
    spec = model.fields.get(field_name)
    if spec is None or not getattr(spec, "translate", None):
        raise UserErrorOdoo(f"The field {field_name} is not translatable")
    [record] = env.existing(model, ids[:1])
    source = record.get(field_name) or ""
    rows: list[dict[str, Any]] = []
    stored = _store(record).get(field_name, {})
    for lang in langs or _langs(env):
        if spec.translate == "simple":
            value = source if lang == SOURCE else stored.get(lang, "")
            rows.append({"lang": lang, "source": source, "value": value})
        else:
            mapping = {} if lang == SOURCE else stored.get(lang, {})
            rows.extend({"lang": lang, "source": term, "value": term if lang == SOURCE else mapping.get(term, "")}
                        for term in terms(source))
    kind = "char" if spec.translate == "simple" else spec.type
    return [rows, {"translation_type": kind, "translation_show_source": spec.translate != "simple"}]


@record_method
def update_field_translations(env: Env, model: Model, ids: list[int], field_name: str, translations: Any,
                              source_lang: str = "") -> bool:
    env.check_access(model, "write")
    spec = model.fields.get(field_name)
    if spec is None or not getattr(spec, "translate", None):
        raise UserErrorOdoo(f"The field {field_name} is not translatable")
    if not isinstance(translations, dict):
        raise ValueErrorOdoo("translations must be a dictionary")
    active = set(_langs(env))
    for record in env.existing(model, ids):
        for lang, value in translations.items():
            if lang not in active:
                raise UserErrorOdoo(f"Invalid language code: {lang}")
            if spec.translate == "simple":
                if lang == (source_lang or SOURCE):
                    record[field_name] = value
                elif value is False or value is None:
                    _store(record).get(field_name, {}).pop(lang, None)
                else:
                    _store(record).setdefault(field_name, {})[lang] = value
            else:
                if not isinstance(value, dict):
                    raise ValueErrorOdoo("terms must be a dictionary {source term: translation}")
                known = terms(record.get(field_name))
                mapping = _store(record).setdefault(field_name, {}).setdefault(lang, {})
                mapping.update({src: tr for src, tr in value.items() if src in known})
    return True


def install(db: Database) -> None:
    """Languages, a product, website views; translation methods from 16, `ir.translation` before."""
    db.add_model(Model("res.lang", "Languages", {
        "name": Field("char", "Name", required=True), "code": Field("char", "Locale Code", required=True),
        "active": Field("boolean", "Active")}, ACL))
    db.add_model(Model("product.template", "Product", {
        "name": Field("char", "Name", required=True, translate="simple"),
        "description_sale": Field("text", "Sales Description", translate="simple"),
        "website_description": Field("html", "Website Description", translate="html"),
        "list_price": Field("float", "Sales Price")}, {**ACL, "write": EVERYONE}))
    db.add_model(Model("ir.ui.view", "View", {
        "name": Field("char", "View Name", required=True), "key": Field("char", "Key"),
        "type": Field("selection", "View Type", selection=[("qweb", "QWeb"), ("form", "Form")]),
        "arch_db": Field("text", "Arch Blob", translate="xml")}, ACL))
    db.add_model(Model("website.page", "Page", {
        "name": Field("char", "Name"), "url": Field("char", "Page URL"),
        "view_id": Field("many2one", "View", relation="ir.ui.view")}, ACL))
    translatable = [db.models[name] for name in ("product.template", "ir.ui.view")]
    if major(db) >= 16:
        for model in translatable:
            model.methods.update(get_field_translations=get_field_translations,
                                 update_field_translations=update_field_translations)
    else:
        db.add_model(Model("ir.translation", "Translation", {
            "name": Field("char", "Translated field"), "res_id": Field("integer", "Record ID"),
            "lang": Field("char", "Language"), "src": Field("text", "Internal Source"),
            "value": Field("text", "Translation Value"), "type": Field("char", "Type"),
            "state": Field("char", "Status")}, {**ACL, "write": EVERYONE, "create": EVERYONE}))
    env = Env(db, db.users[2])
    for code, name, active in (("en_US", "English (US)", True), ("fr_FR", "French", True),
                               ("bg_BG", "Bulgarian", True), ("de_DE", "German", False)):
        env.insert(db.models["res.lang"], {"code": code, "name": name, "active": active})
    desk = env.insert(db.models["product.template"], {"name": "Desk", "description_sale": "A desk",
                                                      "website_description": DESCRIPTION, "list_price": 100.0})
    for key, (name, arch) in SNIPPETS.items():
        env.insert(db.models["ir.ui.view"], {"name": name, "key": key, "type": "qweb", "arch_db": arch})
    home = env.insert(db.models["ir.ui.view"], {"name": "Home", "key": "website.homepage", "type": "qweb",
                                                "arch_db": HOMEPAGE})
    env.insert(db.models["website.page"], {"name": "Home", "url": "/", "view_id": home})
    env.insert(db.models["ir.ui.view"], {"name": "layout", "key": "web.layout", "type": "qweb", "arch_db": LAYOUT})
    env.insert(db.models["ir.ui.view"], {"name": "res.partner.form", "key": False, "type": "form", "arch_db": FORM})
    record = db.models["product.template"].records[desk]
    if major(db) >= 16:
        _store(record)["name"] = {"fr_FR": "Bureau"}
    else:
        env.insert(db.models["ir.translation"], {"name": "product.template,name", "res_id": desk, "lang": "fr_FR",
                                                 "src": "Desk", "value": "Bureau", "type": "model",
                                                 "state": "translated"})
    db.translate_read = translated
    db.translate_write = write_in_lang
