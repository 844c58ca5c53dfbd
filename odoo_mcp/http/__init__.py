"""The streamable-HTTP transport: the ASGI application, bearer tokens → grants, sessions, Host/Origin.

- `app`: the application (routes, sessions bound to grants, the checks below, in order);
- `auth`: bearer tokens → grants (the tokens file, OAuth access tokens);
- `sessions`: MCP session ids the server issued, each bound to its grant;
- `hosts`: the `Host` and `Origin` check (DNS rebinding).

The OAuth authorization server is `odoo_mcp/oauth/`; the approvals endpoint `odoo_mcp/approvals/http.py`.
"""
