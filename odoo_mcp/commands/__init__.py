"""The `odoo-mcp` commands besides `serve` (which is `odoo_mcp/cli.py`, with the parser).

- `policy`: `policy init` (`policy_init`, `policy_examples`: the examples shipped in
  `odoo_mcp/examples/`) and `policy replay` (`replay`: a candidate policy over a recorded audit log);
- `audit`: `audit verify FILE`;
- `demo`: `odoo-mcp demo` on a generated addons tree (`demo_tree`).

`odoo-mcp approvals …` is `odoo_mcp/approvals/cli.py`.
"""
