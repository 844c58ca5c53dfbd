"""The question a human approves: the whole call, never cut, and what it would change.

The audit log's redactor cuts long strings (a base64 payload would swamp the log); a question
must not — a link past character 256 is exactly what a human has to see. So the call is
rendered here in full, as indented JSON. Only secrets are hidden (arguments whose name says
password, token, api key, …, and credentials inside strings), and each hidden value says
that it is masked instead of silently disappearing.
"""

from __future__ import annotations

import json
import time
from typing import Any

import anyio.to_thread

from guard.audit import SECRET_VALUE, is_secret_key
from guard.refusals import failure_of
from guard.spec import Call, ToolFailure, ToolSpec

MASKED = "«masked secret»"


def _mask_credentials(match: Any) -> str:
    scheme = match.group(1)
    return f"{scheme} {MASKED}" if scheme else f"://{MASKED}@"


def masked(value: Any, key: str | None = None) -> tuple[Any, bool]:
    """`value` with secrets replaced by `MASKED`; True when something was masked. Nothing is cut."""
    if key is not None and is_secret_key(key) and value not in (None, "", [], {}):
        return MASKED, True
    if isinstance(value, dict):
        hid = False
        out: dict[str, Any] = {}
        for k, v in value.items():
            out[k], found = masked(v, str(k))
            hid = hid or found
        return out, hid
    if isinstance(value, list | tuple):
        items = [masked(v) for v in value]
        return [v for v, _ in items], any(found for _, found in items)
    if isinstance(value, str):
        replaced = SECRET_VALUE.sub(_mask_credentials, value)
        return replaced, replaced != value
    return value, False


def render_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2, default=str)


def render_question(
    *,
    tool: str,
    risk: str,
    grant: str,
    session: str,
    arguments: dict[str, Any],
    preview: Any = None,
    preview_error: str | None = None,
    approval_id: str,
    expires: float,
) -> str:
    """The text shown to the human, in the client's dialog or by `odoo-mcp approvals show`."""
    shown, hid = masked(arguments)
    lines = [
        f"Allow the agent (grant '{grant}', session {session}) to call {tool} ({risk})?",
        "",
        "Arguments, in full:",
        render_value(shown),
    ]
    if preview is not None:
        preview_shown, preview_hid = masked(preview)
        hid = hid or preview_hid
        lines += ["", "What would change:", render_value(preview_shown)]
    elif preview_error is not None:
        lines += ["", f"What would change: unknown (the preview failed: {preview_error})"]
    if hid:
        lines += ["", f"Values shown as {MASKED} are secrets: they are sent to the tool but not shown here."]
    expiry = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(expires))
    lines += ["", f"Approval {approval_id}, valid for this exact call, once, until {expiry}."]
    return "\n".join(lines)


async def question_for(spec: ToolSpec, args: Any, call: Call, approval_id: str, expires: float) -> str:
    """The question for one validated call, with the tool family's preview (run off the event loop)."""
    preview, failed = None, None
    if spec.preview is not None:
        try:
            preview = await anyio.to_thread.run_sync(spec.preview, args, call)
        except Exception as exc:
            failure = failure_of(exc)  # a file the walk refused reads as it would from the tool
            failed = failure.render() if isinstance(failure, ToolFailure) else type(exc).__name__
    return render_question(
        tool=spec.name,
        risk=spec.risk.value,
        grant=call.caller.grant,
        session=call.caller.session,
        arguments=args.model_dump(mode="json"),
        preview=preview,
        preview_error=failed,
        approval_id=approval_id,
        expires=expires,
    )
