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
        description="Technical module name, e.g. account_reports.",
    ),
]
RepoName = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$",
        description="OCA repository name, e.g. sale-workflow.",
    ),
]
BranchName = Annotated[
    str,
    Field(
        pattern=r"^[0-9A-Za-z][0-9A-Za-z_-]{0,40}(\.[0-9A-Za-z_-]{1,40}){0,5}$",
        description="Git branch, e.g. 19.0 or saas-18.4.",
    ),
]
InstanceName = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="Buffered checkout name (lowercase letters, digits, '-', '_').",
    ),
]
TargetDir = Annotated[
    str,
    Field(
        max_length=1024,
        description=(
            "A configured addons target: its name or exact path (ODOO_MCP_ADDONS_TARGETS); "
            "default: the first one."
        ),
    ),
]
Mode = Literal["direct", "buffered"]
