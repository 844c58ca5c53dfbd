"""Tool names a policy may use: this server's, and upstream's that this server does not implement.

A misspelt name in a policy fails open — `hide: ["ee_deplooy"]` hides nothing, and a rule for
`odoo_unlnk` denies nothing — so a name that is not one of this server's tools stops `policy
check` and `serve`, with a "did you mean …" (difflib). A policy written for the upstream
project (rosenvladimirov/odoo-claude-mcp: odoo-rpc-mcp, ee-mcp, oca-mcp) may name tools this
server does not have yet; those get a one-line warning instead, so such a policy still loads
(a rule for a tool that does not exist can allow nothing). The names below come from
/work/shared/UPSTREAM.md and UPSTREAM-FAMILIES.md (upstream 2.25.x); upstream's proxy also
exposes ee-mcp and oca-mcp tools as `ee__<tool>` / `oca__<tool>`.

Upstream also serves 74 tools that are not Odoo's (`UPSTREAM_ELSEWHERE`: Telegram, Google,
memory files, AI pipelines, SSH/Git, Cloudflare, Contabo/S3 — read from its odoo-rpc-mcp,
cloudflare-mcp and contabo-mcp servers at 75405124). This server does not implement them; it can
serve such a tool by mounting an MCP server that provides it (docs/mounts), under the name
`<mount>__<tool>`. A policy naming one loads with a warning saying so.

This check lives here, not in `guard/`: the guard knows no server's tool names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from guard.policy import Policy

UPSTREAM_FAMILIES: dict[str, tuple[str, ...]] = {
    "ee-mcp": (
        "ee_clone", "ee_update", "ee_modules", "ee_search", "ee_depends", "ee_link", "ee_unlink",
        "ee_deploy", "ee_token_check", "ee_license_status", "ee_oca_conflicts", "ee_oca_recommend",
    ),
    "oca-mcp": (
        "oca_clone_all", "oca_clone_repo", "oca_update", "oca_status", "oca_search", "oca_deploy",
        "oca_link", "oca_gen_readme", "oca_gen_table", "oca_gen_icon", "oca_gen_requirements",
        "oca_changelog", "oca_migrate", "oca_fix_website",
    ),
    "odoo-rpc-mcp: CRUD, introspection, modules, files, connections": (
        "odoo_list_models", "odoo_fields_get", "odoo_search", "odoo_read", "odoo_search_read",
        "odoo_search_count", "odoo_create", "odoo_write", "odoo_unlink", "odoo_execute", "odoo_message_post",
        "odoo_version", "odoo_refresh", "odoo_record_backup", "odoo_module_info", "odoo_report",
        "odoo_attachment_upload", "odoo_attachment_download", "odoo_connect", "odoo_disconnect",
        "odoo_connections", "odoo_cert_info", "odoo_cert_refresh",
    ),
    "odoo-rpc-mcp: translations": (
        "odoo_get_field_translations", "odoo_list_translatable_fields", "odoo_translate_context_aware",
        "odoo_translate_field", "odoo_translate_html",
    ),
    "odoo-rpc-mcp: website snippets": (
        "odoo_website_add_snippet", "odoo_website_list_page_snippets", "odoo_website_list_snippets",
        "odoo_website_remove_snippet", "odoo_website_update_snippet",
    ),
    "odoo-rpc-mcp: fiscal positions": (
        "odoo_fp_configure", "odoo_fp_details", "odoo_fp_list", "odoo_fp_remove_action", "odoo_fp_types",
    ),
    "odoo-rpc-mcp: stock": (
        "odoo_stock_close_unaccounted_value", "odoo_stock_initial_delete", "odoo_stock_initial_import",
        "odoo_stock_initial_opening_journal", "odoo_stock_mo_delete_draft",
        "odoo_stock_product_flip_to_storable",
    ),
    "odoo-rpc-mcp: web session": (
        "odoo_web_call", "odoo_web_export", "odoo_web_login", "odoo_web_logout", "odoo_web_read",
        "odoo_web_report", "odoo_web_request",
    ),
    "odoo-rpc-mcp: public access (portal, shop, reports)": (
        "public_access_barcode", "public_access_download", "public_access_export_csv",
        "public_access_export_xlsx", "public_access_image", "public_access_portal_home",
        "public_access_report_html", "public_access_report_pdf", "public_access_report_xlsx",
        "public_access_shop", "public_access_sitemap", "public_access_portal_invoices",
        "public_access_portal_orders", "public_access_portal_purchases", "public_access_portal_tickets",
    ),
    "odoo-rpc-mcp: identity": (
        "identify", "who_am_i", "user_connection_add", "user_connection_list", "user_connection_activate",
        "user_connection_delete",
    ),
}  # fmt: skip
"""Upstream's tools by server and family, as its users and PolicyLayer's pages name them."""

UPSTREAM_TOOL_NAMES: frozenset[str] = frozenset(name for names in UPSTREAM_FAMILIES.values() for name in names)

UPSTREAM_ELSEWHERE: dict[str, tuple[str, ...]] = {
    "AI documents and invoice pipelines": (
        "ai_collection_info", "ai_invoice_extract", "ai_invoice_pipeline_run", "ai_invoice_pipeline_steps",
        "ai_invoice_pipeline_summary", "ai_invoice_plugins_reload", "ai_invoice_scan_pending",
        "ai_invoice_stack_inspect", "ai_list_documents", "ai_pipeline_run", "ai_pipeline_step_execute",
        "ai_pipeline_steps_list", "ai_search_similar", "ai_tokenize_collection", "ai_tokenize_record",
        "ai_usage_budget_status", "ai_usage_log_export", "ai_usage_log_query", "ai_usage_log_stats",
    ),
    "Google (Gmail, Calendar)": (
        "google_auth", "google_auth_status", "google_calendar_create_event", "google_calendar_delete_event",
        "google_calendar_events", "google_calendar_list", "google_calendar_update_event", "google_gmail_labels",
        "google_gmail_read", "google_gmail_search", "google_gmail_send",
    ),
    "Telegram": (
        "telegram_auth", "telegram_auth_status", "telegram_configure", "telegram_get_dialogs",
        "telegram_get_messages", "telegram_search_contacts", "telegram_send_message",
    ),
    "memory files": ("memory_delete", "memory_list", "memory_pull", "memory_read", "memory_share", "memory_write"),
    "SSH, Git, GitHub": ("git_remote", "github_api", "ssh_execute"),
    "proxy and terminal": (
        "mcp_terminal_get_config", "open_connection_manager", "proxy_call", "proxy_discover", "proxy_refresh",
    ),
    "Cloudflare (cloudflare-mcp)": (
        "cf_zones_list", "cf_dns_list", "cf_dns_create", "cf_dns_update", "cf_dns_delete", "cf_tunnel_list",
        "cf_tunnel_config_get", "cf_tunnel_config_put", "cf_tunnel_route_add", "cf_tunnel_route_remove",
    ),
    "Contabo and S3 (contabo-mcp)": (
        "contabo_account_info", "contabo_object_storages_list", "contabo_object_storage_get",
        "contabo_object_storage_stats", "contabo_instances_list", "s3_buckets_list", "s3_bucket_create",
        "s3_bucket_delete", "s3_bucket_stats", "s3_objects_list", "s3_object_get", "s3_object_delete",
        "s3_objects_delete_prefix",
    ),
}  # fmt: skip
"""Upstream's tools that are not Odoo's, by family: served here only by mounting a server that has them."""

ELSEWHERE_FAMILY: dict[str, str] = {name: family for family, names in UPSTREAM_ELSEWHERE.items() for name in names}

PROXY_PREFIXES = ("ee__", "oca__")


def upstream_coverage(served: Iterable[str]) -> list[tuple[str, int, int]]:
    """Per upstream family: (family, how many of its tools this server serves, how many it has)."""
    have = set(served)
    return [(family, sum(name in have for name in names), len(names)) for family, names in UPSTREAM_FAMILIES.items()]


def is_upstream_name(name: str) -> bool:
    """An upstream tool name, directly or as upstream's proxy exposes it (`ee__ee_link`)."""
    if name in UPSTREAM_TOOL_NAMES:
        return True
    return any(name.startswith(prefix) and name[len(prefix) :] in UPSTREAM_TOOL_NAMES for prefix in PROXY_PREFIXES)


