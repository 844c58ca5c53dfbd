"""Stock repairs (upstream's six `odoo_stock_*` tools) through the ORM only: no server actions, no SQL,
no commits. Each is a dry run by default and applies only the plan its fingerprint names, in one company.

Importing this package registers them: `repairs` (storable flip, draft MO delete, unaccounted value),
`initial` (opening stock import, take-back, opening entry); `dryrun` and `ledger` are their shared parts.
"""

from tools.stock import initial, repairs

__all__ = ["initial", "repairs"]
