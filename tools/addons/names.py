"""Argument types shared by the Enterprise and OCA tools: names, never paths.

Every name that ends up in a path or in a git argv is constrained here, by a pydantic
pattern on the argument model, so a hostile value is refused before the handler runs
(`../x`, `/etc`, `~`, NUL, `-option`, look-alike letters, a trailing newline: none match).
The patterns use pydantic's Rust regex engine, where `$` only matches at the very end.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from odoo_client.names import MODULE_NAME, anchored

ModuleName = Annotated[
    str,
    Field(
        pattern=anchored(MODULE_NAME),
        description="An Odoo technical module name: lowercase ASCII letters, digits and '_' (e.g. account_reports).",
    ),
]
RepoName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$",
        description="An OCA repository name, e.g. sale-workflow (letters, digits, '-', '_'; no slash, no dot).",
    ),
]
BranchName = Annotated[
    str,
    Field(
        pattern=r"^[0-9A-Za-z][0-9A-Za-z_-]{0,40}(\.[0-9A-Za-z_-]{1,40}){0,5}$",
        description="A git branch such as 19.0 or saas-18.4 (no '..', no leading '-', no slash).",
    ),
]
InstanceName = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="A buffered checkout's name inside the configured buffer dir (lowercase, digits, '-', '_').",
    ),
]
TargetDir = Annotated[
    str,
    Field(
        max_length=1024,
        description=(
            "Which configured addons target to use: its name (see ODOO_MCP_ADDONS_TARGETS) or its exact "
            "configured path. Any other path is refused. Default: the first configured target."
        ),
    ),
]
Mode = Literal["direct", "buffered"]
