"""What a tool is, as the guard sees it: a name, a risk class, an argument model, a handler.

The guard never imports a tool family; tool families describe themselves with a
`ToolSpec` and the guard wraps the spec. Keeping this vocabulary here (and free of
MCP) lets the policy engine, the CLI catalogue and the server share one definition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from guard.refusals import InvalidArguments, NotConfigured, OdooFailure, PathRefused, PolicyRefusal, ToolFailure

__all__ = [
    "ApprovalUnavailable", "Blob", "Call", "Caller", "Canonical", "Equivalent", "Equivalents", "Handler",
    "InvalidArguments", "NotConfigured",
    "OdooFailure", "PathArg", "PathRefused", "PolicyRefusal", "Risk", "ToolArgs", "ToolFailure", "ToolOutput",
    "ToolSpec",
]


class Risk(StrEnum):
    """How much a tool can change: drives the MCP annotations and the catalogue."""

    READ = "read"
    WRITE = "write"
    EXECUTE = "execute"
    DESTRUCTIVE = "destructive"


class ToolArgs(BaseModel):
    """Base of every tool's argument model: unknown arguments are refused, never dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, validate_default=True)


@dataclass(frozen=True)
class PathArg:
    """`Annotated[str | None, PathArg("files")]` marks an argument as a path inside a named root.

    The guard confines such an argument (symlinks resolved) before the handler runs and
    hands the handler the resolved path in `Call.paths[field_name]`.
    `must_exist` refuses a path that is not there yet (reads); otherwise its parent must exist
    inside the root (writes).
    """

    root: str
    must_exist: bool = False


@dataclass(frozen=True)
class Caller:
    """Who is calling: the grant (credential) and the MCP session, the keys of rate-limit scopes."""

    grant: str = "local"
    session: str = "stdio"


class ApprovalUnavailable(Exception):
    """The client cannot ask a human after all (the approval then goes out of band)."""


@dataclass
class Call:
    """What a handler receives besides its validated arguments."""

    caller: Caller
    runtime: Any
    """The context of the tool's family, built once at start-up (`tools.registry.Family.context`):
    `AddonsContext` for the addons tools, `OdooContext` for the Odoo tools, `StatusContext` (with
    the guard) for `policy_status`; the server's runtime for tools wrapped without a family."""
    paths: dict[str, Path] = field(default_factory=dict)
    approved: bool = False
    """True when the policy required a human's approval for this exact call and it was given."""


@dataclass(frozen=True)
class Blob:
    """A binary result (a PDF report, a downloaded attachment) the server embeds as a resource."""

    name: str
    mime_type: str
    data: bytes


@dataclass(frozen=True)
class ToolOutput:
    """A handler result with binary parts; a plain JSON-able value is also accepted."""

    data: Any
    blobs: tuple[Blob, ...] = ()


Handler = Callable[[Any, Call], Any]


@dataclass(frozen=True)
class Equivalent:
    """A dedicated tool that does what this call does, with the arguments it would have taken.

    `complete` is False when some of the dedicated tool's arguments cannot be known from this
    call (module names behind ids): its conditions then cannot be checked and it fails closed.
    `unknown` narrows that to named arguments.
    """

    tool: str
    arguments: dict[str, Any]
    complete: bool = True
    unknown: tuple[str, ...] = ()
    """Arguments whose value only the handler learns (the new arch a snippet edit computes from the page):
    a condition of the dedicated tool that reads one of them cannot be checked, and fails closed; the
    others are checked on `arguments`."""


Equivalents = Callable[[Any], list[Equivalent]]
"""From a tool's validated arguments, the dedicated tools whose policy also decides the call."""


Canonical = Callable[[Any, "Call"], Any]
"""`(args, call) -> args`: the validated arguments with their values as the tool's target will store them
(a boolean field's `0` as `false`, a date as its canonical text). The guard runs it after validation and
before the policy's conditions, and the handler receives what it returns: what was decided is what is
executed. It raises `InvalidArguments` for a value the target cannot store."""


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its public name, family and risk, argument model and handler."""

    name: str
    family: str
    risk: Risk
    args: type[ToolArgs]
    handler: Handler
    description: str
    idempotent: bool = False
    open_world: bool = False
    equivalents: Equivalents | None = None
    """Set on generic tools (`odoo_execute`): one action, one rule, whichever door it comes through."""
    canonical: Canonical | None = None
    """Set on record-writing tools (`odoo_write`, `odoo_create`...): see `Canonical`."""
    preview: Handler | None = None
    """`(args, call) -> value`: what the call would change, shown in its approval question.

    Called only when the policy requires an approval, after validation and path
    confinement, through the same runtime as the handler (reads only: it must change
    nothing). The tool's family owns it, since only the family knows what its tool does.
    """
