"""Enterprise and OCA addon tools (issue 3): importing this package registers them.

Layout, one job per module: `manifest` (parse without executing), `index` (cached scans),
`graph` (dependency trees), `roots` (configured folders, pinned), `linking` (fd-based link
operations), `link_ops` (the link/unlink procedure), `overlap` (EE/OCA conflicts),
`gitops`/`git_tools` (git without tokens in argv), `deploy`, and the handlers in
`ee_tools` and `oca_tools`.
"""

from tools.addons import ee_license, ee_tools, oca_maintainer, oca_repo_tools, oca_tools

__all__ = ["ee_license", "ee_tools", "oca_maintainer", "oca_repo_tools", "oca_tools"]
