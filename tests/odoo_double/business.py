"""Business models of the double: companies, accounting, fiscal positions, products, stock, manufacturing.

Not in the default seed (other tests count models): `install(database)` adds them, with two
companies so that company scoping is observable. The ORM rules the tools must respect are
real here: a done stock move cannot be deleted, a confirmed manufacturing order cannot be
deleted, a product with stock moves cannot change its storable flag, an unbalanced entry cannot
be posted, a move's account entry is set once. `database.inventory_conflicts` (product ids) makes
applying a count answer with Odoo's conflict wizard instead, applying nothing.
`bg_tax_admin=True` also installs the Bulgarian `l10n_bg_tax_admin` module (its tax-action
model and fields).

The models follow the database's version, as shared/odoo-schema/{18.0,19.0}/fields.json show them
(taken from real servers); versions before 18.0 get 18.0's layout:
- 18.0: `stock.move` has no `value`, `lot_id` nor `account_move_id`: a move's value is on its
  `stock.valuation.layer` rows (signed: into stock positive), its entry through the layer's
  `account_move_id` and `account.move.stock_move_id`; lots on `stock.move.line`. Categories have
  `property_stock_account_input_categ_id`. Fiscal positions map taxes in `account.fiscal.position.tax`.
- 19.0: no `stock.valuation.layer`; `stock.move` has `value`, `account_move_id` (and `lot_ids`,
  computed from its lines); categories lost the input account (`account_stock_variation_id`
  instead); `account.fiscal.position.tax` is gone: a position's `tax_ids` are the taxes it applies,
  each tax's `original_tax_ids` the taxes it replaces.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .database import Database, Env, Field, Model, create, record_method, unlink, write
from .errors import UserErrorOdoo, ValidationErrorOdoo
from .modules import _values

EVERYONE = {"system", "user"}
ADMINS = {"system"}
ACL = {"read": EVERYONE, "write": ADMINS, "create": ADMINS, "unlink": ADMINS}
MOVE_TYPES = [(k, k) for k in ("entry", "out_invoice", "out_refund", "in_invoice", "in_refund", "out_receipt",
                               "in_receipt")]
BG_MOVE_TYPES = [(k, k) for k in ("standard", "customs", "invoice_customs", "private", "protocol")]
BG_TYPE_VAT = [(k, k) for k in ("standard", "117_protocol", "119_report", "in_customs", "out_customs")]
BG_DOC_TYPES = [(k, k) for k in ("01", "02", "03", "07", "09", "81", "82")]


def _add(db: Database, name: str, description: str, fields: dict[str, Field], order: str = "id") -> Model:
    model = db.add_model(Model(name=name, description=description, fields=fields, acl=ACL, order=order))
    ir_model = db.models["ir.model"]
    Env(db, db.users[2]).insert(ir_model, {"model": name, "name": description, "transient": False,
                                           "modules": "account"})
    return model


def m2o(relation: str, string: str = "", required: bool = False) -> Field:
    return Field("many2one", string or relation, relation=relation, required=required)


def major(db: Database) -> int:
    return int(db.version.split(".")[0])


def install(db: Database, *, bg_tax_admin: bool = False) -> Database:
    """Add the business models and their seed data to `db` (a fresh double's database)."""
    _schema(db, bg_tax_admin)
    _seed(db, bg_tax_admin)
    return db


def _schema(db: Database, bg: bool) -> None:
    _add(db, "res.company", "Companies", {"name": Field("char", "Name", required=True)})
    db.models["res.users"].fields["company_id"] = m2o("res.company", "Company")
    _add(db, "res.country", "Country", {"name": Field("char", "Name"), "code": Field("char", "Code")})
    _add(db, "account.account", "Account", {
        "code": Field("char", "Code", required=True), "name": Field("char", "Name", required=True),
        "company_ids": Field("many2many", "Companies", relation="res.company"),
        "account_type": Field("char", "Type")})
    _add(db, "account.tax", "Tax", {"name": Field("char", "Name", required=True), "amount": Field("float", "Amount"),
                                    "type_tax_use": Field("char", "Type"), "company_id": m2o("res.company")})
    v19 = major(db) >= 19
    if v19:
        db.models["account.tax"].fields.update(
            original_tax_ids=Field("many2many", "Replaces", relation="account.tax"),
            fiscal_position_ids=Field("many2many", "Fiscal Positions", relation="account.fiscal.position"))
    _add(db, "account.journal", "Journal", {"name": Field("char", "Name", required=True),
                                            "code": Field("char", "Code"), "company_id": m2o("res.company"),
                                            "type": Field("selection", "Type", selection=[
                                                ("general", "Misc"), ("sale", "Sales"), ("purchase", "Purchase")])})
    position_fields = {
        "name": Field("char", "Fiscal Position", required=True), "auto_apply": Field("boolean", "Detect Automatically"),
        "country_id": m2o("res.country", "Country"), "country_group_id": m2o("res.country", "Country Group"),
        "company_id": m2o("res.company", "Company", required=True), "note": Field("html", "Notes"),
        "tax_ids": Field("many2many", "Taxes", relation="account.tax") if v19 else
        Field("one2many", "Tax Mapping", relation="account.fiscal.position.tax"),
        "account_ids": Field("one2many", "Account Mapping", relation="account.fiscal.position.account"),
    }
    if bg:
        position_fields["tax_action_map_ids"] = Field("one2many", "Tax actions",
                                                      relation="account.fiscal.position.tax.action")
    _add(db, "account.fiscal.position", "Fiscal Position", position_fields, order="name, id")
    if not v19:
        _add(db, "account.fiscal.position.tax", "Tax Mapping of Fiscal Position", {
            "position_id": m2o("account.fiscal.position", "Fiscal Position", required=True),
            "tax_src_id": m2o("account.tax", "Tax on Product", required=True),
            "tax_dest_id": m2o("account.tax", "Tax to Apply"), "company_id": m2o("res.company")})
    _add(db, "account.fiscal.position.account", "Accounts Mapping of Fiscal Position", {
        "position_id": m2o("account.fiscal.position", "Fiscal Position", required=True),
        "account_src_id": m2o("account.account", "Account on Product", required=True),
        "account_dest_id": m2o("account.account", "Account to Use Instead", required=True),
        "company_id": m2o("res.company")})
    if bg:
        _add(db, "account.fiscal.position.tax.action", "Fiscal position tax action", {
            "position_id": m2o("account.fiscal.position", "Fiscal Position", required=True),
            "move_type": Field("selection", "Move type", selection=MOVE_TYPES),
            "dest_move_type": Field("selection", "Destination move type", selection=MOVE_TYPES),
            "l10n_bg_move_type": Field("selection", "BG move type", selection=BG_MOVE_TYPES),
            "l10n_bg_type_vat": Field("selection", "BG VAT type", selection=BG_TYPE_VAT),
            "l10n_bg_document_type": Field("selection", "BG document type", selection=BG_DOC_TYPES),
            "l10n_bg_doc_type": Field("selection", "BG document type (legacy)", selection=BG_DOC_TYPES),
            "l10n_bg_narration": Field("char", "Narration", required=True),
            "position_dest_id": m2o("account.fiscal.position", "Destination position"),
            "account_id": m2o("account.account", "Account"), "partner_id": m2o("res.partner", "Partner"),
            "factor_percent": Field("float", "Factor %"), "company_id": m2o("res.company")})
    _add(db, "product.category", "Product Category", {
        "name": Field("char", "Name", required=True),
        "property_valuation": Field("selection", "Valuation", selection=[("manual_periodic", "Manual"),
                                                                        ("real_time", "Automated")]),
        "property_stock_valuation_account_id": m2o("account.account", "Stock Valuation Account"),
        **({"account_stock_variation_id": m2o("account.account", "Stock Variation Account")} if v19 else
           {"property_stock_account_input_categ_id": m2o("account.account", "Stock Input Account")}),
        "property_stock_journal": m2o("account.journal", "Stock Journal")})
    product = {"name": Field("char", "Name", required=True), "is_storable": Field("boolean", "Track Inventory"),
               "type": Field("selection", "Type", selection=[("consu", "Goods"), ("service", "Service"),
                                                            ("combo", "Combo")]),
               "tracking": Field("selection", "Tracking", selection=[("none", "None"), ("lot", "Lots"),
                                                                    ("serial", "Serial")]),
               "categ_id": m2o("product.category", "Category"), "company_id": m2o("res.company", "Company"),
               "standard_price": Field("float", "Cost")}
    translatable = db.models.get("product.template")  # Odoo's name is translated: keep the double's methods
    _add(db, "product.template", "Product", {**product, "name": Field("char", "Name", required=True,
                                                                      translate="simple")})
    if translatable is not None:
        db.models["product.template"].methods.update(
            {name: method for name, method in translatable.methods.items() if name.endswith("field_translations")})
    _add(db, "product.product", "Product Variant", {**product, "product_tmpl_id": m2o("product.template", "Template"),
                                                    "qty_available": Field("float", "Quantity On Hand",
                                                                           readonly=True)})
    db.models["product.template"].methods["write"] = _template_write
    _add(db, "stock.location", "Inventory Locations", {
        "name": Field("char", "Name", required=True), "company_id": m2o("res.company"),
        "usage": Field("selection", "Type", selection=[("view", "View"), ("internal", "Internal"),
                                                       ("inventory", "Inventory Loss"), ("production", "Production")])})
    _add(db, "stock.lot", "Lot/Serial", {"name": Field("char", "Name", required=True),
                                         "product_id": m2o("product.product"), "company_id": m2o("res.company")})
    _add(db, "stock.quant", "Quants", {
        "product_id": m2o("product.product", "Product", required=True),
        "location_id": m2o("stock.location", "Location", required=True), "lot_id": m2o("stock.lot", "Lot"),
        "company_id": m2o("res.company"), "quantity": Field("float", "Quantity", readonly=True),
        "inventory_quantity": Field("float", "Counted Quantity"),
        "inventory_quantity_set": Field("boolean", "Inventory Quantity Set"),
        "accounting_date": Field("date", "Accounting Date")})
    db.models["stock.quant"].methods.update({"create": _quant_create, "action_apply_inventory": _apply_inventory})
    _add(db, "stock.move", "Stock Move", {
        "reference": Field("char", "Reference"), "product_id": m2o("product.product", "Product", required=True),
        "location_id": m2o("stock.location", "Source"), "location_dest_id": m2o("stock.location", "Destination"),
        "quantity": Field("float", "Quantity"), "company_id": m2o("res.company"), "date": Field("datetime", "Date"),
        "state": Field("selection", "Status", selection=[("draft", "New"), ("confirmed", "Waiting"),
                                                         ("done", "Done"), ("cancel", "Cancelled")]),
        "is_inventory": Field("boolean", "Inventory"), "price_unit": Field("float", "Unit Price"),
        **({"is_valued": Field("boolean", "Valued"), "value": Field("float", "Value"),
            "account_move_id": m2o("account.move", "Journal Entry")} if v19 else {}),
        "production_id": m2o("mrp.production", "Production (finished)"),
        "raw_material_production_id": m2o("mrp.production", "Production (components)")})
    db.models["stock.move"].methods.update({"unlink": _move_unlink, "write": _move_write})
    _add(db, "stock.move.line", "Product Moves", {
        "move_id": m2o("stock.move"), "product_id": m2o("product.product"), "quantity": Field("float", "Quantity"),
        "lot_id": m2o("stock.lot"), "company_id": m2o("res.company"), "state": Field("char", "Status"),
        "location_id": m2o("stock.location", "From"), "location_dest_id": m2o("stock.location", "To")})
    _add(db, "mrp.production", "Production Order", {
        "name": Field("char", "Reference"), "product_id": m2o("product.product"),
        "product_qty": Field("float", "Quantity To Produce"), "qty_produced": Field("float", "Quantity Produced"),
        "company_id": m2o("res.company"), "date_start": Field("datetime", "Start"),
        "state": Field("selection", "State", selection=[("draft", "Draft"), ("confirmed", "Confirmed"),
                                                        ("progress", "In Progress"), ("done", "Done"),
                                                        ("cancel", "Cancelled")])})
    db.models["mrp.production"].methods["unlink"] = _production_unlink
    _add(db, "account.move", "Journal Entry", {
        "name": Field("char", "Number"), "ref": Field("char", "Reference"), "date": Field("date", "Date"),
        "move_type": Field("selection", "Type", selection=MOVE_TYPES), "journal_id": m2o("account.journal"),
        "company_id": m2o("res.company"),
        "state": Field("selection", "Status", selection=[("draft", "Draft"), ("posted", "Posted"),
                                                         ("cancel", "Cancelled")]),
        "line_ids": Field("one2many", "Journal Items", relation="account.move.line")})
    db.models["account.move"].methods.update({"create": _entry_create, "action_post": _entry_post})
    if not v19:
        db.models["account.move"].fields["stock_move_id"] = m2o("stock.move", "Stock Move")
        _add(db, "stock.valuation.layer", "Stock Valuation Layer", {
            "stock_move_id": m2o("stock.move", "Stock Move"), "product_id": m2o("product.product", "Product"),
            "quantity": Field("float", "Quantity"), "unit_cost": Field("float", "Unit Value"),
            "value": Field("float", "Total Value"), "company_id": m2o("res.company", "Company"),
            "account_move_id": m2o("account.move", "Journal Entry"), "lot_id": m2o("stock.lot", "Lot"),
            "description": Field("char", "Description")})
        db.models["stock.valuation.layer"].methods["write"] = _layer_write
    _add(db, "account.move.line", "Journal Item", {
        "move_id": m2o("account.move"), "account_id": m2o("account.account"), "name": Field("char", "Label"),
        "debit": Field("float", "Debit"), "credit": Field("float", "Credit"), "product_id": m2o("product.product"),
        "quantity": Field("float", "Quantity"), "company_id": m2o("res.company"), "date": Field("date", "Date"),
        "parent_state": Field("char", "Status")})


def _seed(db: Database, bg: bool) -> None:
    env = Env(db, db.users[2])
    ins = env.insert
    m = db.models
    main = ins(m["res.company"], {"name": "BG Trading"})
    other = ins(m["res.company"], {"name": "Other Co"})
    for user in m["res.users"].records.values():
        user["company_id"] = main
    bg_country = ins(m["res.country"], {"name": "Bulgaria", "code": "BG"})
    ins(m["res.country"], {"name": "Germany", "code": "DE"})
    accounts = {}
    for code, name, company in (("304000", "Goods", main), ("401000", "Suppliers", main),
                                ("122000", "Opening balance", main), ("609000", "Expenses", main),
                                ("701000", "Sales", main), ("708000", "Sales EU", main),
                                ("122000", "Opening balance (Other Co)", other), ("304000", "Goods (Other Co)", other)):
        accounts[(code, company)] = ins(m["account.account"], {"code": code, "name": name, "company_ids": [company]})
    tax20 = ins(m["account.tax"], {"name": "20% VAT", "amount": 20.0, "type_tax_use": "sale", "company_id": main})
    tax0 = ins(m["account.tax"], {"name": "0% EU", "amount": 0.0, "type_tax_use": "sale", "company_id": main})
    ins(m["account.tax"], {"name": "19% DE", "amount": 19.0, "type_tax_use": "sale", "company_id": other})
    ins(m["account.journal"], {"name": "Sales", "code": "INV", "type": "sale", "company_id": main})
    misc = ins(m["account.journal"], {"name": "Miscellaneous", "code": "MISC", "type": "general", "company_id": main})
    other_misc = ins(m["account.journal"], {"name": "Misc (Other Co)", "code": "MISC", "type": "general",
                                            "company_id": other})
    eu = ins(m["account.fiscal.position"], {"name": "Intra-EU B2B", "auto_apply": True, "company_id": main})
    ins(m["account.fiscal.position"], {"name": "Domestic", "auto_apply": True, "country_id": bg_country,
                                       "company_id": main})
    ins(m["account.fiscal.position"], {"name": "Other Co position", "company_id": other})
    if major(db) >= 19:  # 0% EU replaces 20% VAT in the position
        m["account.fiscal.position"].records[eu]["tax_ids"] = [tax0]
        m["account.tax"].records[tax0].update(original_tax_ids=[tax20], fiscal_position_ids=[eu])
    else:
        ins(m["account.fiscal.position.tax"], {"position_id": eu, "tax_src_id": tax20, "tax_dest_id": tax0,
                                               "company_id": main})
    ins(m["account.fiscal.position.account"], {"position_id": eu, "account_src_id": accounts[("701000", main)],
                                               "account_dest_id": accounts[("708000", main)], "company_id": main})
    if bg:
        ins(m["account.fiscal.position.tax.action"], {
            "position_id": eu, "move_type": "out_invoice", "dest_move_type": "out_invoice",
            "l10n_bg_move_type": "standard", "l10n_bg_type_vat": "standard", "l10n_bg_document_type": "01",
            "l10n_bg_doc_type": "01", "l10n_bg_narration": "Art. 53 VAT Act", "company_id": main})
        ins(m["ir.module.module"], {**_values("l10n_bg_tax_admin", {"name": "Bulgaria - Tax administration"}),
                                    "state": "installed", "latest_version": "1.0"})
    for name in ("account", "stock", "stock_account", "mrp"):
        ins(m["ir.module.module"], {**_values(name, {"name": name.title()}), "state": "installed",
                                    "latest_version": "1.0"})
    categ = ins(m["product.category"], {
        "name": "Goods", "property_valuation": "real_time",
        "property_stock_valuation_account_id": accounts[("304000", main)],
        "account_stock_variation_id" if major(db) >= 19 else "property_stock_account_input_categ_id":
            accounts[("401000", main)], "property_stock_journal": misc})
    other_categ = ins(m["product.category"], {
        "name": "Goods (Other Co)", "property_valuation": "real_time",
        "property_stock_valuation_account_id": accounts[("304000", other)], "property_stock_journal": other_misc})
    for name, storable, tracking, company, category, cost in (
            ("Chair", True, "none", main, categ, 10.0), ("Desk", False, "none", main, categ, 50.0),
            ("Serial Lamp", False, "serial", main, categ, 5.0), ("Table", True, "none", main, categ, 40.0),
            ("Other Co Widget", False, "none", other, other_categ, 1.0)):
        values = {"name": name, "is_storable": storable, "type": "consu", "tracking": tracking,
                  "company_id": company, "categ_id": category, "standard_price": cost}
        template = ins(m["product.template"], values)
        ins(m["product.product"], {**values, "product_tmpl_id": template, "qty_available": 0.0})
    for name, usage, company in (("WH/Stock", "internal", main), ("Virtual/Inventory adjustment", "inventory", main),
                                 ("OC/Stock", "internal", other), ("Virtual/Inventory (Other Co)", "inventory", other),
                                 ("WH", "view", main)):
        ins(m["stock.location"], {"name": name, "usage": usage, "company_id": company})
    ins(m["stock.lot"], {"name": "LOT-1", "product_id": 3, "company_id": main})
    now = "2026-11-20 10:00:00"
    for name, state, produced in (("WH/MO/00001", "draft", 0.0), ("WH/MO/00002", "confirmed", 0.0)):
        production = ins(m["mrp.production"], {"name": name, "state": state, "product_id": 4, "product_qty": 1.0,
                                               "qty_produced": produced, "company_id": main, "date_start": now})
        for field, product in (("raw_material_production_id", 1), ("production_id", 4)):
            ins(m["stock.move"], {"reference": name, "product_id": product, "location_id": 1, "location_dest_id": 1,
                                  "quantity": 0.0, "state": "draft" if state == "draft" else "confirmed",
                                  "company_id": main, field: production, "date": now})
    ins(m["mrp.production"], {"name": "OC/MO/00001", "state": "draft", "product_id": 5, "product_qty": 1.0,
                              "qty_produced": 0.0, "company_id": other, "date_start": now})


# ---- ORM rules of the business models ----


@record_method
def _template_write(env: Env, model: Model, ids: list[int], vals: Any) -> bool:
    """Odoo refuses to change what a product is once it has stock moves; variants follow their template."""
    variants = env.db.models["product.product"]
    moves = env.db.models["stock.move"].records.values()
    if "is_storable" in (vals or {}):
        for template_id in ids:
            variant_ids = [v["id"] for v in variants.records.values() if v["product_tmpl_id"] == template_id]
            if any(move["product_id"] in variant_ids and move["state"] == "done" for move in moves):
                raise UserErrorOdoo("You cannot change the product type or inventory tracking of a product that "
                                    "already has stock moves.")
    write(env, model, ids, vals)
    shared = {key: value for key, value in vals.items() if key in variants.fields}
    for variant in variants.records.values():
        if variant["product_tmpl_id"] in ids:
            variant.update(shared)
    return True


def _quant_create(env: Env, model: Model, vals_list: Any) -> Any:
    if not env.context.get("inventory_mode"):
        raise UserErrorOdoo("Quant's creation is restricted, you can't do this operation.")
    rows = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
    for row in rows:
        product = env.db.models["product.product"].records.get(row.get("product_id"))
        if product and not product["is_storable"]:
            raise UserErrorOdoo(f"Quants cannot be created for consumables or services ({product['name']}).")
        location = env.db.models["stock.location"].records.get(row.get("location_id"))
        if location:
            row.setdefault("company_id", location["company_id"])
    return create(env, model, vals_list)


@record_method
def _apply_inventory(env: Env, model: Model, ids: list[int]) -> bool:
    """Each counted quant becomes its counted quantity through a done inventory move."""
    env.check_access(model, "write")
    moves = env.db.models["stock.move"]
    conflicts = getattr(env.db, "inventory_conflicts", set())
    if any(quant["product_id"] in conflicts for quant in env.existing(model, ids)):
        return {"type": "ir.actions.act_window", "res_model": "stock.inventory.conflict", "target": "new"}
    for quant in env.existing(model, ids):
        if not quant.get("inventory_quantity_set"):
            raise UserErrorOdoo("Only counted quants can be applied.")
        diff = float(quant["inventory_quantity"] or 0) - float(quant["quantity"] or 0)
        product = env.db.models["product.product"].records[quant["product_id"]]
        loss = next(loc["id"] for loc in env.db.models["stock.location"].records.values()
                    if loc["usage"] == "inventory" and loc["company_id"] == quant["company_id"])
        source, dest = (loss, quant["location_id"]) if diff > 0 else (quant["location_id"], loss)
        price = float(product["standard_price"] or 0)
        v19 = major(env.db) >= 19
        move = env.insert(moves, {
            "reference": env.context.get("inventory_name") or "Product Quantity Updated",
            "product_id": quant["product_id"], "location_id": source, "location_dest_id": dest,
            "quantity": abs(diff), "state": "done", "is_inventory": True, "company_id": quant["company_id"],
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"), "price_unit": price,
            **({"is_valued": True, "value": round(abs(diff) * price, 2)} if v19 else {})})
        env.insert(env.db.models["stock.move.line"], {"move_id": move, "product_id": quant["product_id"],
                                                      "quantity": abs(diff), "lot_id": quant.get("lot_id") or False,
                                                      "company_id": quant["company_id"], "state": "done",
                                                      "location_id": source, "location_dest_id": dest})
        if not v19:  # 18.0: the value is the layer's, signed (into stock positive)
            env.insert(env.db.models["stock.valuation.layer"], {
                "stock_move_id": move, "product_id": quant["product_id"], "quantity": diff, "unit_cost": price,
                "value": round(diff * price, 2), "company_id": quant["company_id"],
                "lot_id": quant.get("lot_id") or False, "description": env.context.get("inventory_name") or ""})
        quant.update({"quantity": quant["inventory_quantity"], "inventory_quantity": 0.0,
                      "inventory_quantity_set": False,
                      "accounting_date": env.context.get("force_period_date") or quant.get("accounting_date")})
        product["qty_available"] = float(product["qty_available"] or 0) + diff
    return True


@record_method
def _move_unlink(env: Env, model: Model, ids: list[int]) -> bool:
    for move in env.existing(model, ids):
        if move["state"] not in ("draft", "cancel"):
            raise UserErrorOdoo("You can only delete draft or cancelled moves.")
    return unlink(env, model, ids)


@record_method
def _move_write(env: Env, model: Model, ids: list[int], vals: Any) -> bool:
    if (vals or {}).get("account_move_id") and any(move["account_move_id"] for move in env.existing(model, ids)):
        raise UserErrorOdoo("This stock move already has a journal entry.")
    return write(env, model, ids, vals)


@record_method
def _layer_write(env: Env, model: Model, ids: list[int], vals: Any) -> bool:
    if (vals or {}).get("account_move_id") and any(layer["account_move_id"] for layer in env.existing(model, ids)):
        raise UserErrorOdoo("This valuation layer already has a journal entry.")
    return write(env, model, ids, vals)


@record_method
def _production_unlink(env: Env, model: Model, ids: list[int]) -> bool:
    moves = env.db.models["stock.move"]
    for production in env.existing(model, ids):
        if production["state"] not in ("draft", "cancel"):
            raise UserErrorOdoo(f"{production['name']}: you can only delete draft or cancelled manufacturing orders.")
    for move_id in [mid for mid, move in moves.records.items()
                    if move["production_id"] in ids or move["raw_material_production_id"] in ids]:
        del moves.records[move_id]
    return unlink(env, model, ids)


def _entry_create(env: Env, model: Model, vals_list: Any) -> Any:
    """`line_ids` as (0, 0, values) commands, as Odoo takes them."""
    rows = [vals_list] if isinstance(vals_list, dict) else list(vals_list)
    created = []
    for row in rows:
        commands = row.pop("line_ids", [])
        entry = create(env, model, {**row, "state": "draft"})
        for command in commands:
            if not (isinstance(command, list) and len(command) == 3 and command[0] == 0):
                raise ValidationErrorOdoo(f"Invalid line command {command!r}")
            create(env, env.db.models["account.move.line"], {**command[2], "move_id": entry,
                                                              "company_id": row.get("company_id"),
                                                              "date": row.get("date"), "parent_state": "draft"})
        created.append(entry)
    return created[0] if isinstance(vals_list, dict) else created


@record_method
def _entry_post(env: Env, model: Model, ids: list[int]) -> bool:
    env.check_access(model, "write")
    lines = env.db.models["account.move.line"].records.values()
    for entry in env.existing(model, ids):
        own = [line for line in lines if line["move_id"] == entry["id"]]
        if round(sum(line["debit"] or 0 for line in own) - sum(line["credit"] or 0 for line in own), 2):
            raise UserErrorOdoo("The entry is not balanced.")
        if any((line["debit"] or 0) < 0 or (line["credit"] or 0) < 0 for line in own):
            raise UserErrorOdoo("Debit and credit must be positive.")
        entry.update({"state": "posted", "name": f"MISC/{entry['id']:05d}"})
        for line in own:
            line["parent_state"] = "posted"
    return True
