"""Tool handlers, one sub-package per family; each exports a `tools.registry.Family` as `FAMILY`.

The server serves the families listed in `odoo_mcp.families.FAMILIES` (a test checks every
package here is listed). Nothing in `tools` imports `odoo_mcp`: the layers point one way,
`guard <- tools -> odoo_client`, and `odoo_mcp` assembles them.
"""
