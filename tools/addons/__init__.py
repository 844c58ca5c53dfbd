"""Enterprise and OCA addon tools (issue 3): `FAMILY` exports their specs.

Layout, one job per module: `manifest` (parse without executing), `index` (cached scans),
`graph` (dependency trees), `roots` (configured folders, pinned), `linking` (fd-based link
operations), `link_ops` (the link/unlink procedure), `overlap` (EE/OCA conflicts),
`gitops`/`git_tools` (git without tokens in argv), `deploy`, and the handlers in
`ee_tools` and `oca_tools` (the modules listed in `FAMILY`).
"""

from tools.addons import ee_tools, oca_tools
from tools.addons.context import addons_context
from tools.registry import Family, collect

FAMILY = Family(name="addons", specs=collect(ee_tools, oca_tools), context=addons_context)

__all__ = ["FAMILY"]
