"""Enterprise and OCA addon tools (issue 3): `FAMILY` exports their specs.

Layout, one job per module: `manifest` (parse without executing), `index` (cached scans),
`graph` (dependency trees), `roots` (configured folders, pinned), `linking` (fd-based link
operations), `link_ops` (the link/unlink procedure), `overlap` (EE/OCA conflicts),
`gitops`/`git_tools` (git without tokens in argv), `deploy`, and the handlers in
`ee_tools` and `oca_tools` (the modules listed in `FAMILY`).
"""

from tools.addons import ee_license, ee_tools, oca_maintainer, oca_repo_tools, oca_tools
from tools.addons.context import addons_context
from tools.odoo_kit.errors import translated
from tools.registry import Family, collect, wrap_handlers

FAMILY = Family(
    name="addons",
    # ee_license asks Odoo: the Odoo client's errors become refusals as in the odoo family
    specs=wrap_handlers(collect(ee_license, ee_tools, oca_maintainer, oca_repo_tools, oca_tools), translated),
    context=addons_context,
)

__all__ = ["FAMILY"]
