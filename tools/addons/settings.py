"""Settings of the addons tools that are not filesystem roots: git sources, branch, token.

Read from the server's environment mapping (`call.runtime.settings.env`), our names first,
upstream's after. A missing git source is `NotConfigured`, never a guessed default URL.

- `ODOO_MCP_EE_GIT_URL`: the Enterprise repository (https URL, file:// URL or absolute path).
- `ODOO_MCP_OCA_GIT_BASE`: where OCA repositories live (`https://github.com/OCA` or a local
  folder holding `<repo>` or `<repo>.git`).
- `ODOO_BRANCH`: default branch (upstream's name, default 19.0).
- `GITHUB_TOKEN`: default token for git over https; never put in argv, URLs, logs or results.
- `ODOO_MCP_GIT_TIMEOUT`: seconds before a git command is stopped (default 600).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from foundation.env import first_set
from guard.spec import NotConfigured

_URL_RE = re.compile(r"^(https?|file|ssh)://[^\s]+$")
DEFAULT_BRANCH = "19.0"


@dataclass(frozen=True)
class AddonsSettings:
    ee_git_url: str | None
    oca_git_base: str | None
    branch: str
    token: str | None
    git_timeout: float

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AddonsSettings:
        def first(*names: str) -> str | None:
            return first_set(env, *names)

        timeout_raw = first("ODOO_MCP_GIT_TIMEOUT") or "600"
        try:
            timeout = float(timeout_raw)
        except ValueError:
            raise NotConfigured(f"ODOO_MCP_GIT_TIMEOUT: {timeout_raw!r} is not a number of seconds") from None
        return cls(
            ee_git_url=first("ODOO_MCP_EE_GIT_URL"),
            oca_git_base=first("ODOO_MCP_OCA_GIT_BASE"),
            branch=first("ODOO_BRANCH") or DEFAULT_BRANCH,
            token=first("GITHUB_TOKEN"),
            git_timeout=timeout,
        )


def check_source(value: str, variable: str) -> str:
    """A git source must be a URL with a known scheme or an absolute local path."""
    if _URL_RE.match(value) or (os.path.isabs(value) and "\x00" not in value):
        return value
    raise NotConfigured(f"{variable}: {value!r} is neither an https/file/ssh URL nor an absolute path")


def ee_source(settings: AddonsSettings) -> str:
    if not settings.ee_git_url:
        raise NotConfigured("no Enterprise git source: set ODOO_MCP_EE_GIT_URL (URL or local path)")
    return check_source(settings.ee_git_url, "ODOO_MCP_EE_GIT_URL")


def oca_source(settings: AddonsSettings, repo: str) -> str:
    """The URL/path of one OCA repository (`repo` already validated as a plain name)."""
    if not settings.oca_git_base:
        raise NotConfigured("no OCA git source: set ODOO_MCP_OCA_GIT_BASE (e.g. https://github.com/OCA)")
    base = check_source(settings.oca_git_base, "ODOO_MCP_OCA_GIT_BASE").rstrip("/")
    if os.path.isabs(base):
        bare = os.path.join(base, f"{repo}.git")
        return bare if os.path.isdir(bare) else os.path.join(base, repo)
    return f"{base}/{repo}.git" if base.startswith(("http://", "https://")) else f"{base}/{repo}"
