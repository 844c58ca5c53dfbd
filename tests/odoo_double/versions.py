"""What differs between the Odoo versions the double stands in for (16.0 to 19.0), and where each fact comes from.

18.0 and 19.0 are measured: their fields are `fields_get` of real servers (`schema/`, see `schema.py`) and
their method signatures are the `def` lines of their source (`SIGNATURES` below, copied from the shared
odoo-schema extract: 18.0 "release 18.0 final, July 2025"; 19.0 a plain public copy of upstream 19.0).
16.0 and 17.0 are derived: 17.0 is 18.0 minus what 18.0 added, 16.0 is 17.0 minus what 17.0 added, each
difference below with its source (mostly OCA/OpenUpgrade's upgrade analyses, which list the fields every
release added and dropped, module by module). Fields nobody sourced stay as 18.0 has them. Only the
models and methods the tools touch are covered; a model the double has and the schema does not cover
(e.g. `mrp.production`, not installed where the schema was taken) keeps the double's own fields.
"""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED = ("16.0", "17.0", "18.0", "19.0")


@dataclass(frozen=True)
class Traits:
    """Routes and APIs by version: what a client can find on the server at all."""

    major: int

    @property
    def json2(self) -> bool:
        """`/json/2/<model>/<method>` with a bearer API key: new in 19.0 (19.0's
        odoo/addons/base/controllers/ — the "External JSON-2 API" page of Odoo 19's documentation)."""
        return self.major >= 19

    @property
    def web_version(self) -> bool:
        """`GET /web/version`: 19.0's rpc controller serves it with JSON-2; 18.0 has only the JSON route
        `/web/webclient/version_info` (hlaadhari/odoo-18.0 at 1b5d156: addons/web/controllers/webclient.py,
        no `/web/version` anywhere in its Python). Every version answers `common.version` over /jsonrpc
        and /xmlrpc/2/common."""
        return self.major >= 19


def traits(version: str) -> Traits:
    return Traits(major=int(version.split(".")[0].removeprefix("saas~")))


# ---- fields: 17.0 from 18.0, 16.0 from 17.0 (a spec string adds or changes a field, None removes it) ----

FIELDS_17_FROM_18: dict[str, dict[str, str | None]] = {
    # Source: OCA/OpenUpgrade's upgrade analyses 17.0 → 18.0 (the fields each release added and dropped, read
    # from real databases): openupgrade_scripts/scripts/account/18.0.1.3/upgrade_analysis.txt and
    # openupgrade_scripts/scripts/stock/18.0.1.1/upgrade_analysis.txt.
    # account: `company_id` (required) DEL, `company_ids` NEW — 18.0 shares accounts between companies.
    "account.account": {"company_ids": None, "company_id": "many2one|res.company|Rs|Company"},
    # account: account.move `payment_id` and `to_check` DEL, `checked` and `origin_payment_id` NEW.
    "account.move": {"checked": None, "origin_payment_id": None, "matched_payment_ids": None,
                     "payment_id": "many2one|account.payment|s|Payment", "to_check": "boolean||s|To Check"},
    # stock: product.template `detailed_type` DEL, `is_storable` NEW (the storable type became a flag);
    # product.product has both as related fields.
    "product.template": {"is_storable": None, "detailed_type": "selection||Rs|Product Type"},
    "product.product": {"is_storable": None, "detailed_type": "selection||R|Product Type"},
    # stock: stock.move `location_final_id` and `never_product_template_attribute_value_ids` NEW.
    "stock.move": {"location_final_id": None, "never_product_template_attribute_value_ids": None},
    # stock: stock.location `return_location` DEL.
    "stock.location": {"return_location": "boolean||s|Is a Return Location?"},
}

FIELDS_16_FROM_17: dict[str, dict[str, str | None]] = {
    # Source: OCA/OpenUpgrade openupgrade_scripts/scripts/stock/17.0.1.1/upgrade_analysis.txt (16.0 → 17.0).
    # stock.move: `quantity_done` DEL, `quantity` and `picked` NEW; `scrap_ids` DEL, `scrap_id` NEW;
    # `move_line_nosuggest_ids` DEL.
    "stock.move": {"quantity": None, "picked": None, "scrap_id": None,
                   "quantity_done": "float||s|Quantity", "scrap_ids": "one2many|stock.scrap|s|Scrap",
                   "move_line_nosuggest_ids": "one2many|stock.move.line|s|Operations"},
    # stock.move.line: `qty_done`, `reserved_qty`, `reserved_uom_qty` (required) DEL; `quantity`,
    # `quantity_product_uom`, `picked`, `quant_id` NEW.
    "stock.move.line": {"quantity": None, "quantity_product_uom": None, "picked": None, "quant_id": None,
                        "qty_done": "float||s|Quantity Done", "reserved_qty": "float||rs|Real Reserved Quantity",
                        "reserved_uom_qty": "float||Rs|Reserved"},
    # stock.lot: `location_id` and `lot_properties` NEW in 17.0.
    "stock.lot": {"location_id": None, "lot_properties": None},
}