@dataclass
class NameReport:
    """Problems stop the start (`path: message` lines, like the policy's); warnings are printed."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_tool_names(policy: Policy, known: Iterable[str], mounts: Iterable[str] = ()) -> NameReport:
    """Every tool name in `tools` and `hide` against this server's tools (`known`, mounted tools
    included). A `NAME__tool` name of a configured mount (`mounts`) that is not running, or does not
    offer that tool, is a warning: a mount that fails to start must not stop the server."""
    prefixes = tuple(f"{mount}__" for mount in mounts)
    names = sorted(set(known))
    report = NameReport()
    places = [(f"tools.{name}", name) for name in policy.tools]
    places += [(f"hide[{index}]", name) for index, name in enumerate(policy.hide)]
    for path, name in places:
        if name == "*" or name in names:
            continue
        if is_upstream_name(name):
            report.warnings.append(
                f"{path}: '{name}' is an upstream Odoo Claude MCP tool that this server does not implement; "
                "its rule has no effect"
            )
            continue
        if name in ELSEWHERE_FAMILY:
            report.warnings.append(
                f"{path}: '{name}' is an upstream tool ({ELSEWHERE_FAMILY[name]}) that is not Odoo's and not served "
                f"here; mount an MCP server that provides it to serve it (its name is then <mount>__{name}); "
                "until then its rule has no effect"
            )
            continue
        if prefixes and name.startswith(prefixes):
            report.warnings.append(
                f"{path}: '{name}' is not offered by its mount right now (not started, or no such tool); "
                "its rule has no effect until it is"
            )
            continue
        close = difflib.get_close_matches(name, names, n=2, cutoff=0.8)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        report.problems.append(f"{path}: '{name}' is not a tool of this server{hint}")
    return report
