"""Refusals in one place: every tag the code writes is a `Tag` of guard/refusals.py (never typed by hand)
and is documented in docs/tools.md, every failure class carries its tag and audit outcome, and a refusal
raised inside a handler is audited like the guard's own."""

from __future__ import annotations

import ast
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

TAG_FIRST = re.compile(r"\[([A-Z][A-Z ]{3,})\]")
"""A refusal line's tag, where a string starts with one."""


def docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def literal_tags(source: str) -> list[str]:
    """Tags written by hand at the start of a string (a plain or an f-string), docstrings aside."""
    tree = ast.parse(source)
    skip = docstrings(tree)
    found = []
    for node in ast.walk(tree):  # the text parts of an f-string are constants too
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            match = TAG_FIRST.match(node.value)
            if match:
                found.append(match.group(1))
    return found


def test_the_scan_sees_a_tag_written_by_hand():
    source = 'x = f"[POLICY DENIED] {why}"\ny = "[RATE LIMITED] c"\nz = f"[{Tag.CONFLICT}] {why}"\n'
    assert sorted(literal_tags(source)) == ["POLICY DENIED", "RATE LIMITED"]
    assert literal_tags('"""[POLICY DENIED] in a docstring"""\n') == []


def test_every_tag_the_code_writes_is_a_tag_member_never_a_literal():
    """A refusal's tag comes from `Tag` (`f"[{Tag.POLICY_DENIED}] ..."`, a `ToolFailure`'s `tag`): a tag
    typed by hand can drift from the one agents and docs know."""
    by_hand = {}
    for package in ("foundation", "guard", "tools", "odoo_mcp", "odoo_client"):
        for path in (REPO / package).rglob("*.py"):
            for tag in literal_tags(path.read_text()):
                by_hand.setdefault(tag, []).append(str(path.relative_to(REPO)))
    assert by_hand == {}


def documented_tags() -> set[str]:
    """The tags of the table "What a refusal looks like" in docs/tools.md (its first column)."""
    text = (REPO / "docs" / "tools.md").read_text(encoding="utf-8")
    section = text.split("## What a refusal looks like", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `[")]
    return {tag for row in rows for tag in re.findall(r"`\[([A-Z][A-Z ]+)\]`", row)}


def test_every_tag_is_documented_where_the_docs_list_them():
    """The tags a client can read — `Tag`, and every failure class's — are the rows of the docs' table."""
    tags = set(Tag) | {cls.tag for cls in failure_classes()}
    assert documented_tags() == {str(tag) for tag in tags}


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
