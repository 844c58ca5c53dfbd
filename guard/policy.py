"""The policy document (PolicyLayer v1 plus `action`/`reason`), parsed strictly.

Any mistake — an unknown key, a wrong type, an unknown op, a bad regex, a counter
defined two different ways — rejects the whole document with messages that name the
JSON path of each problem (`tools.ee_link.limits[0].window: ...`). A guard that
guessed what a broken policy meant would fail open; this one refuses to start.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictInt,
    StrictStr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

WINDOW_SECONDS: dict[str, int] = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
MAX_WINDOW_SECONDS = 366 * 86400

Op = Literal[
    "eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in",
    "matches", "exists", "len_gt", "len_lte", "contains",
]  # fmt: skip

NAME_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Limit(_Strict):
    """`max` calls per `window`, counted in `counter`, per grant, session or globally."""

    counter: Annotated[StrictStr, Field(pattern=NAME_PATTERN)]
    window: Annotated[
        Annotated[Literal["second", "minute", "hour", "day"], Tag("name")]
        | Annotated[StrictInt, Field(ge=1, le=MAX_WINDOW_SECONDS), Tag("seconds")],
        Discriminator(lambda v: "name" if isinstance(v, str) else "seconds"),
    ]
    max: Annotated[StrictInt, Field(ge=1, le=1_000_000)]
    scope: Literal["grant", "session", "global"] = "global"

    @property
    def seconds(self) -> int:
        return WINDOW_SECONDS[self.window] if isinstance(self.window, str) else self.window

    @property
    def window_label(self) -> str:
        return self.window if isinstance(self.window, str) else f"{self.window} s"


class Condition(_Strict):
    """`{"arg": "amount", "op": "gt", "value": 10000}` — one test on one (dotted) argument."""

    arg: Annotated[StrictStr, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")]
    op: Op
    value: Any = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        op, value = self.op, self.value
        if op == "exists":
            if value is not None and not isinstance(value, bool):
                raise ValueError("op 'exists' takes no value, or true/false")
        elif op in ("gt", "gte", "lt", "lte"):
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError(f"op {op!r} needs a number or a string to compare with")
        elif op in ("len_gt", "len_lte"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"op {op!r} needs a non-negative integer")
        elif op in ("in", "not_in"):
            if not isinstance(value, list):
                raise ValueError(f"op {op!r} needs a list of values")
        elif op == "matches":
            if not isinstance(value, str):
                raise ValueError("op 'matches' needs a regular expression string")
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"bad regular expression: {exc}") from None
        elif op == "contains":
            if value is None:
                raise ValueError("op 'contains' needs a value")
        elif op in ("eq", "ne") and "value" not in self.model_fields_set:
            raise ValueError(f"op {op!r} needs a value")
        return self


ConditionEntry = Annotated[
    Annotated[StrictStr, Field(min_length=1), Tag("text")] | Annotated[Condition, Tag("condition")],
    Discriminator(lambda v: "text" if isinstance(v, str) else "condition"),
]
"""A bare string means: that argument must be present and non-empty."""


class ToolRule(_Strict):
    """The rule for one tool; `{}` allows it."""

    action: Literal["allow", "deny", "require_approval"] = "allow"
    reason: StrictStr | None = None
    require: list[ConditionEntry] = Field(default_factory=list)
    deny_if: list[ConditionEntry] = Field(default_factory=list)
    limits: list[Limit] = Field(default_factory=list)


class AllTools(_Strict):
    limits: list[Limit] = Field(default_factory=list)


class Policy(_Strict):
    """The whole document."""

    version: Literal["1"]
    default: Literal["allow", "deny"]
    hide: list[Annotated[StrictStr, Field(pattern=r"^(\*|[A-Za-z0-9_.-]{1,128})$")]] = Field(default_factory=list)
    all_tools: AllTools = Field(default_factory=AllTools)
    tools: dict[Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_.-]{1,128}$")], ToolRule] = Field(default_factory=dict)
    description: StrictStr | None = None
    """Free text for humans (PolicyLayer documents often carry one)."""
    listing: Literal["all", "allowed"] = Field(default="all", alias="list")
    """`"list": "allowed"` shows tools/list only the tools this policy lets be called (an agent spends no
    context on the others); `"all"` (default, as PolicyLayer) lists denied tools too. Hidden: never listed."""

    @field_validator("tools", mode="before")
    @classmethod
    def _tools_is_object(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError("must be an object mapping tool names to rules")
        return value

    def hides(self, tool: str) -> bool:
        return "*" in self.hide or tool in self.hide

    def limits_for(self, tool: str) -> list[Limit]:
        """The limits a call to `tool` hits: every all_tools limit, then the tool's own."""
        rule = self.tools.get(tool)
        return [*self.all_tools.limits, *(rule.limits if rule else [])]

    def counters(self) -> dict[str, Limit]:
        """Each counter name with its (single) definition."""
        found: dict[str, Limit] = {}
        for limit in self.all_tools.limits:
            found.setdefault(limit.counter, limit)
        for rule in self.tools.values():
            for limit in rule.limits:
                found.setdefault(limit.counter, limit)
        return found


