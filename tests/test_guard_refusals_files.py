"""The descriptor walk's own errors (`foundation.fsroot`) read as the guard's refusals (in process).

A handler's file work goes through `foundation.fsroot`, which raises `RootRefused` and `NameTaken`
(the bottom package knows no tags). The agent must still read `[PATH REFUSED] …` audited
`path_refused` with its quota given back, and `[TOOL ERROR] … already exists` charged, exactly as
when the walk raised the guard's classes itself; and an approval question shows the same words for
a preview that fails that way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from foundation.fsroot import RootDir
from guard.approvals.question import question_for
from guard.audit import AuditLog
from guard.guard import Guard
from guard.policy import parse_text
from guard.refusals import failure_of
from guard.spec import Call, Caller, PathRefused, Risk, ToolArgs, ToolFailure, ToolSpec

pytestmark = pytest.mark.anyio

POLICY = json.dumps(
    {"version": "1", "default": "allow", "tools": {"save": {"rate_limit": {"max": 1, "window": "hour"}}}}
)


class SaveArgs(ToolArgs):
    name: str


def make_save(root: Path):
    def save(args: SaveArgs, call: Call) -> dict:
        with RootDir(root, "save_path") as opened:
            opened.create_file(opened.parts(args.name), b"x")
        return {"saved": args.name}

    return save


def guard_for(root: Path, audit: AuditLog | None = None) -> Guard:
    guard = Guard(parse_text(POLICY), audit=audit)
    guard.wrap(ToolSpec(name="save", family="test", risk=Risk.WRITE, args=SaveArgs, handler=make_save(root),
                        description="test"))
    return guard


async def test_a_path_the_walk_refuses_is_path_refused_and_gives_the_quota_back(tmp_path):
    """Break: drop `failure_of` in the guard's handler step — the call is answered `[INTERNAL ERROR]`,
    audited `crashed`, and charged."""
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(tmp_path, root / "link")
    audit = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    tool = guard_for(root, audit).tools["save"]
    refused = await tool({"name": "link/new.txt"}, Caller())
    again = await tool({"name": "link/new.txt"}, Caller())  # the quota of one was given back: not RATE LIMITED
    audit.close()
    assert refused.text == "[PATH REFUSED] save_path: link is a symlink or not a folder; refusing to follow it"
    assert again.text == refused.text
    records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [(r["outcome"], r["charged"]) for r in records if r["event"] == "tool_call"] == [
        ("path_refused", False), ("path_refused", False),
    ]  # fmt: skip
    assert not (tmp_path / "new.txt").exists()


async def test_a_name_already_taken_is_a_tool_error_and_is_charged(tmp_path):
    """Break: map `NameTaken` to `PathRefused` (or not at all) — other words, other outcome, quota back."""
    (tmp_path / "taken.txt").write_text("theirs")
    audit = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    tool = guard_for(tmp_path, audit).tools["save"]
    taken = await tool({"name": "taken.txt"}, Caller())
    limited = await tool({"name": "other.txt"}, Caller())
    audit.close()
    assert taken.text == (
        "[TOOL ERROR] save_path: taken.txt already exists; choose another name (nothing is overwritten)"
    )
    assert limited.text.startswith("[RATE LIMITED]")  # the failed call reached the tool: charged
    assert (tmp_path / "taken.txt").read_text() == "theirs"
    records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert next(r["outcome"] for r in records if r["event"] == "tool_call") == "failed"


async def test_an_approval_question_shows_a_refused_preview_in_the_guards_words(tmp_path):
    """Break: catch only `ToolFailure` around the preview — the question says `RootRefused` instead."""
    root = tmp_path / "root"
    root.mkdir()

    def preview(args: SaveArgs, call: Call) -> dict:
        with RootDir(root, "save_path") as opened:
            return {"bytes": len(opened.read_file(opened.parts(args.name), 10))}

    spec = ToolSpec(name="save", family="test", risk=Risk.WRITE, args=SaveArgs, handler=make_save(root),
                    description="test", preview=preview)
    question = await question_for(spec, SaveArgs(name="missing.txt"), Call(caller=Caller(), runtime=None), "a1", 0.0)
    assert "[PATH REFUSED] save_path: missing.txt does not exist inside the root" in question


def test_anything_else_is_left_as_it_is():
    failure = ToolFailure("Odoo said no")
    crash = RuntimeError("boom")
    assert failure_of(failure) is failure and failure_of(crash) is crash
    assert isinstance(failure_of(PathRefused("p", "why")), PathRefused)
