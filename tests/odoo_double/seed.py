"""The double's schema and starting data: partners, users, modules, models and fields, etc.

Two users: `admin` (group `system`, every right) and `demo` (group `user`: may read partners
and post messages, nothing on configuration) — so access errors are real, not simulated.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import modules, translations
from .database import Database, Env, Field, Model, User, record_method
from .errors import TypeErrorOdoo, ValueErrorOdoo

ALL = {"system"}
EVERYONE = {"system", "user"}

LICENSE = {
    "database.expiration_date": "2027-03-31 00:00:00",
    "database.expiration_reason": "renewal",
    "database.enterprise_code": "M2404abcdef1234567890",
}
"""The Enterprise subscription parameters Odoo keeps in ir.config_parameter (`add_license` adds them)."""
ADMIN = {"login": "admin", "password": "admin-secret-pw", "api_key": "admin-api-key"}
DEMO = {"login": "demo", "password": "demo-secret-pw", "api_key": "demo-api-key"}


def _acl(read: set[str], write: set[str] | None = None) -> dict[str, set[str]]:
    write = ALL if write is None else write
    return {"read": read, "write": write, "create": write, "unlink": write}


def _model(db: Database, name: str, description: str, fields: dict[str, Field], acl: dict[str, set[str]],
           order: str = "id") -> Model:
    return db.add_model(Model(name=name, description=description, fields=fields, acl=acl, order=order))


def _context_get(env: Env, model: Model) -> dict[str, Any]:
    return {"lang": "en_US", "tz": "Europe/Brussels", "uid": env.user.id}


def _has_group(env: Env, model: Model, *args: Any) -> bool:
    """`has_group`: on the user record from 17.0 (`[[uid], xml_id]`), on the model before (`[xml_id]`).
    A group's XML id `module.group_name` is the double's group `name` (`base.group_system` → system)."""
    on_records = env.db.version_info[0] >= 17
    if len(args) != (2 if on_records else 1):
        raise TypeErrorOdoo(f"res.users.has_group() takes {'ids and ' if on_records else ''}one group XML id")
    user = env.db.users[Env.ids(args[0])[0]] if on_records else env.user
    return str(args[-1]).partition(".")[2].removeprefix("group_") in user.groups


_NOT_GIVEN: Any = object()


@record_method
def _message_post(env: Env, model: Model, ids: list[int], body: str = "", subject: Any = False,
                  message_type: str = "notification", subtype_xmlid: Any = None, partner_ids: Any = None,
                  body_is_html: Any = _NOT_GIVEN, **extra: Any) -> int:
    """Odoo's `mail.thread.message_post`: one record's (`ensure_one`); from 17.0 a `str` body is escaped
    unless `body_is_html=True` (a `Markup` body cannot cross RPC); before 17.0 the body is stored as HTML."""
    env.check_access(model, "read")
    if len(ids) != 1:
        raise ValueErrorOdoo(f"Expected singleton: {model.name}({', '.join(str(i) for i in ids)})")
    env.existing(model, ids)
    major = int(env.db.version.split(".")[0])
    if major < 17 and body_is_html is not _NOT_GIVEN:  # the keyword came with 17.0 (odoo/odoo#129977)
        raise TypeErrorOdoo("message_post() got an unexpected keyword argument 'body_is_html'")
    if major >= 17 and body_is_html is not True:
        body = html.escape(body or "").replace("&quot;", "&#34;").replace("&#x27;", "&#39;")  # markupsafe's
    return env.insert(env.db.models["mail.message"], {
        "model": model.name, "res_id": ids[0], "body": body, "subject": subject, "message_type": message_type,
        "author_id": env.user.id})


def build(addons_paths: Iterable[Path] = (), partners: int = 150, version: str = "19.0") -> Database:
    """A fresh database; `addons_paths` are scanned by `ir.module.module.update_list`."""
    db = Database(version=version)
    db.addons_paths = list(addons_paths)
    _model(db, "res.partner", "Contact", {
        "name": Field("char", "Name", required=True),
        "email": Field("char", "Email"),
        "phone": Field("char", "Phone"),
        "city": Field("char", "City"),
        "is_company": Field("boolean", "Is a Company"),
        "employee": Field("integer", "Employees"),
        "credit_limit": Field("float", "Credit Limit"),
        "parent_id": Field("many2one", "Related Company", relation="res.partner"),
        "category_id": Field("many2many", "Tags", relation="res.partner.category"),
        "type": Field("selection", "Address Type",
                      selection=[("contact", "Contact"), ("invoice", "Invoice"), ("delivery", "Delivery")]),
        "active": Field("boolean", "Active"),
        "comment": Field("html", "Notes"),
        "image_1920": Field("binary", "Image"),
        "child_ids": Field("one2many", "Contacts", relation="res.partner"),
        "user_ids": Field("one2many", "Users", relation="res.users"),
        "signup_token": Field("char", "Signup Token"),
        "x_user_login": Field("char", "User Login", related="user_ids.login", readonly=True),
    }, _acl(EVERYONE, EVERYONE), order="name, id")
    db.models["res.partner"].methods["message_post"] = _message_post
    _model(db, "res.partner.category", "Partner Tags", {"name": Field("char", "Name", required=True)},
           _acl(EVERYONE))
    _model(db, "res.users", "User", {
        "name": Field("char", "Name", required=True),
        "login": Field("char", "Login", required=True),
        "partner_id": Field("many2one", "Related Partner", relation="res.partner"),
        "password": Field("char", "Password"),
        "totp_secret": Field("char", "Totp Secret"),
        "api_key_ids": Field("one2many", "API Keys", relation="res.users.apikeys"),
    }, _acl(EVERYONE))
    _sensitive_models(db)
    db.models["res.users"].methods["context_get"] = _context_get
    db.models["res.users"].methods["has_group"] = _has_group
    _model(db, "ir.config_parameter", "System Parameter", {
        "key": Field("char", "Key", required=True), "value": Field("text", "Value", required=True),
    }, _acl(ALL))
    _model(db, "ir.model", "Models", {
        "model": Field("char", "Model", required=True), "name": Field("char", "Model Description"),
        "transient": Field("boolean", "Transient Model"), "modules": Field("char", "In Apps"),
    }, _acl(EVERYONE))
    _model(db, "ir.model.fields", "Fields", {
        "model": Field("char", "Model"), "name": Field("char", "Field Name"),
        "field_description": Field("char", "Field Label"), "ttype": Field("char", "Field Type"),
        "relation": Field("char", "Related Model"), "required": Field("boolean", "Required"),
    }, _acl(EVERYONE))
    _model(db, "ir.module.module", "Module", {
        "name": Field("char", "Technical Name", required=True), "shortdesc": Field("char", "Module Name"),
        "summary": Field("char", "Summary"), "author": Field("char", "Author"), "license": Field("char", "License"),
        "application": Field("boolean", "Application"), "category_id": Field("integer", "Category"),
        "latest_version": Field("char", "Installed Version"), "installed_version": Field("char", "Latest Version"),
        "state": Field("selection", "Status", selection=[
            ("uninstallable", "Uninstallable"), ("uninstalled", "Not Installed"), ("installed", "Installed"),
            ("to upgrade", "To be upgraded"), ("to remove", "To be removed"), ("to install", "To be installed")]),
    }, _acl(EVERYONE), order="name")
    db.models["ir.module.module"].methods.update(modules.METHODS)
    _model(db, "ir.module.module.dependency", "Module dependency", {
        "name": Field("char", "Name"), "module_id": Field("many2one", "Module", relation="ir.module.module"),
    }, _acl(EVERYONE))
    _model(db, "ir.attachment", "Attachment", {
        "name": Field("char", "Name", required=True), "res_model": Field("char", "Resource Model"),
        "res_id": Field("integer", "Resource ID"), "datas": Field("binary", "File Content"),
        "mimetype": Field("char", "Mime Type"), "file_size": Field("integer", "File Size"),
        "res_field": Field("char", "Resource Field"),
    }, _acl(EVERYONE, EVERYONE))
    _model(db, "mail.message", "Message", {
        "model": Field("char", "Related Document Model"), "res_id": Field("integer", "Related Document ID"),
        "body": Field("html", "Contents"), "subject": Field("char", "Subject"),
        "message_type": Field("char", "Type"), "author_id": Field("integer", "Author"),
    }, _acl(EVERYONE, EVERYONE))
    _model(db, "ir.actions.report", "Report Action", {
        "name": Field("char", "Name", required=True), "model": Field("char", "Model Name"),
        "report_name": Field("char", "Template Name"), "report_type": Field("char", "Report Type"),
    }, _acl(EVERYONE))
    _seed(db, partners)
    translations.install(db)
    return db


def _seed(db: Database, partners: int) -> None:
    db.users[2] = User(id=2, name="Mitchell Admin", groups={"system", "user"}, **ADMIN)
    db.users[6] = User(id=6, name="Marc Demo", groups={"user"}, **DEMO)
    env = Env(db, db.users[2])
    partner_model = db.models["res.partner"]
    company = env.insert(partner_model, {"name": "YourCompany", "is_company": True, "employee": 12,
                                         "city": "Brussels", "active": True, "type": "contact"})
    for number in range(1, partners + 1):
        env.insert(partner_model, {
            "name": f"Partner {number:03d}", "email": f"partner{number}@example.com", "phone": f"+32 2 {number:04d}",
            "city": ("Brussels", "Ghent", "Liège")[number % 3], "is_company": number % 5 == 0,
            "employee": number % 7, "credit_limit": float(number * 10), "parent_id": company if number % 4 else False,
            "active": True, "type": "contact",
        })
    env.insert(db.models["res.partner.category"], {"name": "VIP"})
    for user in db.users.values():
        env.insert(db.models["res.users"], {"name": user.name, "login": user.login})
    # keep res.users ids equal to the users' uids
    users = db.models["res.users"]
    users.records = {user.id: {**rec, "id": user.id} for user, rec in zip(db.users.values(), users.records.values(),
                                                                         strict=True)}
    for key, value in (("web.base.url", "http://localhost:8069"), ("database.secret", "s3cr3t")):
        env.insert(db.models["ir.config_parameter"], {"key": key, "value": value})
    for name, model in db.models.items():
        env.insert(db.models["ir.model"], {"model": name, "name": model.description, "transient": False,
                                           "modules": "base"})
        for field_name, spec in model.fields.items():
            env.insert(db.models["ir.model.fields"], {
                "model": name, "name": field_name, "field_description": spec.string, "ttype": spec.type,
                "relation": spec.relation or False, "required": spec.required})
    env.insert(db.models["ir.actions.report"], {"name": "Partner Card", "model": "res.partner",
                                                "report_name": "contacts.report_partner_card",
                                                "report_type": "qweb-pdf"})
    env.insert(db.models["ir.attachment"], {"name": "hello.txt", "res_model": "res.partner", "res_id": company,
                                            "datas": base64.b64encode(b"hello world").decode(),
                                            "mimetype": "text/plain", "file_size": 11})
    modules.seed_modules(env)
    _seed_secrets(env)


SECRETS = {"database.secret": "s3cr3t", "totp_secret": "JBSWY3DPEHPK3PXP", "apikey": "hashed-key-1",
           "smtp_pass": "smtp-pw", "fetchmail_password": "imap-pw", "stripe_secret_key": "sk_live_123",
           "signup_token": "tok-abc", "smtp_pem": base64.b64encode(b"-----BEGIN PRIVATE KEY-----").decode(),
           "private_key_file": base64.b64encode(b"private key bytes").decode()}
"""Secret values the seed plants in sensitive models and fields: none may reach an agent by default."""


def _sensitive_models(db: Database) -> None:
    """Models that hold credentials (tools/odoo_kit/sensitive_rules.py refuses them unless a policy opts in)."""
    _model(db, "res.users.apikeys", "Users API Keys", {
        "name": Field("char", "Description", required=True), "user_id": Field("many2one", "User", relation="res.users"),
        "key": Field("char", "Key"), "scope": Field("char", "Scope"),
    }, _acl(ALL))
    _model(db, "auth_totp.device", "Authentication Device", {
        "name": Field("char", "Description"), "user_id": Field("many2one", "User", relation="res.users"),
    }, _acl(ALL))
    _model(db, "ir.mail_server", "Mail Server", {
        "name": Field("char", "Name", required=True), "smtp_host": Field("char", "SMTP Server"),
        "smtp_user": Field("char", "Username"), "smtp_pass": Field("char", "Password"),
    }, _acl(ALL))
    _model(db, "fetchmail.server", "Incoming Mail Server", {
        "name": Field("char", "Name", required=True), "server": Field("char", "Server Name"),
        "user": Field("char", "Username"), "password": Field("char", "Password"),
    }, _acl(ALL))
    _model(db, "payment.provider", "Payment Provider", {
        "name": Field("char", "Name", required=True), "code": Field("char", "Code"),
        "state": Field("char", "State"), "stripe_secret_key": Field("char", "Secret Key"),
        "stripe_publishable_key": Field("char", "Publishable Key"),
    }, _acl(ALL))


def _seed_secrets(env: Env) -> None:
    db = env.db
    users = db.models["res.users"]
    users.records[2].update({"password": "", "totp_secret": SECRETS["totp_secret"]})
    key_id = env.insert(db.models["res.users.apikeys"], {"name": "ci", "user_id": 2, "key": SECRETS["apikey"],
                                                         "scope": "rpc"})
    users.records[2]["api_key_ids"] = [key_id]
    env.insert(db.models["auth_totp.device"], {"name": "laptop", "user_id": 2})
    env.insert(db.models["ir.mail_server"], {"name": "smtp", "smtp_host": "smtp.example.com", "smtp_user": "odoo",
                                             "smtp_pass": SECRETS["smtp_pass"]})
    env.insert(db.models["fetchmail.server"], {"name": "imap", "server": "imap.example.com", "user": "odoo",
                                               "password": SECRETS["fetchmail_password"]})
    env.insert(db.models["payment.provider"], {"name": "Stripe", "code": "stripe", "state": "enabled",
                                               "stripe_secret_key": SECRETS["stripe_secret_key"],
                                               "stripe_publishable_key": "pk_live_123"})
    partners = db.models["res.partner"]
    partners.records[1].update({"signup_token": SECRETS["signup_token"], "user_ids": [2], "x_user_login": "admin",
                                "comment": "<p>" + "long note " * 400 + "</p>",
                                "image_1920": base64.b64encode(b"\x89PNG fake").decode(), "child_ids": [2, 3]})
    env.insert(db.models["ir.actions.report"], {"name": "System Parameters", "model": "ir.config_parameter",
                                                "report_name": "base.report_config_parameters",
                                                "report_type": "qweb-pdf"})
    env.insert(db.models["ir.attachment"], {"name": "smtp.pem", "res_model": "ir.mail_server", "res_id": 1,
                                            "datas": SECRETS["smtp_pem"],
                                            "mimetype": "application/x-pem-file", "file_size": 27})
    env.insert(db.models["ir.attachment"], {"name": "company.key", "res_model": "res.partner", "res_id": 1,
                                            "res_field": "l10n_private_key",
                                            "datas": SECRETS["private_key_file"],
                                            "mimetype": "application/octet-stream", "file_size": 17})


def render_pdf(env: Env, report_name: str, ids: list[int]) -> bytes:
    """A small valid-looking PDF naming the records, for `/report/pdf/...`."""
    reports = [r for r in env.db.models["ir.actions.report"].records.values() if r["report_name"] == report_name]
    if not reports:
        from .errors import MissingErrorOdoo

        raise MissingErrorOdoo(f"Report {report_name!r} does not exist")
    model = env.model(reports[0]["model"])
    env.check_access(model, "read")
    names = ", ".join(str(rec.get("name")) for rec in env.existing(model, ids))
    text = f"{reports[0]['name']}: {names}".encode()
    return b"%PDF-1.4\n% odoo double\n1 0 obj << /Title (" + text + b") >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def add_license(db: Database) -> None:
    """An Enterprise database: the subscription parameters `ee_license_status` reads (not in the default seed)."""
    env = Env(db, db.users[2])
    for key, value in LICENSE.items():
        env.insert(db.models["ir.config_parameter"], {"key": key, "value": value})
