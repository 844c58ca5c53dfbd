"""The guard's approvals as this server's settings configure them: the key, the store, the audit log.

`open_approvals` is what the server's assembly (and `odoo-mcp approvals …`, with the same
settings) calls: the HMAC key (`key.py`), the store beside the limiter's counters
(`sealed_stores.py`: a SQLite file in the state directory for `memory://`, Redis for `redis://`),
injected into the gate (`guard/approvals/gate.py`), which knows the store by its interface only.
"""

from __future__ import annotations

from guard.approvals.gate import Approvals
from guard.audit import AuditLog
from odoo_mcp.approvals.key import load_approval_key
from odoo_mcp.approvals.sealed_stores import open_store
from odoo_mcp.config import ConfigError, Settings


def open_approvals(settings: Settings, audit: AuditLog) -> Approvals:
    """The guard's approvals for these settings (ConfigError when the key or store is unusable)."""
    config = settings.approvals
    key = load_approval_key(config, settings.env)
    try:
        store = open_store(settings.limits_storage, config.state_dir, key=key)
    except (ValueError, OSError, ImportError) as exc:
        raise ConfigError(f"approvals store: {exc}") from None
    return Approvals(key, store, audit, ttl=config.ttl, pending_ttl=config.pending_ttl, out_of_band=config.out_of_band)
