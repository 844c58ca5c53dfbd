"""guard/spec.py, the vocabulary a tool family describes itself with, as the guard applies it.

In process, through `Guard.wrap`: an argument model built on `ToolArgs` refuses unknown
arguments (never drops them) and validates its defaults; a `PathArg` argument reaches the
handler resolved inside its root; a handler's `ToolOutput` keeps its binary parts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import Field

from guard.guard import Guard
from guard.policy import parse_text
from guard.spec import Blob, Call, Caller, PathArg, Risk, ToolArgs, ToolOutput, ToolSpec

pytestmark = pytest.mark.anyio

ALLOW_ALL = parse_text(json.dumps({"version": "1", "default": "allow"}))


class Args(ToolArgs):
    name: str = "a"
    size: Annotated[int, Field(ge=1)] = 1
    where: Annotated[str | None, PathArg("files")] = None


def wrapped(handler, tmp_path: Path | None = None) -> Guard:
    guard = Guard(ALLOW_ALL, roots={"files": tmp_path} if tmp_path else None)
    guard.wrap(ToolSpec(name="t", family="test", risk=Risk.READ, args=Args, handler=handler, description="t"))
    return guard


async def test_an_unknown_argument_is_refused_never_dropped():
    seen: list[Args] = []
    guard = wrapped(lambda args, call: seen.append(args) or "ok")
    refused = await guard.tools["t"]({"name": "b", "colour": "red"}, Caller())
    assert refused.text == "[INVALID ARGUMENTS] colour: unexpected argument" and seen == []
    assert not (await guard.tools["t"]({"name": "b"}, Caller())).is_error and seen[0].name == "b"


def test_defaults_are_validated_too():
    class Broken(ToolArgs):
        size: Annotated[int, Field(ge=1)] = 0

    with pytest.raises(ValueError, match="greater than or equal to 1"):
        Broken()


async def test_a_path_argument_reaches_the_handler_resolved_in_its_root(tmp_path: Path):
    (tmp_path / "in.txt").write_text("x")
    calls: list[Call] = []
    guard = wrapped(lambda args, call: calls.append(call) or "ok", tmp_path)
    assert not (await guard.tools["t"]({"where": "in.txt"}, Caller("alice", "s1"))).is_error
    assert calls[0].paths == {"where": tmp_path / "in.txt"}
    assert calls[0].caller == Caller("alice", "s1") and calls[0].approved is False
    refused = await guard.tools["t"]({"where": "../out.txt"}, Caller())
    assert refused.text.startswith("[PATH REFUSED] where: ")


async def test_a_tool_output_keeps_its_binary_parts():
    pdf = Blob("r.pdf", "application/pdf", b"%PDF")
    guard = wrapped(lambda args, call: ToolOutput({"pages": 1}, (pdf,)))
    result = await guard.tools["t"]({}, Caller())
    assert (result.text, result.data, result.blobs) == ('{"pages":1}', {"pages": 1}, (pdf,))


def test_a_caller_without_credentials_is_the_local_stdio_one():
    assert Caller() == Caller("local", "stdio")
    assert PathArg("files").must_exist is False
    assert [risk.value for risk in Risk] == ["read", "write", "execute", "destructive"]
