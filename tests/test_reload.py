"""Live reload never installs half a policy (odoo_mcp/reload.py, guard/policy_diff.py).

Any line prefix of an Intercept YAML policy is a valid, looser one: cut before `default` and
every unlisted tool is allowed; cut after `odoo_unlink:` and the tool is listed with nothing
under it. These tests rewrite a policy file in place, in small chunks, while the reloader polls,
and check after every poll that nothing the policy denies became allowed.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

from guard.audit import AuditLog
from guard.decisions import decide
from guard.policy import Policy
from guard.policy_set import PolicySet
from odoo_mcp.cli import checked_loader
from odoo_mcp.reload import PolicyReloader, checksum_file

OLD = """\
version: "1"
description: "accounting agent"
default: deny
tools:
  odoo_read:
    rules: []
  odoo_write:
    rules:
      - name: "no archiving"
        conditions:
          - path: "args.values.active"
            op: "neq"
            value: false
      - name: "no price changes"
        conditions:
          - path: "args.values.list_price"
            op: "exists"
            value: false
  odoo_unlink:
    rules:
      - name: "never delete"
        action: deny
        on_deny: "deleting is not allowed"
"""
NEW = OLD.replace('"accounting agent"', '"accounting agent, v2"').replace(
    "  odoo_read:\n    rules: []\n", "  odoo_read:\n    rules: []\n  odoo_search_count:\n    rules: []\n"
)

DENIED_BY_BOTH = [
    ("odoo_unlink", {"model": "res.partner", "ids": [1]}),  # its deny rule
    ("odoo_create", {"model": "res.partner", "values": {}}),  # not listed, default deny
    ("odoo_write", {"model": "res.partner", "ids": [1], "values": {"active": False}}),
    ("odoo_write", {"model": "product.template", "ids": [1], "values": {"active": True, "list_price": 0}}),
]
"""Calls both versions deny: no policy in force at any moment may allow one of them."""


def allowed_by(policy: Policy, calls=DENIED_BY_BOTH) -> list[str]:
    return [f"{tool} {args}" for tool, args in calls if decide(policy, tool, args).allowed]


def reloader_for(path: Path, audit: AuditLog | None = None) -> tuple[PolicySet, PolicyReloader]:
    load = checked_loader()
    policies = PolicySet(load(path))
    return policies, PolicyReloader(policies, {None: path}, load, audit)


def audit_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_rewrite_in_place_in_small_chunks_never_swaps_in_half_a_policy(tmp_path):
    """A writer thread rewrites the file in place, 7 bytes at a time; the reloader polls after
    every chunk (in lock step, so each poll lands in the middle of the rewrite)."""
    path = tmp_path / "policy.yaml"
    path.write_text(OLD)
    policies, reloader = reloader_for(path)
    assert allowed_by(policies.default) == []
    chunks = [NEW[i : i + 7] for i in range(0, len(NEW), 7)]
    step = threading.Barrier(2, timeout=10)  # bounded: a stuck side breaks the barrier, never hangs

    def writer() -> None:
        try:
            with path.open("r+", encoding="utf-8") as file:
                file.truncate(0)
                for chunk in chunks:
                    file.write(chunk)
                    file.flush()
                    step.wait()  # this chunk is on disk
                    step.wait()  # the reloader has polled
        except threading.BrokenBarrierError:
            pass

    thread = threading.Thread(target=writer)
    thread.start()
    loosened: list[tuple[int, list[str]]] = []
    try:
        for index in range(len(chunks)):
            step.wait()
            reloader.check()
            if allowed_by(policies.default):
                loosened.append((index, allowed_by(policies.default)))
            step.wait()
    finally:
        step.abort()
        thread.join(10)
    assert loosened == [], f"half a policy was in force after chunks {loosened[:3]}"
    assert path.read_text() == NEW
    reloader.check()  # the whole new text, seen twice unchanged: read
    reloader.check()
    assert decide(policies.default, "odoo_search_count", {}).allowed  # the new version is in force
    assert allowed_by(policies.default) == []


def line_prefixes(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    return ["".join(lines[:n]) for n in range(1, len(lines))]


@pytest.mark.parametrize("cut", range(len(line_prefixes(NEW))))
def test_a_rewrite_that_stalls_at_any_line_loosens_nothing(tmp_path, cut):
    """The writer stops for longer than two polls after any line: what the reloader then reads is
    a complete-looking, looser file. A lost `default` or a tool cut to nothing is refused. (A rule
    list cut short between two rules cannot be told from an edit — the last probe — which is why
    the file is read only once it stands still, and why docs/policy.md asks for an atomic rename.)"""
    path = tmp_path / "policy.yaml"
    path.write_text(OLD)
    policies, reloader = reloader_for(path)
    with path.open("r+", encoding="utf-8") as file:
        file.truncate(0)
        file.write(line_prefixes(NEW)[cut])
    reloader.check()
    reloader.check()
    reloader.check()
    assert allowed_by(policies.default, DENIED_BY_BOTH[:3]) == []


def test_a_writer_that_stalls_at_every_line_in_turn_loosens_nothing(tmp_path):
    """Each line stands still for two polls, so each prefix is read in turn: a partial version that was
    accepted (tighter: the tools after the cut are denied) is then the policy in force, and the next
    prefix is judged against it — `odoo_unlink:` with nothing under it must still be refused."""
    path = tmp_path / "policy.yaml"
    path.write_text(OLD)
    policies, reloader = reloader_for(path)
    with path.open("r+", encoding="utf-8") as file:
        file.truncate(0)
        for line in NEW.splitlines(keepends=True):
            file.write(line)
            file.flush()
            reloader.check()
            reloader.check()
            assert allowed_by(policies.default, DENIED_BY_BOTH[:3]) == [], line
    assert decide(policies.default, "odoo_search_count", {}).allowed  # the whole new text, in the end


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('version: "1"\ndescription: "accounting agent"\n', "default: the policy in force says 'deny'"),
        (OLD.split("  odoo_unlink:")[0] + "  odoo_unlink:\n", "tools.odoo_unlink: written with nothing under it"),
        (OLD.split("  odoo_unlink:")[0] + "  odoo_create:\n", "tools.odoo_create: written with nothing under it"),
        (OLD.split("  odoo_unlink:")[0] + "  odoo_unlink:\n    rules:\n", "tools.odoo_unlink: written with nothing"),
        (OLD.replace("default: deny", "default: allow").split("  odoo_unlink:")[0], "tools.odoo_unlink: gone"),
    ],
    ids=["default-lost", "tool-emptied", "denied-tool-listed-empty", "rules-emptied", "tool-gone-under-allow"],
)
def test_a_version_that_drops_what_the_old_one_said_is_refused_and_says_why(tmp_path, capsys, text, problem):
    path = tmp_path / "policy.yaml"
    path.write_text(OLD)
    audit = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    policies, reloader = reloader_for(path, audit)
    old = policies.default
    path.write_text(text)
    assert reloader.check() == [(None, "waiting")]
    assert reloader.check() == [(None, "refused")]
    assert policies.default is old
    refused = [r for r in audit_records(tmp_path / "audit.jsonl") if r["event"] == "policy_reload_refused"]
    assert len(refused) == 1 and any(p.startswith(problem) for p in refused[0]["problems"]), refused
    assert "not reloaded, the old policy stays" in capsys.readouterr().err


def test_a_deliberate_change_written_out_is_read_and_the_audit_says_what_changed(tmp_path, capsys):
    path = tmp_path / "policy.yaml"
    path.write_text(OLD)
    audit = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    policies, reloader = reloader_for(path, audit)
    deliberate = NEW.replace('        action: deny\n        on_deny: "deleting is not allowed"\n', "").replace(
        '    rules:\n      - name: "never delete"\n', "    rules: []\n"
    )
    path.write_text(deliberate.replace("  odoo_read:\n    rules: []\n", ""))
    reloader.check()
    assert reloader.check() == [(None, "reloaded")]
    assert decide(policies.default, "odoo_unlink", {}).allowed  # rules: [] written out: deliberate
    record = [r for r in audit_records(tmp_path / "audit.jsonl") if r["event"] == "policy_reloaded"][-1]
    assert record["newly_allowed"] == ["odoo_search_count", "odoo_unlink"]
    assert record["newly_denied"] == ["odoo_read"]
    assert "newly allowed: odoo_search_count, odoo_unlink; newly denied: odoo_read" in capsys.readouterr().err


def test_with_a_checksum_file_only_the_text_it_names_is_read_and_at_once(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(OLD)
    policies, reloader = reloader_for(path)
    old = policies.default
    checksum_file(path).write_text(f"{hashlib.sha256(NEW.encode()).hexdigest()}  policy.yaml\n")
    path.write_text(NEW[: len(NEW) // 2])  # half written, however long it stays so
    for _ in range(3):
        assert reloader.check() == [(None, "waiting")]
    assert policies.default is old
    path.write_text(NEW)
    assert reloader.check() == [(None, "reloaded")]  # matches its checksum: no second poll needed
    assert decide(policies.default, "odoo_search_count", {}).allowed


def test_an_atomic_replacement_is_read_once_it_stood_still(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(OLD)
    policies, reloader = reloader_for(path)
    temporary = tmp_path / ".policy.yaml.tmp"
    temporary.write_text(NEW)
    temporary.replace(path)  # write + rename: the documented way
    assert reloader.check() == [(None, "waiting")]
    assert reloader.check() == [(None, "reloaded")]
    assert decide(policies.default, "odoo_search_count", {}).allowed
