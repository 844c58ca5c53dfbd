"""The policy: one internal model, read from two spellings, parsed strictly.

The model is PolicyLayer's hosted JSON (`version`, `default`, `hide`, `tools.<name>` with
`action`, `on_deny`, `require`, `deny_if`, `limits`, `rate_limit`, and a `"*"` entry for
every tool) plus Intercept's `rules` (`name`, `action: evaluate|deny`, `conditions`,
`on_deny`, `state`, the `rate_limit: "N/hour"` shorthand). A `.yaml`/`.yml` policy is an
Intercept document and is read into the same model (`guard.documents`).

Any mistake — an unknown key, a key written twice, a wrong type, an unknown op, a bad regex,
a counter defined two different ways, a state path no rule counts — rejects the whole
document with messages that name the path of each problem (`tools.ee_link.limits[0].window:
...`). A guard that guessed what a broken policy meant would fail open; this one refuses to
start. Which tool names exist is the server's business, not this module's.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import re2
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StrictInt,
    StrictStr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from guard.documents import (
    DocumentProblems,
    from_intercept,
    looks_like_yaml,
    read_json,
    read_yaml,
    structural_problems,
)

WINDOW_SECONDS: dict[str, int] = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
MAX_WINDOW_SECONDS = 366 * 86400

Op = Literal[
    "eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "regex", "contains", "exists",
    "ne", "matches", "len_gt", "len_lte",
]  # fmt: skip
"""Intercept's eleven operators, then ours (`ne` = `neq`, `matches` = a full-string regex)."""

NAME_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Limit(_Strict):
    """`max` calls per `window`, counted in `counter`, per grant, session or globally."""

    counter: Annotated[StrictStr, Field(pattern=NAME_PATTERN)]
    window: Annotated[
        Annotated[Literal["second", "minute", "hour", "day"], Tag("named-window")]
        | Annotated[StrictInt, Field(ge=1, le=MAX_WINDOW_SECONDS), Tag("seconds-window")],
        Discriminator(lambda v: "named-window" if isinstance(v, str) else "seconds-window"),
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
    """One test on one value: `{"path": "args.values.password", "op": "exists", "value": true}`.

    `path` is PolicyLayer's and Intercept's spelling: `args.<name>[.<key>…]` reads the call's
    arguments (each dot descends one level), `state.<tool>.<counter>` an Intercept counter.
    `arg` is this project's older spelling of an argument path (no `args.` prefix).
    """

    arg: StrictStr | None = None
    path: StrictStr | None = None
    op: Op
    value: Any = None

    _source: str = PrivateAttr("args")
    _parts: tuple[str, ...] = PrivateAttr(())
    _pattern: Any = PrivateAttr(None)

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        if (self.arg is None) == (self.path is None):
            raise ValueError("give the value's 'path' (args.x.y or state.<tool>.<counter>), or 'arg', not both")
        if self.arg is not None:
            if not _ARG_RE.match(self.arg):
                raise ValueError(f"arg {self.arg!r} is not a dotted argument name")
            self._source, self._parts = "args", tuple(self.arg.split("."))
        else:
            self._source, self._parts = split_path(self.path)
        op, value = self.op, self.value
        if op == "exists":
            if value is not None and not isinstance(value, bool):
                raise ValueError("op 'exists' takes true or false")
        elif op in ("gt", "gte", "lt", "lte"):
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError(f"op {op!r} needs a numeric value (or, in require/deny_if, a string) to compare with")
        elif op in ("len_gt", "len_lte"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"op {op!r} needs a non-negative integer")
        elif op in ("in", "not_in"):
            if not isinstance(value, list):
                raise ValueError(f"op {op!r} needs a list of values")
        elif op in ("regex", "matches"):
            if not isinstance(value, str):
                raise ValueError(f"op {op!r} needs a regular expression string")
            self._pattern = compile_pattern(value)
        elif op == "contains":
            if value is None:
                raise ValueError("op 'contains' needs a value")
        elif op in ("eq", "neq", "ne") and "value" not in self.model_fields_set:
            raise ValueError(f"op {op!r} needs a value")
        return self

    @property
    def label(self) -> str:
        """The path as the author wrote it."""
        return self.path if self.path is not None else str(self.arg)

    @property
    def source(self) -> str:
        """`args` or `state`."""
        return self.__pydantic_private__["_source"]  # type: ignore[index]  (direct: this is on the hot path)

    @property
    def parts(self) -> tuple[str, ...]:
        """The path's steps below `args` (or `(tool, counter)` below `state`)."""
        return self.__pydantic_private__["_parts"]  # type: ignore[index]

    @property
    def pattern(self) -> Any:
        """The compiled (linear-time) regular expression of `regex` / `matches`."""
        return self.__pydantic_private__["_pattern"]  # type: ignore[index]


_ARG_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
_ARGS_PATH_RE = re.compile(r"^args(\.[^.]+)+$")
_STATE_PATH_RE = re.compile(r"^state\.([^.]+)\.(.+)$", re.DOTALL)
"""As Intercept reads them: each dot of an `args.` path descends one level (a key may hold a
space); a `state.` path is `state.<tool>.<counter>`, the counter being everything after the
second dot (Intercept's counter names are any non-empty text: `daily spend`, `a.b`)."""


def split_path(path: str) -> tuple[str, tuple[str, ...]]:
    """`args.values.password` → ("args", ("values", "password")); `state.t.c` → ("state", ("t", "c"))."""
    if _ARGS_PATH_RE.match(path):
        return "args", tuple(path.split(".")[1:])
    state = _STATE_PATH_RE.match(path)
    if state:
        return "state", (state.group(1), state.group(2))
    raise ValueError(f"path must be args.<name>[.<key>…] or state.<tool>.<counter>, got {path!r}")


def compile_pattern(pattern: str) -> Any:
    """A regular expression compiled by RE2: linear time in the input, so a policy's pattern cannot
    stall the server on a crafted argument (Python's `re` backtracks exponentially on `(a+)+b`)."""
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"bad regular expression {pattern!r}: {detail}") from None


