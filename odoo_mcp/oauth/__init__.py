"""OAuth 2.1 for the streamable HTTP transport: remote MCP clients add this server by its URL.

The MCP authorization flow on the SDK's auth package: `config` (the OAuth file), `store` (SQLite:
clients, codes, tokens, people), `sealing` (the key; credentials sealed at rest; CSRF MACs),
`provider` (the SDK's provider protocol), `signin` (the page), `odoo_identity` (Odoo checks the
person), `people` (grant → their own Odoo connection and policy), `jwt_verifier` (an external
OpenID Connect provider's tokens), `bearer` (token → grant at /mcp and /approvals), `app` (wiring).
"""

from odoo_mcp.oauth.app import OAuthRoutes, OAuthServer, build_oauth
from odoo_mcp.oauth.config import OAuthConfig, read_oauth

__all__ = ["OAuthConfig", "OAuthRoutes", "OAuthServer", "build_oauth", "read_oauth"]
