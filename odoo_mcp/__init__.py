"""odoo-guard-mcp: an MCP server for Odoo whose every tool call passes an in-process guard."""

__version__ = "0.1.0"