ConditionEntry = Annotated[
    Annotated[StrictStr, Field(min_length=1), Tag("require-text")] | Annotated[Condition, Tag("require-condition")],
    Discriminator(lambda v: "require-text" if isinstance(v, str) else "require-condition"),
]
"""A bare string names a value that must be present, not null and not empty: `args.reason` (or `reason`)."""


@lru_cache(maxsize=1024)
def require_parts(entry: str) -> tuple[str, ...]:
    """The argument path of a bare `require` string."""
    return tuple(entry.removeprefix("args.").split("."))


class StateDef(_Strict):
    """An Intercept counter: `counter` counted per calendar-aligned UTC `window`."""

    counter: Annotated[StrictStr, Field(min_length=1)]
    """Any non-empty name, as Intercept's (`daily spend` included)."""
    window: Literal["minute", "hour", "day"]
    increment: Annotated[StrictInt, Field(ge=0, le=1_000_000_000)] | None = None
    """Added per call; 0 or omitted means 1, as in Intercept. A negative one (Intercept takes it, and
    a call would then give quota back) is refused."""
    increment_from: Annotated[StrictStr, Field(pattern=r"^args(\.[^.]+)+$")] | None = None
    """`args.amount`: add that argument's value (a non-negative number) instead of `increment`."""
    scope: Literal["grant", "session", "global"] = "global"
    """Ours: Intercept counts per gateway (`global`); a server with several grants may count per grant."""

    @model_validator(mode="after")
    def _one_increment(self) -> StateDef:
        if self.increment is not None and self.increment_from is not None:
            raise ValueError("give increment or increment_from, not both")
        return self


_RATE_LIMIT_RE = re.compile(r"^\+?([0-9]+)/(minute|hour|day)$")
"""Intercept's `N/window`, exactly as its parser reads it (Go's `strconv.Atoi` on the count: ASCII
digits, an optional `+`, no spaces — `" 5/hour"` and `"5/hour "` are refused there, so here)."""
_MAX_COUNT = 2**63 - 1
INTERCEPT_NUMERIC_OPS = ("lt", "lte", "gt", "gte")


