"""Stock repairs (upstream's six `odoo_stock_*` tools) through the ORM only: no server actions, no SQL,
no commits. Each is a dry run by default and applies only the plan its fingerprint names, in one company.

`FAMILY` exports `repairs` (storable flip, draft MO delete, unaccounted value) and `initial` (opening stock
import, take-back, opening entry), with the Odoo family's context and error translation; `dryrun`,
`adjust` and `ledger` are their shared parts.
"""

from tools.odoo_kit import errors
from tools.odoo_kit.context import odoo_context
from tools.registry import Family, collect, wrap_handlers

from . import initial, repairs

FAMILY = Family(name="stock", specs=wrap_handlers(collect(repairs, initial), errors.translated),
                context=odoo_context)

__all__ = ["FAMILY"]
