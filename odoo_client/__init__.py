"""Odoo access: connection settings, three transports behind one interface, a pool, error mapping.

`settings` reads the upstream environment names and the connections file; `jsonrpc`, `xmlrpc`
and `json2` each speak one protocol behind `transport.Transport`; `connection` adds login,
one re-login on a dropped session and the record operations the tools use; `pool` keeps one
connection per alias for the server's lifetime. Nothing here knows about MCP or the guard.
"""
