"""Identity (upstream's `identify`, `who_am_i`, `user_connection_*`): per-grant profiles and Odoo connections.
Importing this package registers them; `store` keeps each grant's own, at rest in the state directory."""

from tools.identity import profiles

__all__ = ["profiles"]
