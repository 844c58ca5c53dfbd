"""Dry run first, then the same run for real: a plan, its fingerprint, and the refusal when data moved.

Every stock repair reads what it needs, builds a `RepairPlan` (what it read, what it would change,
why it cannot) and either returns it (the default) or applies it. The fingerprint is the
SHA-256 of the tool, its arguments and everything the plan read; a real run (`confirm=true`)
must carry the dry run's fingerprint, re-reads, and refuses if the fingerprint differs — so
what runs is exactly what was shown, and a change in between (another user, another run) is
caught instead of applied on stale checks. Nothing here knows a particular tool.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field, model_validator

from guard.spec import ToolFailure
from odoo_client.connection import OdooConnection
from tools.addons.errors import Conflict
from tools.lean_schema import LeanArgs
from tools.odoo_kit import RecordId

Fingerprint = Annotated[str | None, Field(None, pattern=r"^[0-9a-f]{64}$", description="From the dry run.")]


class RepairArgs(LeanArgs):
    """What every stock repair takes besides its own arguments."""

    connection: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Odoo connection alias.")
    company_id: RecordId | None = Field(None, description="Default: the user's company.")
    confirm: bool = Field(False, description="Apply (with fingerprint); default: dry run.")
    fingerprint: Fingerprint = None
    dry_run: bool | None = Field(None, description="Upstream's flag; false needs confirm.")

    @model_validator(mode="after")
    def _confirmed_with_fingerprint(self) -> RepairArgs:
        if self.confirm and not self.fingerprint:
            raise ValueError("confirm=true needs the fingerprint returned by the dry run")
        if self.dry_run is False and not self.confirm:
            raise ValueError("dry_run=false is not enough: run the dry run, then confirm=true with its fingerprint")
        if self.dry_run is True and self.confirm:
            raise ValueError("dry_run=true and confirm=true contradict each other")
        return self

    def bound(self) -> dict[str, Any]:
        """The arguments the fingerprint covers (not the run mode itself)."""
        return self.model_dump(mode="json", exclude={"confirm", "fingerprint", "dry_run", "connection"})


@dataclass
class RepairPlan:
    """What a repair read, what it would change and why it cannot; `apply` does the changes."""

    company_id: int
    read: dict[str, Any]
    changes: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    apply: Callable[[], dict[str, Any]] | None = None


def as_dry_run(args: RepairArgs) -> RepairArgs:
    """The same call as a dry run: what a human approving the real run is shown (the plan, changing nothing)."""
    return args.model_copy(update={"confirm": False, "fingerprint": None, "dry_run": None})


def previewed(handler: Callable[[Any, Any], dict[str, Any]], args: RepairArgs, call: Any) -> dict[str, Any]:
    """A repair's approval preview: its dry run, and whether the call being approved matches it."""
    report = handler(as_dry_run(args), call)
    if args.confirm:
        report["this_call_matches_the_plan"] = report.get("fingerprint") == args.fingerprint
    return report


def fingerprint(tool: str, args: dict[str, Any], plan: RepairPlan) -> str:
    document = {"tool": tool, "args": args, "company_id": plan.company_id, "read": plan.read,
                "changes": plan.changes}
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()


def run(tool: str, args: RepairArgs, plan: RepairPlan) -> dict[str, Any]:
    """The dry-run report, or the applied plan when confirmed with a fingerprint that still matches."""
    digest = fingerprint(tool, args.bound(), plan)
    report: dict[str, Any] = {"company_id": plan.company_id, "changes": plan.changes, "warnings": plan.warnings,
                              "refusals": plan.refusals, "fingerprint": digest}
    if not args.confirm:
        report["dry_run"] = True
        report["can_apply"] = not plan.refusals and bool(plan.changes)
        report["next"] = ("call again with confirm=true and this fingerprint" if report["can_apply"]
                          else "nothing can be applied")
        return report
    if args.fingerprint != digest:
        raise Conflict("the data changed since the dry run (fingerprint differs): nothing was changed; "
                       "run the dry run again and review it")
    if plan.refusals:
        raise Conflict("refused: " + "; ".join(plan.refusals))
    if not plan.changes or plan.apply is None:
        raise Conflict("nothing to change")
    return {"applied": True, "company_id": plan.company_id, "changes": plan.changes, "fingerprint": digest,
            **plan.apply()}


def current_company(connection: OdooConnection, company_id: int | None) -> int:
    """The company a call works in: the one given, else the connection user's current company."""
    if company_id is not None:
        found = connection.execute("res.company", "search_count", [[["id", "=", company_id]]])
        if not found:
            raise ToolFailure(f"company {company_id} does not exist or is not visible to this user")
        return company_id
    rows = connection.execute("res.users", "read", [[connection.uid()]], {"fields": ["company_id"]})
    value = rows[0].get("company_id") if rows else False
    if not value:
        raise ToolFailure("the connection's user has no current company: give company_id")
    return int(value[0] if isinstance(value, list) else value)


def scoped(company_id: int) -> dict[str, Any]:
    """The context every call of a repair carries: this one company, never several."""
    return {"context": {"allowed_company_ids": [company_id], "force_company": company_id}}


def m2o_id(value: Any) -> int | None:
    """Odoo reads many2one as `[id, name]` (or False)."""
    if isinstance(value, list) and value:
        return int(value[0])
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None