class PolicyError(ValueError):
    """The policy did not load; `problems` lists `path: message` lines."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"invalid policy {source}:\n" + "\n".join(f"  - {p}" for p in problems))


_UNION_TAGS = frozenset({"name", "seconds", "text", "condition"})


def json_path(loc: tuple[Any, ...], *, skip: frozenset[str] = frozenset(), whole: str = "(document)") -> str:
    """pydantic's error location → `tools.ee_link.limits[0].max`, leaving out the `skip` parts
    (the tags of tagged unions); `whole` names an error on the value as a whole."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in skip:
            path += f".{part}" if path else str(part)
    return path or whole


def _describe(errors: list[dict[str, Any]]) -> list[str]:
    """One line per problem; where a union failed on every branch, keep the most telling one."""
    by_path: dict[str, list[str]] = {}
    for error in errors:
        path = json_path(tuple(error["loc"]), skip=_UNION_TAGS)
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required key is missing"
        by_path.setdefault(path, []).append(message.removeprefix("Value error, "))
    lines = []
    for path, messages in by_path.items():
        unique = list(dict.fromkeys(messages))
        lines.append(f"{path}: {' / '.join(unique)}")
    return lines


def _check_counters(policy: Policy) -> list[str]:
    """A counter is one thing: every limit naming it must agree on window, max and scope."""
    problems: list[str] = []
    first: dict[str, tuple[str, Limit]] = {}
    places = [(f"all_tools.limits[{i}]", limit) for i, limit in enumerate(policy.all_tools.limits)]
    for tool, rule in policy.tools.items():
        places += [(f"tools.{tool}.limits[{i}]", limit) for i, limit in enumerate(rule.limits)]
    for path, limit in places:
        if limit.counter not in first:
            first[limit.counter] = (path, limit)
            continue
        origin, defined = first[limit.counter]
        for key in ("window", "max", "scope"):
            if getattr(limit, key) != getattr(defined, key):
                problems.append(
                    f"{path}.{key}: counter {limit.counter!r} is defined with {key} "
                    f"{getattr(defined, key)!r} at {origin}; a shared counter needs one definition"
                )
    return problems


def parse_policy(document: Any, source: str = "<policy>") -> Policy:
    """Validate a decoded JSON document; raise `PolicyError` listing every problem with its path."""
    if not isinstance(document, dict):
        raise PolicyError(source, ["(document): must be a JSON object"])
    try:
        policy = Policy.model_validate(document)
    except ValidationError as exc:
        raise PolicyError(source, _describe(exc.errors())) from None
    problems = _check_counters(policy)
    if problems:
        raise PolicyError(source, problems)
    return policy


def load_policy(path: Path) -> Policy:
    """Read and validate `path`; a missing file or bad JSON is a `PolicyError` too."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(source, ["(file): not found"]) from None
    except OSError as exc:
        raise PolicyError(source, [f"(file): cannot be read: {exc.strerror}"]) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(source, [f"(json): line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None
    return parse_policy(document, source)
