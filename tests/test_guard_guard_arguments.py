"""guard/guard.py: arguments as the agent sent them, as the tool receives them, and the words of a refusal.

In process, through the decorated tool (`Guard.wrap`): what a validation error says (names and
problems, never the rejected value), which arguments are accepted as JSON text (a list or an
object, never something that may be a string), path arguments confined before the handler, the
tool's canonicalisation step and its approval question (the call's runtime and paths).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field, field_validator

from guard.approvals.gate import Channel
from guard.guard import Guard
from guard.policy import parse_text
from guard.spec import Call, Caller, PathArg, Risk, ToolArgs, ToolSpec
from guard.wording import pattern_words

pytestmark = pytest.mark.anyio

ALLOW = '{"version": "1", "default": "allow"}'


class Point(BaseModel):
    x: int
    y: int


class Circle(BaseModel):
    kind: Literal["circle"]
    radius: int


class Square(BaseModel):
    kind: Literal["square"]
    side: int


class Args(ToolArgs):
    tags: list[str] = Field(default_factory=list)
    maybe_tags: list[str] | None = None
    values: dict[str, Any] = Field(default_factory=dict)
    point: Point | None = None
    shape: Annotated[Circle | Square, Field(discriminator="kind")] | None = None
    text_or_list: str | list[str] | None = None
    anything: Any = None
    list_or_anything: list[int] | Any = None
    code: Annotated[str, Field(pattern=r"^[A-Z]{2,5}$")] = "WH"
    even: int = 0

    @field_validator("even")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be even")
        return value


async def echo(args: Args, call: Call) -> dict:
    return args.model_dump(mode="json")


def guard_with(*specs: ToolSpec, policy: str = ALLOW, roots: dict | None = None) -> Guard:
    guard = Guard(parse_text(policy), roots=roots)
    for spec in specs:
        guard.wrap(spec)
    return guard


ECHO = ToolSpec("echo", "test", Risk.READ, Args, echo, "test")


@pytest.mark.parametrize(
    ("arguments", "answer"),
    [
        ({"nope": 1}, "nope: unexpected argument"),
        ({"point": {"x": 1}}, "point.y: required argument is missing"),
        ({"code": "wh1"}, f"code: {pattern_words(r'^[A-Z]{2,5}$')}"),  # the allowed form, in words
        ({"values": [1, 2]}, "values: must be an object of named arguments"),
        ({"point": "here"}, "point: must be an object of named arguments"),
        ({"even": 3}, "even: must be even"),
        ({"nope": 1, "other": 2}, "nope: unexpected argument; other: unexpected argument"),
        ({"tags": [1, "secret-value-42"]}, "tags[0]: Input should be a valid string"),
    ],
)
async def test_a_validation_error_names_the_argument_and_the_problem(arguments, answer):
    result = await guard_with(ECHO).tools["echo"](arguments, Caller())
    assert result.is_error and result.text.startswith(f"[INVALID ARGUMENTS] {answer}"), result.text
    assert "secret-value-42" not in result.text and "wh1" not in result.text  # never the rejected value


async def test_the_same_problem_twice_is_said_once():
    class Twice(ToolArgs):
        a: int

        @field_validator("a")
        @classmethod
        def _check(cls, value: int) -> int:
            raise ValueError("no")

    async def handler(args, call):
        return None

    guard = guard_with(ToolSpec("twice", "test", Risk.READ, Twice, handler, "test"))
    result = await guard.tools["twice"]({"a": 1}, Caller())
    assert result.text == "[INVALID ARGUMENTS] a: no"


DECODED = [
    ("tags", '["a", "b"]', ["a", "b"]),
    ("tags", '  ["a"]', ["a"]),  # leading blanks are fine
    ("maybe_tags", '["a"]', ["a"]),  # a list or nothing: still never a string
    ("values", '{"a": 1}', {"a": 1}),
    ("point", '{"x": 1, "y": 2}', {"x": 1, "y": 2}),  # a model: `$ref` in the schema
    ("shape", '{"kind": "square", "side": 3}', {"kind": "square", "side": 3}),  # `oneOf`
]


@pytest.mark.parametrize(("name", "text", "value"), DECODED)
async def test_a_list_or_object_argument_is_accepted_as_json_text(name, text, value):
    result = await guard_with(ECHO).tools["echo"]({name: text}, Caller())
    assert not result.is_error, result.text
    assert result.data[name] == value


@pytest.mark.parametrize(
    ("name", "text"),
    [("text_or_list", '["a"]'), ("anything", '["a"]'), ("anything", "{}"), ("list_or_anything", "[1]")],
)
async def test_an_argument_that_may_be_a_string_is_never_decoded(name, text):
    result = await guard_with(ECHO).tools["echo"]({name: text}, Caller())
    assert not result.is_error, result.text
    assert result.data[name] == text


async def test_text_that_is_not_json_is_left_for_validation_to_name():
    guard = guard_with(ECHO)
    result = await guard.tools["echo"]({"tags": "[not json", "values": '{"a": 1}', "point": '{"x": 1, "y": 2}',
                                        "maybe_tags": '["m"]', "shape": '{"kind": "circle", "radius": 1}'},
                                       Caller())  # fmt: skip
    assert result.text == "[INVALID ARGUMENTS] tags: Input should be a valid list"  # the others were decoded
    plain = await guard.tools["echo"]({"tags": "a,b"}, Caller())
    assert plain.text == "[INVALID ARGUMENTS] tags: Input should be a valid list"


async def test_json_text_nested_too_deeply_is_refused_with_a_tag():
    result = await guard_with(ECHO).tools["echo"]({"values": "[" * 100_000 + "]" * 100_000}, Caller())
    assert result.text == "[INVALID ARGUMENTS] values: JSON text nested too deeply"


class Files(ToolArgs):
    source: Annotated[str | None, PathArg("files", must_exist=True)] = None
    target: Annotated[str | None, PathArg("files")] = None
    elsewhere: Annotated[str | None, PathArg("other")] = None


async def paths_seen(args: Files, call: Call) -> dict:
    return {name: str(path) for name, path in call.paths.items()}


FILES = ToolSpec("files", "test", Risk.WRITE, Files, paths_seen, "test")


async def test_path_arguments_are_confined_and_handed_over_resolved(tmp_path):
    root = tmp_path / "files"
    (root / "in").mkdir(parents=True)
    (root / "in" / "a.txt").write_text("a")
    guard = guard_with(FILES, roots={"files": root})
    tool = guard.tools["files"]
    seen = await tool({"target": "out.txt"}, Caller())  # the first path argument left out: the next one confined
    assert seen.data == {"target": str(root.resolve() / "out.txt")}
    both = await tool({"source": "in/a.txt", "target": "in/b.txt"}, Caller())
    assert both.data == {"source": str(root.resolve() / "in/a.txt"), "target": str(root.resolve() / "in/b.txt")}
    missing = await tool({"source": "in/nothing.txt"}, Caller())  # a read must find its file
    assert missing.is_error and missing.text.startswith("[PATH REFUSED] source: "), missing.text
    outside = await tool({"target": "../escape.txt"}, Caller())
    assert outside.text.startswith("[PATH REFUSED] target: ")


async def test_a_path_argument_of_an_unconfigured_root_says_which(tmp_path):
    guard = guard_with(FILES, roots={"files": tmp_path})
    result = await guard.tools["files"]({"elsewhere": "x.txt"}, Caller())
    assert result.text == "[NOT CONFIGURED] elsewhere: the 'other' root is not configured on this server"


class Text(ToolArgs):
    text: str = ""


def upper_sync(args: Text, call: Call) -> Text:
    return Text(text=f"{args.text.upper()} for {call.caller.grant}")


async def upper_async(args: Text, call: Call) -> Text:
    return Text(text=f"{args.text.upper()} for {call.caller.grant}")


async def text_of(args: Text, call: Call) -> str:
    return args.text


@pytest.mark.parametrize("canonical", [upper_sync, upper_async], ids=["sync", "async"])
async def test_the_handler_and_the_conditions_see_the_canonical_values(canonical):
    policy = json.dumps({"version": "1", "default": "allow", "tools": {"shout": {
        "deny_if": [{"path": "args.text", "op": "eq", "value": "NO for alice"}]}}})  # fmt: skip
    guard = guard_with(ToolSpec("shout", "test", Risk.WRITE, Text, text_of, "test", canonical=canonical),
                       policy=policy)  # fmt: skip
    assert (await guard.tools["shout"]({"text": "yes"}, Caller("alice"))).text == "YES for alice"
    assert (await guard.tools["shout"]({"text": "no"}, Caller("alice"))).text.startswith("[POLICY DENIED]")


async def test_the_approval_question_shows_the_preview_made_with_the_calls_runtime_and_paths(tmp_path):
    root = tmp_path / "files"
    root.mkdir()

    def preview(args: Files, call: Call) -> dict:
        return {"runtime": call.runtime, "paths": {name: str(path) for name, path in call.paths.items()}}

    policy = json.dumps({"version": "1", "default": "allow", "tools": {"files": {"action": "require_approval"}}})
    guard = Guard(parse_text(policy), roots={"files": root})
    guard.wrap(ToolSpec("files", "test", Risk.WRITE, Files, paths_seen, "test", preview=preview), "the-runtime")
    questions: list[str] = []

    async def ask(question: str) -> bool:
        questions.append(question)
        return True

    result = await guard.tools["files"]({"target": "new.txt"}, Caller("alice"), Channel(ask=ask))
    assert result.data == {"target": str(root.resolve() / "new.txt")}
    [question] = questions
    assert question.startswith("Allow the agent (grant 'alice', session stdio) to call files (write)?")
    assert '"runtime": "the-runtime"' in question
    assert f'"target": "{root.resolve() / "new.txt"}"' in question


async def test_an_out_of_band_approval_is_for_its_tool_and_its_exact_arguments():
    policy = json.dumps({"version": "1", "default": "allow", "tools": {"shout": {"action": "require_approval"}}})
    guard = guard_with(ToolSpec("shout", "test", Risk.WRITE, Text, text_of, "test"), policy=policy)
    tool = guard.tools["shout"]
    pending = await tool({"text": "a"}, Caller())
    approval_id = pending.text.split()[2]
    stored = guard.approvals.store.get(approval_id)
    assert stored.tool == "shout"
    guard.approvals.decide(approval_id, True, "local:carol")
    other = await tool({"text": "b"}, Caller())  # other arguments: not what the human approved
    assert other.text.startswith("[APPROVAL PENDING] ") and approval_id not in other.text
    assert (await tool({"text": "a"}, Caller())).text == "a"


async def test_a_number_argument_sent_as_json_text_is_named_as_the_text_it_is():
    """Only list and object arguments are decoded: a number given `"[1]"` is refused as a string that is no number."""

    class Count(ToolArgs):
        n: int = 0

    async def handler(args, call):
        return args.n

    guard = guard_with(ToolSpec("count", "test", Risk.READ, Count, handler, "test"))
    result = await guard.tools["count"]({"n": "[1]"}, Caller())
    assert result.text == "[INVALID ARGUMENTS] n: Input should be a valid integer, unable to parse string as an integer"