class Rule(_Strict):
    """An Intercept rule: `deny` unconditionally, or `evaluate` conditions (all must hold)."""

    name: Annotated[StrictStr, Field(min_length=1)]
    action: Literal["evaluate", "deny"] = "evaluate"
    conditions: list[Condition] = Field(default_factory=list)
    on_deny: StrictStr | None = None
    state: StateDef | None = None
    rate_limit: StrictStr | None = None
    """Shorthand `N/minute|hour|day` for a `lte N` condition on a `_rate_<window>` counter."""

    @model_validator(mode="after")
    def _shape(self) -> Rule:
        if self.rate_limit is not None:
            match = _RATE_LIMIT_RE.match(self.rate_limit)
            if match is None or not 1 <= int(match.group(1)) <= _MAX_COUNT:
                raise ValueError(
                    f"rate_limit must be N/minute, N/hour or N/day with N a positive integer, got {self.rate_limit!r}"
                )
            if self.conditions or self.state is not None:
                raise ValueError("rate_limit cannot be combined with conditions or state; use separate rules")
            if self.action == "deny":
                raise ValueError("rate_limit cannot be used with action 'deny'")
        elif self.action == "deny" and self.conditions:
            raise ValueError("deny rules must not have conditions")
        elif self.action == "evaluate" and not self.conditions:
            raise ValueError("evaluate rules must have at least one condition")
        problems = [
            f"conditions[{index}]: {problem}"
            for index, condition in enumerate(self.conditions)
            if (problem := intercept_value_problem(condition))
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def expanded(self, scope: str) -> tuple[list[Condition], StateDef | None, str | None]:
        """Conditions, counter and message, with the `rate_limit` shorthand expanded as Intercept does."""
        if self.rate_limit is None:
            return self.conditions, self.state, self.on_deny
        count, window = self.rate_limit.lstrip("+").split("/")
        counter = f"_rate_{window}"
        condition = Condition(path=f"state.{scope}.{counter}", op="lte", value=int(count))
        message = self.on_deny or f"Rate limit of {int(count)} per {window} reached. Try again later."
        return [condition], StateDef(counter=counter, window=window), message  # type: ignore[arg-type]


def intercept_value_problem(condition: Condition) -> str | None:
    """What Intercept's validator refuses in a rule's condition that this model otherwise takes.

    Intercept's rules compare with `lt`/`lte`/`gt`/`gte` only against a number (a string there
    would let a policy Intercept never runs allow calls by string order), and `exists` needs
    `true` or `false`. The JSON spelling's `require`/`deny_if` keep this project's extensions
    (string comparisons for ISO dates, `exists` alone meaning `true`)."""
    value = condition.value
    if condition.op in INTERCEPT_NUMERIC_OPS and (isinstance(value, bool) or not isinstance(value, int | float)):
        return f"op {condition.op!r} needs a numeric value in an Intercept rule, got {value!r}"
    if condition.op == "exists" and not isinstance(value, bool):
        return "op 'exists' takes true or false in an Intercept rule (it cannot be left out)"
    return None


def state_scope(tool: str) -> str:
    """The scope of a tool's counters in `state.<scope>.<counter>`: the tool, or `_global` for "*"."""
    return "_global" if tool == WILDCARD else tool


class RateLimitBlock(_Strict):
    """PolicyLayer's `"rate_limit": {"max": 10, "window": 60}`: a per-session counter for the tool."""

    max: Annotated[StrictInt, Field(ge=1, le=1_000_000)]
    window: Annotated[
        Annotated[Literal["second", "minute", "hour", "day"], Tag("named-window")]
        | Annotated[StrictInt, Field(ge=1, le=MAX_WINDOW_SECONDS), Tag("seconds-window")],
        Discriminator(lambda v: "named-window" if isinstance(v, str) else "seconds-window"),
    ]

    def as_limit(self, tool: str) -> Limit:
        return Limit.model_construct(
            counter=f"rate_limit.{state_scope(tool)}", window=self.window, max=self.max, scope="session"
        )


class ToolRule(_Strict):
    """The rule for one tool (or for every tool, under "*"); `{}` allows it."""

    action: Literal["allow", "deny", "require_approval"] = "allow"
    on_deny: StrictStr | None = None
    """The message the agent sees when this tool's rule denies a call."""
    reason: StrictStr | None = None
    """This project's older name for `on_deny`."""
    require: list[ConditionEntry] = Field(default_factory=list)
    deny_if: list[ConditionEntry] = Field(default_factory=list)
    limits: list[Limit] = Field(default_factory=list)
    rate_limit: RateLimitBlock | None = None
    rules: list[Rule] = Field(default_factory=list)
    """Intercept's rules (what a YAML policy's tool entries hold)."""

    @model_validator(mode="after")
    def _one_message(self) -> ToolRule:
        if self.on_deny is not None and self.reason is not None:
            raise ValueError("give on_deny or its alias reason, not both")
        return self

    @property
    def message(self) -> str | None:
        return self.on_deny if self.on_deny is not None else self.reason

    def own_limits(self, tool: str) -> list[Limit]:
        return [*self.limits, self.rate_limit.as_limit(tool)] if self.rate_limit else list(self.limits)


class AllTools(_Strict):
    limits: list[Limit] = Field(default_factory=list)


WILDCARD = "*"


class SensitiveOptIn(_Strict):
    """The policy's `"sensitive"` key: the models and fields an agent may see although they are sensitive.

    `allow_models` lifts the refusal of a whole built-in sensitive model (its password-like
    fields stay masked unless also named); `allow_fields` unmasks one field, written
    `model.field` (`"res.users.login"`). The policy language knows the shape only: which models
    and fields are sensitive is Odoo knowledge (`tools/odoo_kit/sensitive_rules.py`), and the server
    refuses a policy that names something not sensitive (`opt_in_problems` there), so a typo
    cannot pass for an opt-in.
    """

    allow_models: list[Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")]] = Field(
        default_factory=list)
    allow_fields: list[Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.[a-z_][a-z0-9_]*$")]] = (
        Field(default_factory=list))


class Policy(_Strict):
    """The whole document."""

    version: Literal["1"]
    default: Literal["allow", "deny"]
    hide: list[Annotated[StrictStr, Field(pattern=r"^(\*|[A-Za-z0-9_.-]{1,128})$")]] = Field(default_factory=list)
    all_tools: AllTools = Field(default_factory=AllTools)
    tools: dict[Annotated[StrictStr, Field(pattern=r"^(\*|[A-Za-z0-9_.-]{1,128})$")], ToolRule] = Field(
        default_factory=dict
    )
    description: StrictStr | None = None
    """Free text for humans (PolicyLayer documents often carry one)."""
    listing: Literal["all", "allowed"] = Field(default="all", alias="list")
    """`"list": "allowed"` shows tools/list only the tools this policy lets be called (an agent spends no
    context on the others); `"all"` (default, as PolicyLayer) lists denied tools too. Hidden: never listed."""
    sensitive: SensitiveOptIn = Field(default_factory=SensitiveOptIn)
    """Our addition: the sensitive Odoo models/fields this policy lets agents see (tools/odoo_kit/sensitive_rules)."""
    mode: Literal["enforce", "shadow"] = "enforce"
    """Our addition: "shadow" refuses nothing and audits every call it would have refused (docs/teams.md)."""

    _notes: list[str] = PrivateAttr(default_factory=list)
    _implied: frozenset[str] = PrivateAttr(default_factory=frozenset)
    _plans: dict[str, Any] = PrivateAttr(default_factory=dict)

    @field_validator("tools", mode="before")
    @classmethod
    def _tools_is_object(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError("must be an object mapping tool names to rules")
        return value

    @property
    def notes(self) -> list[str]:
        """What the reader should know about how the document was read (e.g. an implied default)."""
        return self._notes

    @property
    def implied(self) -> frozenset[str]:
        """What the document left unsaid and the reading filled in: `default` (Intercept's implied
        `allow`), `tools.<name>` (a YAML tool written with nothing under it). Live reload refuses a
        new version that leaves unsaid what the old one said (`guard.policy_diff`)."""
        return self._implied

    @property
    def shadow(self) -> bool:
        """In shadow mode the guard decides as usual but refuses nothing: it audits what it would have refused."""
        return self.mode == "shadow"

    def hides(self, tool: str) -> bool:
        return "*" in self.hide or tool in self.hide

    def listed(self, tool: str) -> bool:
        """Named under `tools` ("*" does not list a tool)."""
        return tool != WILDCARD and tool in self.tools

    def tool_names(self) -> list[str]:
        """Every tool name the policy mentions (tools and hide), without "*"."""
        return [name for name in dict.fromkeys([*self.tools, *self.hide]) if name != WILDCARD]

    def limits_for(self, tool: str) -> list[Limit]:
        """The moving-window limits a call to `tool` hits: all_tools, the tool's own, then "*"'s."""
        rule = self.tools.get(tool) if tool != WILDCARD else None
        wildcard = self.tools.get(WILDCARD)
        return [
            *self.all_tools.limits,
            *(rule.own_limits(tool) if rule else []),
            *(wildcard.own_limits(WILDCARD) if wildcard else []),
        ]

    def counters(self) -> dict[str, Limit]:
        """Each moving-window counter name with its (single) definition."""
        found: dict[str, Limit] = {}
        for limit in self.all_tools.limits:
            found.setdefault(limit.counter, limit)
        for tool, rule in self.tools.items():
            for limit in rule.own_limits(tool):
                found.setdefault(limit.counter, limit)
        return found


class PolicyError(ValueError):
    """The policy did not load; `problems` lists `path: message` lines."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"invalid policy {source}:\n" + "\n".join(f"  - {p}" for p in problems))


_UNION_TAGS = frozenset({"named-window", "seconds-window", "require-text", "require-condition"})


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


def _check_states(policy: Policy) -> list[str]:
    """Intercept's rules on counters: one definition per tool, and no condition on a counter nobody counts."""
    problems: list[str] = []
    defined: dict[str, set[str]] = {}
    for tool, rule in policy.tools.items():
        scope = state_scope(tool)
        seen: dict[str, int] = {}
        for index, item in enumerate(rule.rules):
            _, state, _ = item.expanded(scope)
            if state is None:
                continue
            if state.counter in seen:
                problems.append(
                    f"tools.{tool}.rules[{index}]: duplicate state counter {state.counter!r} "
                    f"(also used by rules[{seen[state.counter]}])"
                )
            seen.setdefault(state.counter, index)
        defined[scope] = set(seen)
    for tool, rule in policy.tools.items():
        entries = [
            (f"rules[{i}].conditions[{j}]", c) for i, r in enumerate(rule.rules) for j, c in enumerate(r.conditions)
        ]
        entries += [(f"{key}[{i}]", c) for key in ("require", "deny_if") for i, c in enumerate(getattr(rule, key))]
        for where, condition in entries:
            if isinstance(condition, Condition) and condition.source == "state":
                scope, counter = condition.parts
                if counter not in defined.get(scope, set()):
                    problems.append(
                        f"tools.{tool}.{where}.path: {condition.label} is not counted by any rule "
                        f"(a state block with counter {counter!r} under tools.{'*' if scope == '_global' else scope})"
                    )
    seen_hidden: set[str] = set()
    for index, name in enumerate(policy.hide):
        if name in seen_hidden:
            problems.append(f"hide[{index}]: duplicate entry {name!r}")
        seen_hidden.add(name)
    return problems


def parse_policy(
    document: Any, source: str = "<policy>", notes: list[str] | None = None, implied: list[str] | None = None
) -> Policy:
    """Validate a decoded document; raise `PolicyError` listing every problem with its path."""
    if not isinstance(document, dict):
        raise PolicyError(source, ["(document): must be a JSON object"])
    problems = structural_problems(document)
    if problems:
        raise PolicyError(source, problems)
    try:
        policy = Policy.model_validate(document)
    except ValidationError as exc:
        raise PolicyError(source, _describe(exc.errors())) from None
    problems = _check_counters(policy) + _check_states(policy)
    if problems:
        raise PolicyError(source, problems)
    policy._notes = list(notes or [])
    policy._implied = frozenset(implied or ())
    return policy


def parse_text(text: str, source: str = "<policy>", *, spelling: str | None = None) -> Policy:
    """A policy from its text; `spelling` is "json" or "yaml" (guessed from the text when omitted:
    a document that starts with `{` is JSON)."""
    if spelling is None:
        spelling = "json" if text.lstrip().startswith("{") else "yaml"
    try:
        if spelling == "json":
            return parse_policy(read_json(text), source)
        document, notes, problems, implied = from_intercept(read_yaml(text))
    except DocumentProblems as exc:
        raise PolicyError(source, exc.problems) from None
    try:
        policy = parse_policy(document, source, notes, implied)
    except PolicyError as exc:
        raise PolicyError(source, problems + exc.problems) from None
    if problems:
        raise PolicyError(source, problems)
    return policy


def load_policy(source: Path | str) -> Policy:
    """A policy from a file (`.json`, or `.yaml`/`.yml` for Intercept) or from the text of either.

    A `Path`, or a one-line string naming a file, is read from disk; any other string is the
    policy's text. A missing file, bad JSON or YAML is a `PolicyError` like any other problem.
    """
    if isinstance(source, str) and ("\n" in source or source.lstrip().startswith("{")):
        return parse_text(source)
    path = Path(source)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(name, ["(file): not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(name, [f"(file): cannot be read: {getattr(exc, 'strerror', None) or exc}"]) from None
    return parse_text(text, name, spelling="yaml" if looks_like_yaml(name) else "json")
