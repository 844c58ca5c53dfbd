"""`odoo-mcp approvals list|show|approve|decline`: the approvals a human gives out of band.

The CLI opens the same store with the same settings as the server it approves for
(`configured.open_approvals`), so `approve <id>` on the server's machine (or anywhere that
reaches its Redis) lets the agent's retry run once. `describe` is an approval as a human reads
it, here and at the HTTP endpoint (`http.py`).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import time
from pathlib import Path
from typing import Any

from guard.approvals.gate import Approvals
from guard.approvals.store import PENDING, PendingApproval
from guard.audit import AuditLog
from odoo_mcp.approvals.configured import open_approvals
from odoo_mcp.config import ApprovalSettings, ConfigError, Settings


def describe(approval: PendingApproval, now: float) -> dict[str, Any]:
    """An approval as the approver CLI and the HTTP endpoint show it."""
    return {
        "id": approval.id,
        "state": approval.state(now),
        "tool": approval.tool,
        "grant": approval.grant,
        "session": approval.session,
        "created": _iso(approval.created),
        "expires": _iso(approval.expires),
        "decided_by": approval.decided_by,
        "decided_at": _iso(approval.decided_at) if approval.decided_at else None,
        "question": approval.question,
    }


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def _open(args: argparse.Namespace) -> Approvals:
    """The server's approvals, from the same environment variables `serve` reads (no policy needed)."""
    env = dict(os.environ)
    audit_log = args.audit_log or env.get("ODOO_MCP_AUDIT_LOG")
    settings = Settings(
        policy_path=Path("-"),
        limits_storage=env.get("ODOO_MCP_LIMITS_STORAGE") or "memory://",
        env=env,
        approvals=ApprovalSettings.from_env(env),
    )
    return open_approvals(settings, AuditLog(Path(audit_log) if audit_log else None, stderr=False))


def _list(args: argparse.Namespace) -> int:
    approvals = _open(args)
    now = time.time()
    shown = [describe(a, now) for a in approvals.store.all() if args.all or a.state(now) == PENDING]
    if args.json:
        print(json.dumps(shown, indent=1))
        return 0
    if not shown:
        print("no pending approvals" if not args.all else "no approvals")
        return 0
    for item in shown:
        print(f"{item['id']}  {item['state']:<8}  {item['tool']:<24}  grant {item['grant']}  until {item['expires']}")
    return 0


def _show(args: argparse.Namespace) -> int:
    approvals = _open(args)
    approval = approvals.store.get(args.id)
    if approval is None:
        print(f"no approval {args.id}")
        return 1
    item = describe(approval, time.time())
    if args.json:
        print(json.dumps(item, indent=1))
        return 0
    print(f"{item['id']}: {item['state']} (grant {item['grant']}, session {item['session']})")
    if item["decided_by"]:
        print(f"decided by {item['decided_by']} at {item['decided_at']}")
    print()
    print(item["question"])
    return 0


def _decide(args: argparse.Namespace, approve: bool) -> int:
    approvals = _open(args)
    by = args.by or f"local:{getpass.getuser()}"
    try:
        approval = approvals.decide(args.id, approve, by)
    except (LookupError, ValueError) as exc:
        print(str(exc).strip("'\""))
        return 1
    verb = "approved" if approve else "declined"
    print(f"{approval.id} {verb} by {by}: the agent's next call of {approval.tool} with the same arguments "
          + ("runs once." if approve else "is declined."))
    return 0


def add_commands(commands: Any) -> None:
    """`odoo-mcp approvals list|show|approve|decline` (settings from the same environment as `serve`)."""
    parser = commands.add_parser(
        "approvals", help="list, show, approve or decline pending approvals (out-of-band approval)"
    )
    sub = parser.add_subparsers(dest="approvals_command", required=True)

    def common(command: argparse.ArgumentParser) -> None:
        command.add_argument("--audit-log", help="audit JSON-lines file (or ODOO_MCP_AUDIT_LOG)")
        command.add_argument("--json", action="store_true", help="JSON output")

    listing = sub.add_parser("list", help="pending approvals (--all: every approval still kept)")
    common(listing)
    listing.add_argument("--all", action="store_true")
    listing.set_defaults(run=_wrap(_list))
    show = sub.add_parser("show", help="the whole call an approval is for, and what it would change")
    common(show)
    show.add_argument("id")
    show.set_defaults(run=_wrap(_show))
    for name, approve in (("approve", True), ("decline", False)):
        command = sub.add_parser(name, help=f"{name} a pending approval (the agent's retry then "
                                 + ("runs once)" if approve else "is declined)"))
        common(command)
        command.add_argument("id")
        command.add_argument("--by", help="who decides (default local:<your user name>), recorded in the audit log")
        command.set_defaults(run=_wrap(lambda args, approve=approve: _decide(args, approve)))


def _wrap(run: Any) -> Any:
    def guarded(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except ConfigError as exc:
            print(f"odoo-mcp approvals: {exc}")
            return 2

    return guarded
