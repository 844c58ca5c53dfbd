"""Refusals in one place: every tag the code writes is a `Tag` of guard/refusals.py, every failure class
carries its tag and audit outcome, and a refusal raised inside a handler is audited like the guard's own."""

from __future__ import annotations

import json
import re

import pytest

import guard.refusals as refusals
from guard.audit import AuditLog
from guard.guard import Guard
from guard.policy import parse_policy
from guard.refusals import Outcome, Tag, ToolFailure
from guard.spec import Caller, PathRefused, PolicyRefusal, Risk, ToolArgs, ToolSpec
from odoo_mcp.families import all_specs
from tests.harness import REPO

TAG_IN_SOURCE = re.compile(r"""["'(]\[([A-Z][A-Z ]{3,})\]""")


def written_tags() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for package in ("foundation", "guard", "tools", "odoo_mcp", "odoo_client"):
        for path in (REPO / package).rglob("*.py"):
            for tag in TAG_IN_SOURCE.findall(path.read_text()):
                found.setdefault(tag, []).append(str(path.relative_to(REPO)))
    return found


def test_every_tag_in_the_code_is_declared_in_refusals():
    tags = written_tags()
    assert {"POLICY DENIED", "INVALID ARGUMENTS", "RATE LIMITED"} <= set(tags)  # the scan sees them
    undeclared = {tag: files for tag, files in tags.items() if tag not in set(Tag)}
    assert undeclared == {}


def failure_classes() -> set[type[ToolFailure]]:
    all_specs()  # every family's modules imported: their own ToolFailure subclasses too
    seen: set[type[ToolFailure]] = set()
    todo = [ToolFailure]
    while todo:
        cls = todo.pop()
        seen.add(cls)
        todo.extend(cls.__subclasses__())
    return seen


def test_every_failure_class_has_a_declared_tag_and_outcome():
    for cls in failure_classes():
        assert cls.tag in set(Tag), cls
        assert cls.outcome in set(Outcome), cls


def test_the_failure_classes_live_in_refusals():
    assert {cls.__module__ for cls in failure_classes()} == {refusals.__name__}


class FailArgs(ToolArgs):
    how: str


def failing(args: FailArgs, call) -> None:
    """Raises what `how` names."""
    if args.how == "path":
        raise PathRefused("target", "leaves its root")
    if args.how == "policy":
        raise PolicyRefusal("a sensitive field through a relation")
    raise ToolFailure("plain failure")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("how", "tag", "outcome"),
    [("path", "[PATH REFUSED]", "path_refused"), ("policy", "[POLICY DENIED]", "denied"),
     ("other", "[TOOL ERROR]", "failed")],
)  # fmt: skip
async def test_a_refusal_inside_a_handler_is_audited_with_its_outcome(tmp_path, how, tag, outcome):
    audit = AuditLog(tmp_path / "audit.jsonl", stderr=False)
    guard = Guard(parse_policy({"version": "1", "default": "allow"}), audit=audit)
    tool = guard.wrap(ToolSpec("failing", "test", Risk.WRITE, FailArgs, failing, "test"))
    result = await tool({"how": how}, Caller())
    audit.close()
    assert result.is_error and result.text.startswith(tag)
    record = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()][-1]
    assert record["outcome"] == outcome


def test_every_outcome_the_guard_audits_is_an_outcome_member():
    """No outcome spelled as a bare string: `Refused(...)`, `finish(...)` and `Settled(...)` take `Outcome`s."""
    bare = re.compile(r"""(?:Refused|finish|Settled)\([^)]*?["'](?:[a-z]+_)*[a-z]+["']\s*[,)]""")
    offenders = []
    for path in (REPO / "guard").rglob("*.py"):
        for line in path.read_text().splitlines():
            if bare.search(line) and "Outcome." not in line:
                offenders.append(f"{path.name}: {line.strip()}")
    assert offenders == []
