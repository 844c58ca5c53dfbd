"""The approval step of the call pipeline: a human's "yes" valid for one exact call, once.

- `gate`: `Approvals.settle`, what the guard calls for a `require_approval` decision (ask in
  the call, accept a signed answer, or leave the call pending for a human out of band);
- `ticket`: the signed ticket an answer carries (HMAC over grant, session, tool and arguments);
- `question`: the question the human reads (the whole call, secrets masked, the tool's preview);
- `store`: where pending approvals wait (the interface, the record, the in-process store).

Pure and in process, so that `Guard(policy)` can ask for approvals on its own. What needs the
server — the key file, the stores other processes reach (SQLite, Redis), the MCP wire, the HTTP
endpoint and `odoo-mcp approvals …` — is in `odoo_mcp/approvals/`.
"""
