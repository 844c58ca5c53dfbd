"""The server's side of approvals: what needs more than the guard's process.

- `key`: the approval key (environment, or a key file created on first start);
- `sealed_stores`: the stores other processes reach (a SQLite file, Redis), records sealed with the key;
- `configured`: the guard's approvals as the settings configure them (key + store + audit);
- `wire`: approvals on the MCP wire (what a client can do, the signed request state);
- `http`: the approvals endpoint of the HTTP server (`/approvals`);
- `cli`: `odoo-mcp approvals list|show|approve|decline`.

The approval step itself — the gate, the signed ticket, the question, the store interface — is
part of the call pipeline: `guard/approvals/`.
"""
