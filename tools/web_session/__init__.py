"""Web session family (`odoo_web_*`): a cookie session per grant and connection, on the connection's origin."""

from tools.web_session import tools

__all__ = ["tools"]
