"""The small addons tree `odoo-mcp demo` runs on, written into a temporary folder.

The demo must run from an installed copy (pipx, `uv tool install`), where the repository's
`addons_stub/` does not exist and a wheel could not carry its symlink anyway. So the few
modules the demo needs are described here and written out on each run: an Enterprise
checkout (with the chain account_reports -> account_accountant -> web_enterprise and a
symlink that leaves the checkout), the community modules they depend on, one OCA repository,
and an empty addons target. Manifests are data, as Odoo's are.
"""

from __future__ import annotations

import os
import pprint
from pathlib import Path

ModuleInfo = tuple[str, str, str, list[str]]
"""(name, category, summary, depends)."""

ENTERPRISE: dict[str, ModuleInfo] = {
    "web_enterprise": ("Web Enterprise", "Hidden", "Enterprise web client", ["web"]),
    "account_accountant": (
        "Accounting", "Accounting/Accounting", "Manage financial and analytic accounting", ["account", "web_enterprise"]
    ),
    "account_reports": (
        "Accounting Reports", "Accounting/Accounting", "View and create reports", ["account_accountant"]
    ),
    "sign": ("Sign", "Sales/Sign", "Send documents to sign online", ["mail", "portal", "web_enterprise"]),
    "planning": ("Planning", "Human Resources/Planning", "Manage your employees' schedule", ["hr", "web_enterprise"]),
    "helpdesk": ("Helpdesk", "Services/Helpdesk", "Track, prioritize and solve customer tickets", ["mail", "portal"]),
}  # fmt: skip
COMMUNITY: dict[str, ModuleInfo] = {
    "base": ("Base", "Hidden", "The kernel of Odoo, needed for all installation", []),
    "web": ("Web", "Hidden", "Web client", ["base"]),
    "mail": ("Discuss", "Productivity/Discuss", "Chat, mail gateway and private channels", ["base", "web"]),
    "portal": ("Customer Portal", "Hidden", "Customer portal", ["web", "mail"]),
    "account": ("Invoicing", "Accounting/Accounting", "Invoices & payments", ["base", "portal"]),
    "hr": ("Employees", "Human Resources/Employees", "Centralize employee information", ["base", "mail", "web"]),
}
OCA: dict[str, dict[str, ModuleInfo]] = {
    "account-financial-reporting": {
        "account_financial_report": (
            "Account Financial Reports", "Accounting/Accounting", "OCA accounting reports", ["account"]
        ),
    },
}  # fmt: skip
OUTSIDE = {"secret_module": ("Secret", "Hidden", "Must never be linked", ["base"])}


def _manifest(info: ModuleInfo, author: str, license_: str) -> str:
    name, category, summary, depends = info
    manifest = {
        "name": name,
        "version": "19.0.1.0.0",
        "category": category,
        "summary": summary,
        "depends": depends,
        "author": author,
        "license": license_,
        "installable": True,
    }
    return "# Written by `odoo-mcp demo`: a manifest is data, never executed.\n" + pprint.pformat(manifest) + "\n"


def _write_modules(folder: Path, modules: dict[str, ModuleInfo], author: str, license_: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for technical_name, info in modules.items():
        module = folder / technical_name
        module.mkdir()
        (module / "__init__.py").write_text("")
        (module / "__manifest__.py").write_text(_manifest(info, author, license_))


def write_demo_tree(root: Path) -> dict[str, Path]:
    """Write the tree under `root`; return its folders by role (enterprise, community, oca, target)."""
    folders = {
        "enterprise": root / "enterprise",
        "community": root / "addons",
        "oca": root / "oca",
        "target": root / "target",
    }
    _write_modules(folders["enterprise"], ENTERPRISE, "Odoo S.A.", "OEEL-1")
    _write_modules(folders["community"], COMMUNITY, "Odoo S.A.", "LGPL-3")
    for repo, modules in OCA.items():
        _write_modules(folders["oca"] / repo, modules, "Odoo Community Association (OCA)", "AGPL-3")
    _write_modules(root / "outside_secret", OUTSIDE, "Odoo S.A.", "OEEL-1")
    (root / "outside_secret" / "SECRET.txt").write_text("nothing in here may be linked or read\n")
    # A module-looking link that leaves the checkout: ee_link must refuse it.
    os.symlink(os.path.join("..", "outside_secret", "secret_module"), folders["enterprise"] / "evil_link")
    folders["target"].mkdir()
    return folders