BEYOND_SCHEMA: dict[str, dict[str, str]] = {
    # Fields the double models that a real Odoo has although the schema's `fields_get` did not show
    # them: their module was not installed there, or the field is hidden from `fields_get`.
    "stock.move": {"production_id": "mrp", "raw_material_production_id": "mrp"},
    "product.template": {"website_description": "website_sale"},
    "account.fiscal.position": {"tax_action_map_ids": "l10n_bg_tax_admin"},
    "res.users": {"totp_secret": "auth_totp (groups=NO_ACCESS: fields_get leaves it out)"},
    # planted secrets of the sensitive-data tests: what an agent must never read, whatever Odoo calls it
    "res.partner": {"signup_token": "auth_signup (planted secret)"},
    "res.users.apikeys": {"key": "the hashed key column (planted secret)"},
}

ABSENT_MODELS: dict[str, set[str]] = {
    # `ir.translation` exists until 15.0: from 16.0 translations are JSONB columns (shared odoo-schema
    # 18.0/fields.json lists it under `absent`; the translation tools branch on 16).
    # 19.0 removed the tax mapping model (mappings are the position's taxes and their `original_tax_ids`)
    # and the valuation layers (valuation is on stock.move): shared odoo-schema 19.0 README and fields.json.
    "19.0": {"account.fiscal.position.tax", "stock.valuation.layer", "ir.translation"},
    "18.0": {"ir.translation"},
    "17.0": {"ir.translation"},
    "16.0": {"ir.translation"},
}

# ---- method signatures, as Odoo's source writes them; None: the method does not exist in that version ----
# Methods not listed (search, read, create, write, ...) keep the double's own signatures.

_COMMON = {  # the same in 18.0/methods.md and 19.0/methods.md (type annotations left out)
    "export_data": "(self, fields_to_export)",
    "read_group": "(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True)",
    "search_read": "(self, domain=None, fields=None, offset=0, limit=None, order=None, **read_kwargs)",
    "fields_get": "(self, allfields=None, attributes=None)",
    "button_immediate_install": "(self)",
    "button_immediate_upgrade": "(self)",
    "button_immediate_uninstall": "(self)",
    "downstream_dependencies": "(self, known_deps=None, "
                               "exclude_states=('uninstalled', 'uninstallable', 'to remove'))",
    "update_list": "(self)",
    "action_post": "(self)",
    "copy": "(self, default=None)",
}
_MESSAGE_POST_18 = ("(self, *, body='', subject=None, message_type='notification', email_from=None, author_id=None, "
                    "parent_id=False, subtype_xmlid=None, subtype_id=False, partner_ids=None, attachments=None, "
                    "attachment_ids=None, body_is_html=False, **kwargs)")

SIGNATURES: dict[str, dict[str, str | None]] = {
    # shared odoo-schema 18.0/methods.md
    "18.0": {
        **_COMMON,
        "message_post": _MESSAGE_POST_18,
        "get_field_translations": "(self, field_name, langs=None)",
        "update_field_translations": "(self, field_name, translations, source_lang=None)",
        "action_apply_inventory": "(self)",
        "web_search_read": "(self, domain, specification, offset=0, limit=None, order=None, count_limit=None)",
        "web_read": "(self, specification)",
        "web_read_group": "(self, domain, fields, groupby, limit=None, offset=0, orderby=False, lazy=True)",
        "name_search": "(self, name='', args=None, operator='ilike', limit=100)",
        "check_access_rights": "(self, operation, raise_exception=True)",
        "check_access": "(self, operation)",
        "formatted_read_group": None,  # 19.0 (shared odoo-schema 18.0/methods.md: "does not exist before 19.0")
    },
    # shared odoo-schema 19.0/methods.md
    "19.0": {
        **_COMMON,
        "message_post": "(self, *, body='', subject=None, message_type='notification', email_from=None, "
                        "author_id=None, parent_id=False, subtype_xmlid=None, subtype_id=False, partner_ids=None, "
                        "outgoing_email_to=False, incoming_email_to=False, incoming_email_cc=False, "
                        "attachments=None, attachment_ids=None, body_is_html=False, **kwargs)",
        "formatted_read_group": "(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, "
                                "order=None)",
        "get_field_translations": "(self, field_name, langs=None)",
        "update_field_translations": "(self, field_name, translations, source_lang='')",
        "action_apply_inventory": "(self, date=None)",
        "web_search_read": "(self, domain, specification, offset=0, limit=None, order=None, count_limit=None)",
        "web_read": "(self, specification)",
        "web_read_group": "(self, domain, groupby, aggregates=(), limit=None, offset=0, order=None, *, "
                          "auto_unfold=False, opening_info=None, unfold_read_specification=None, "
                          "unfold_read_default_limit=80, groupby_read_specification=None)",
        "name_search": "(self, name='', domain=None, operator='ilike', limit=100)",
        "check_access": "(self, operation)",
        "check_access_rights": None,  # gone in 19.0: only check_access is listed (19.0/methods.md)
    },
}
SIGNATURES["17.0"] = dict(SIGNATURES["18.0"])  # no difference the tools meet is sourced: 18.0's signatures
SIGNATURES["16.0"] = {
    **SIGNATURES["17.0"],
    # 17.0's web client reads with a `specification` (web_search_read(domain, specification, ...) and the new
    # web_read, addons/web/models/models.py of 17.0); 16.0's web_search_read takes `fields`.
    "web_search_read": "(self, domain=None, fields=None, offset=0, limit=None, order=None, count_limit=None)",
    "web_read": None,
}
