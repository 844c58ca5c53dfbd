"""The routes by which a secret could leave Odoo, each with what must happen to it.

Shared by tests/test_sensitive_odoo.py (the shipped rules, then the explicit opt-in) and
tests/test_example_policies.py (every example policy keeps every secret in Odoo).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guard.guard import Guard, Result
from guard.policy import load_policy, parse_policy
from guard.spec import Caller
from odoo_mcp.config import Roots, Settings
from odoo_mcp.server import build_guard
from tests.odoo_double import ADMIN, OdooDouble
from tests.odoo_double.seed import SECRETS
from tools.odoo_kit.sensitive_rules import MASK

REFUSE, MASKED = "refuse", "mask"


@dataclass(frozen=True)
class Route:
    """One call; `shipped`: refused or masked by default; `reveals`: what the opt-in lets through."""

    name: str
    tool: str
    args: dict[str, Any]
    shipped: str
    reveals: str | None = None


def attachment_id(double: OdooDouble, name: str) -> int:
    records = double.database.models["ir.attachment"].records.values()
    return next(rec["id"] for rec in records if rec["name"] == name)


def routes(double: OdooDouble) -> list[Route]:
    secret_param = [["key", "=", "database.secret"]]
    return [
        Route("search_read a system parameter", "odoo_search_read",
              {"model": "ir.config_parameter", "domain": secret_param}, REFUSE, SECRETS["database.secret"]),
        Route("read_group on system parameter values", "odoo_read_group",
              {"model": "ir.config_parameter", "groupby": ["value"]}, REFUSE, SECRETS["database.secret"]),
        Route("count as an oracle on a parameter value", "odoo_search_count",
              {"model": "ir.config_parameter", "domain": [["value", "=like", "s3%"]]}, REFUSE),
        Route("search by login", "odoo_search", {"model": "res.users", "domain": [["login", "=", "admin"]]}, REFUSE),
        Route("count as an oracle on a TOTP secret", "odoo_search_count",
              {"model": "res.users", "domain": ["!", ["totp_secret", "not like", "J%"]]}, REFUSE),
        Route("display_name as an oracle on logins", "odoo_search_count",
              {"model": "res.users", "domain": [["display_name", "=like", "adm%"]]}, REFUSE),
        Route("name_search as an oracle on logins", "odoo_execute",
              {"model": "res.users", "method": "name_search", "kwargs": {"name": "adm"}}, REFUSE),
        Route("filter through a relation", "odoo_search_count",
              {"model": "res.partner", "domain": [["user_ids.login", "=", "admin"]]}, REFUSE),
        Route("filter in an 'any' sub-domain", "odoo_search",
              {"model": "res.partner", "domain": ["|", ["name", "=", "x"],
                                                  ["user_ids", "any", [["totp_secret", "!=", False]]]]}, REFUSE),
        Route("sort by a token", "odoo_search", {"model": "res.partner", "order": "name, signup_token desc"}, REFUSE),
        Route("group by login", "odoo_read_group", {"model": "res.users", "groupby": ["login"]}, REFUSE, "admin"),
        Route("aggregate a TOTP secret", "odoo_read_group",
              {"model": "res.users", "groupby": ["name"], "aggregates": ["totp_secret:count_distinct"]}, REFUSE),
        Route("read users' secrets by name", "odoo_search_read",
              {"model": "res.users", "fields": ["name", "login", "totp_secret"]}, MASKED, SECRETS["totp_secret"]),
        Route("read a user without fields", "odoo_read", {"model": "res.users", "ids": [2]}, MASKED,
              SECRETS["totp_secret"]),
        Route("read a partner's signup token", "odoo_read", {"model": "res.partner", "ids": [1]}, MASKED,
              SECRETS["signup_token"]),
        Route("read a related login", "odoo_search_read",
              {"model": "res.partner", "domain": [["id", "=", 1]], "fields": ["name", "x_user_login"]}, MASKED,
              "admin"),
        Route("filter on a related login", "odoo_search_count",
              {"model": "res.partner", "domain": [["x_user_login", "=", "admin"]]}, REFUSE),
        Route("back up secret attachments", "odoo_record_backup",
              {"model": "ir.attachment", "domain": [], "fields": ["name", "datas", "res_model", "res_field"],
               "save_path": "attachments.json"}, MASKED, SECRETS["smtp_pem"]),
        Route("execute a read of attachment content", "odoo_execute",
              {"model": "ir.attachment", "method": "read",
               "args": [[attachment_id(double, "company.key")]], "kwargs": {"fields": ["datas"]}}, MASKED),
        Route("describe API keys", "odoo_fields_get", {"model": "res.users.apikeys"}, REFUSE),
        Route("read API keys", "odoo_search_read", {"model": "res.users.apikeys"}, REFUSE, SECRETS["apikey"]),
        Route("read TOTP devices", "odoo_search_read", {"model": "auth_totp.device"}, REFUSE, "laptop"),
        Route("read mail servers", "odoo_search_read", {"model": "ir.mail_server"}, REFUSE, SECRETS["smtp_pass"]),
        Route("read incoming mail servers", "odoo_search_read", {"model": "fetchmail.server"}, REFUSE,
              SECRETS["fetchmail_password"]),
        Route("read payment credentials", "odoo_search_read", {"model": "payment.provider"}, MASKED,
              SECRETS["stripe_secret_key"]),
        Route("execute on a sensitive model", "odoo_execute",
              {"model": "ir.config_parameter", "method": "search_read", "args": [secret_param]}, REFUSE,
              SECRETS["database.secret"]),
        Route("execute a sort by login, a tab before its direction", "odoo_execute",
              {"model": "res.users", "method": "search", "args": [[]], "kwargs": {"order": "login\tdesc"}}, REFUSE),
        Route("execute a count oracle", "odoo_execute",
              {"model": "res.users", "method": "search_count", "args": [[["login", "=like", "adm%"]]]}, REFUSE),
        Route("execute a read of secrets", "odoo_execute",
              {"model": "res.users", "method": "read", "args": [[2]], "kwargs": {"fields": ["login", "totp_secret"]}},
              MASKED, SECRETS["totp_secret"]),
        Route("execute a group-by on login", "odoo_execute",
              {"model": "res.users", "method": "formatted_read_group",
               "kwargs": {"domain": [], "groupby": ["login"]}}, REFUSE,
              "admin"),
        Route("export a login", "odoo_execute",
              {"model": "res.users", "method": "export_data",
               "kwargs": {"ids": [2], "fields_to_export": ["name", "login"]}}, REFUSE),
        Route("back up system parameters", "odoo_record_backup",
              {"model": "ir.config_parameter", "domain": [], "save_path": "params.json"}, REFUSE,
              SECRETS["database.secret"]),
        Route("back up a user", "odoo_record_backup", {"model": "res.users", "ids": [2], "save_path": "user.json"},
              MASKED, SECRETS["totp_secret"]),
        Route("back up by a login filter", "odoo_record_backup",
              {"model": "res.users", "domain": [["login", "=", "admin"]], "save_path": "by_login.json"}, REFUSE),
        Route("print system parameters", "odoo_report",
              {"report_name": "base.report_config_parameters", "ids": [1]}, REFUSE),
        Route("download a mail server's attachment", "odoo_attachment_download",
              {"attachment_id": attachment_id(double, "smtp.pem")}, REFUSE),
        Route("download a private key field's file", "odoo_attachment_download",
              {"attachment_id": attachment_id(double, "company.key")}, REFUSE),
        Route("write a login", "odoo_write", {"model": "res.users", "ids": [2], "values": {"login": "admin"}}, REFUSE),
        Route("create a system parameter", "odoo_create",
              {"model": "ir.config_parameter", "values": {"key": "k", "value": "v"}}, REFUSE),
    ]


OPT_IN = {
    "allow_models": ["ir.config_parameter", "res.users.apikeys", "auth_totp.device", "ir.mail_server",
                     "fetchmail.server"],
    "allow_fields": ["res.users.login", "res.users.totp_secret", "res.partner.signup_token", "ir.mail_server.smtp_pass",
                     "fetchmail.server.password", "payment.provider.stripe_secret_key",
                     "res.partner.l10n_private_key"],
}


def odoo_env(double: OdooDouble, protocol: str, **extra: str) -> dict[str, str]:
    secret = {"ODOO_API_KEY": ADMIN["api_key"]} if protocol == "json2" else {"ODOO_PASSWORD": ADMIN["password"]}
    return {"ODOO_URL": double.url, "ODOO_DB": double.db, "ODOO_USERNAME": ADMIN["login"], "ODOO_PROTOCOL": protocol,
            "ODOO_TIMEOUT": "5", **secret, **extra}


@asynccontextmanager
async def in_process(policy: dict[str, Any] | Path, double: OdooDouble, protocol: str, files: Path, **env: str):
    """The guard with every tool wrapped, in this process, talking to the double over real HTTP."""
    files.mkdir(exist_ok=True)
    parsed = load_policy(policy) if isinstance(policy, Path) else parse_policy(policy)
    settings = Settings(policy_path=Path("unused"), audit_stderr=False, roots=Roots(files_dir=files),
                        env=odoo_env(double, protocol, **env))
    guard, runtime = build_guard(settings, parsed)
    try:
        yield guard
    finally:
        runtime.close()


async def call(guard: Guard, tool: str, arguments: dict[str, Any]) -> Result:
    return await guard.tools[tool](arguments, Caller())


def leaked(seen: str) -> list[str]:
    """Which planted secrets (and the admin's login) an agent could read in `seen`."""
    names = [name for name, secret in SECRETS.items() if secret in seen]
    return names + (["admin login"] if '"admin"' in seen else [])


def everything_seen(result: Result, files: Path) -> str:
    """The answer's text, plus any file it wrote: what an agent could read next."""
    seen = result.text
    if not result.is_error and isinstance(result.data, dict) and isinstance(result.data.get("path"), str):
        seen += (files / result.data["path"]).read_text()
    return seen


__all__ = ["MASK", "MASKED", "OPT_IN", "REFUSE", "Route", "call", "everything_seen", "in_process", "leaked", "routes"]
