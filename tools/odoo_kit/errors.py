"""The one place where the Odoo client's errors become tagged refusals.

`odoo_client` raises its own error tree and knows nothing of tags or the guard; every Odoo
handler and preview is wrapped (`tools.odoo.FAMILY`) by `translated`, which maps:

- `OdooFault` (Odoo's own fault) → `[ODOO ERROR] <exception>: <message>`
- `OdooUnreachable` → `[ODOO UNREACHABLE] ...`
- `NoConnection` → `[NOT CONFIGURED] ...`
- `OdooRequestError` → `[TOOL ERROR] ...`
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from guard.refusals import NotConfigured, OdooFailure, OdooUnreachableRefusal, ToolFailure
from guard.spec import Handler
from odoo_client.errors import ConfigError, NoConnection, OdooError, OdooFault, OdooUnreachable


def refusal_for(error: OdooError | ConfigError) -> ToolFailure:
    """The tagged refusal the agent reads for one client error."""
    if isinstance(error, OdooFault):
        refusal: ToolFailure = OdooFailure(error.exception, error.detail)
    elif isinstance(error, OdooUnreachable):
        refusal = OdooUnreachableRefusal(str(error))
    elif isinstance(error, NoConnection | ConfigError):
        refusal = NotConfigured(str(error))
    else:
        refusal = ToolFailure(str(error))
    return refusal


def translated(handler: Handler) -> Handler:
    """`handler` with the client's errors raised as refusals (sync and async handlers alike)."""
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def run_async(args: Any, call: Any) -> Any:
            try:
                return await handler(args, call)
            except (OdooError, ConfigError) as error:
                raise refusal_for(error) from None

        return run_async

    @functools.wraps(handler)
    def run(args: Any, call: Any) -> Any:
        try:
            return handler(args, call)
        except (OdooError, ConfigError) as error:
            raise refusal_for(error) from None

    return run
