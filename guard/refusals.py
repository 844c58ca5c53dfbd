"""Every refusal the agent can read, in one module: one class per tag, and the audit outcomes.

A refusal is one line, `[TAG] message`, never a stack trace. Handlers raise the
`ToolFailure` subclasses; the guard answers its own refusals (policy, arguments, limits,
approvals, audit) with the same tags, named here as `Tag`. Each answer is audited with
one `Outcome`; a path refused inside a handler is `path_refused`, exactly like one the
guard refused before the handler ran. The file walk of the bottom package (`foundation.fsroot`)
has errors of its own; `failure_of` is the one place they become refusals.
"""

from __future__ import annotations

from enum import StrEnum
from typing import overload

from foundation.fsroot import NameTaken, RootRefused


class Tag(StrEnum):
    """The tags a refusal starts with (`[POLICY DENIED] ...`)."""

    POLICY_DENIED = "POLICY DENIED"
    INVALID_ARGUMENTS = "INVALID ARGUMENTS"
    PATH_REFUSED = "PATH REFUSED"
    RATE_LIMITED = "RATE LIMITED"
    RATE_LIMIT_UNAVAILABLE = "RATE LIMIT UNAVAILABLE"
    AUDIT_UNAVAILABLE = "AUDIT UNAVAILABLE"
    APPROVAL_DECLINED = "APPROVAL DECLINED"
    APPROVAL_PENDING = "APPROVAL PENDING"
    APPROVAL_REFUSED = "APPROVAL REFUSED"
    NOT_CONFIGURED = "NOT CONFIGURED"
    TOOL_ERROR = "TOOL ERROR"
    ODOO_ERROR = "ODOO ERROR"
    ODOO_UNREACHABLE = "ODOO UNREACHABLE"
    CONFLICT = "CONFLICT"
    GIT_ERROR = "GIT ERROR"
    PIN_REFUSED = "PIN REFUSED"
    MOUNT_UNAVAILABLE = "MOUNT UNAVAILABLE"
    MOUNTED_TOOL_ERROR = "MOUNTED TOOL ERROR"
    INTERNAL_ERROR = "INTERNAL ERROR"


class Outcome(StrEnum):
    """How a call ended, as the audit records it (`outcome` of the outcome record)."""

    OK = "ok"
    DENIED = "denied"
    INVALID = "invalid"
    PATH_REFUSED = "path_refused"
    RATE_LIMITED = "rate_limited"
    RATE_LIMIT_UNAVAILABLE = "rate_limit_unavailable"
    AUDIT_UNAVAILABLE = "audit_unavailable"
    FAILED = "failed"
    CRASHED = "crashed"
    GUARD_ERROR = "guard_error"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_PENDING = "approval_pending"
    APPROVAL_DECLINED = "approval_declined"
    APPROVAL_REFUSED = "approval_refused"
    CANCELLED = "cancelled"
    """The call was cancelled (the client gave up, the server is stopping) after its handler started:
    written so that no intent record stays without an outcome; the quota stays spent."""


class ToolFailure(Exception):
    """A failure the client should read: rendered as `[TAG] message`, never with a trace.

    `before_effect` says the handler raised it before it could have had any effect — a path
    refused before it was opened, a root or connection this server was not configured with: the
    guard then gives the call's quota back. Every other failure keeps its quota spent, as
    Intercept charges every call that reached the tool: the call reached Odoo, the file system
    or a mounted server, whatever they answered (50 wrong passwords are 50 logins tried).
    """

    tag: str = Tag.TOOL_ERROR
    outcome: Outcome = Outcome.FAILED
    before_effect: bool = False

    def __init__(self, message: str, *, before_effect: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if before_effect is not None:
            self.before_effect = before_effect

    def render(self) -> str:
        return f"[{self.tag}] {self.message}"


class InvalidArguments(ToolFailure):
    """Arguments the tool's own canonicalisation step cannot turn into what the target stores
    (`ToolSpec.canonical`): refused before the policy's conditions, like a schema error."""

    tag = Tag.INVALID_ARGUMENTS
    outcome = Outcome.INVALID


class PathRefused(ToolFailure):
    """A path argument (or a path a tool derived from one) would leave its root."""

    tag = Tag.PATH_REFUSED
    outcome = Outcome.PATH_REFUSED
    before_effect = True  # refused before the path was used; a tool that refuses after acting says so

    def __init__(self, arg: str, why: str, *, before_effect: bool | None = None) -> None:
        super().__init__(f"{arg}: {why}", before_effect=before_effect)
        self.arg = arg
        self.why = why


class PolicyRefusal(ToolFailure):
    """A handler's refusal on policy grounds it can only judge with Odoo's answers in hand
    (a sensitive field reached through a relation): `[POLICY DENIED] ...`, audited as denied."""

    tag = Tag.POLICY_DENIED
    outcome = Outcome.DENIED


class NotConfigured(ToolFailure):
    """The tool needs a root or a connection that this server was not configured with."""

    tag = Tag.NOT_CONFIGURED
    before_effect = True  # nothing to act on; a tool that finds out only from Odoo's answer says so


class OdooFailure(ToolFailure):
    """Odoo answered with a fault: `[ODOO ERROR] <exception name>: <message>`."""

    tag = Tag.ODOO_ERROR

    def __init__(self, exception: str, message: str) -> None:
        super().__init__(f"{exception}: {message}")
        self.exception = exception


class OdooUnreachableRefusal(ToolFailure):
    """The Odoo server could not be reached, did not answer in time, or did not answer as Odoo."""

    tag = Tag.ODOO_UNREACHABLE


class Conflict(ToolFailure):
    """Linking/unlinking/deploying would replace, shadow or remove something not ours.

    A conflict is not an internal error nor a policy decision: the request was well formed and
    allowed, but doing it would replace or shadow something that is already there. It gets its
    own tag so an agent can tell "change your request" from "you may not".
    """

    tag = Tag.CONFLICT

    def __init__(self, message: str, problems: dict[str, str] | None = None) -> None:
        self.problems = dict(problems or {})
        if self.problems:
            detail = "; ".join(f"{name}: {why}" for name, why in sorted(self.problems.items()))
            message = f"{message} — {detail}"
        super().__init__(message)


class GitFailure(ToolFailure):
    """A git command failed; the message is git's own (token scrubbed), never a trace."""

    tag = Tag.GIT_ERROR


class PinRefused(ToolFailure):
    """A certificate pin would be written without the authority to write it."""

    tag = Tag.PIN_REFUSED


class MountUnavailable(ToolFailure):
    """A mounted MCP server could not be reached or started (`odoo_mcp/mounts.py`)."""

    tag = Tag.MOUNT_UNAVAILABLE


class MountedToolError(ToolFailure):
    """A mounted server's tool answered with an error; its text follows the tag."""

    tag = Tag.MOUNTED_TOOL_ERROR


@overload
def failure_of(exc: ToolFailure | RootRefused | NameTaken) -> ToolFailure: ...
@overload
def failure_of(exc: BaseException) -> BaseException: ...
def failure_of(exc: BaseException) -> BaseException:
    """`exc` in the guard's words: a path the descriptor walk refused (`foundation.fsroot.RootRefused`)
    is a `PathRefused` (refused before the path was used), a name exclusive creation found taken
    (`NameTaken`) a `ToolFailure`; anything else is returned as it is."""
    if isinstance(exc, RootRefused):
        return PathRefused(exc.arg, exc.why)
    if isinstance(exc, NameTaken):
        return ToolFailure(exc.message)
    return exc
