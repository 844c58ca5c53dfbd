"""Reading a policy's text into a plain document, strictly, in either spelling.

`.json` is PolicyLayer's hosted spelling, `.yaml`/`.yml` is the Intercept gateway's. Both
come out as the same plain document (the JSON spelling's shape), which `guard.policy`
validates into the one internal model. What a lenient parser would accept silently is
refused here with a message, because each of those silences can flip a policy's meaning:

- a key written twice (JSON keeps the last, so a `default` can turn from deny to allow);
- a document nested deeper than any policy needs (and no `RecursionError` escapes);
- YAML anchors and aliases (a few lines can expand to billions of nodes), YAML 1.1's
  `yes`/`no`/`on`/`off` booleans and bare dates (Intercept's YAML 1.2 reads them as strings).
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

MAX_DEPTH = 64
"""A policy is about ten levels deep; a condition value may add a few. Deeper is a mistake or an attack."""

INTERCEPT_KEYS = ("version", "description", "default", "hide", "tools")
EXTRA_KEYS = ("sensitive", "mode", "list")
"""Our optional top-level additions, accepted in both spellings (they mean the same in each)."""
YAML_SUFFIXES = (".yaml", ".yml")


class DocumentProblems(Exception):
    """The text did not give a usable document; `problems` are `path: message` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Duplicated(dict):
    """A JSON object in which some key was written more than once."""

    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    duplicates = []
    for key, value in pairs:
        if key in found:
            duplicates.append(key)
        found[key] = value
    if duplicates:
        marked = _Duplicated(found)
        marked.duplicates = duplicates
        return marked
    return found


def _child(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def structural_problems(document: Any) -> list[str]:
    """Duplicate keys and excessive depth, each with its path (an iterative walk: no recursion)."""
    problems: list[str] = []
    stack: list[tuple[str, Any, int]] = [("", document, 1)]
    while stack:
        path, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            problems.append(f"{path or '(document)'}: nested more than {MAX_DEPTH} levels deep")
            continue
        if isinstance(value, _Duplicated):
            problems += [f"{_child(path, key)}: key written more than once" for key in dict.fromkeys(value.duplicates)]
        if isinstance(value, dict):
            stack += [(_child(path, key), item, depth + 1) for key, item in value.items()]
        elif isinstance(value, list):
            stack += [(_child(path, index), item, depth + 1) for index, item in enumerate(value)]
    return sorted(problems)


def read_json(text: str) -> Any:
    try:
        document = json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise DocumentProblems([f"(json): line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None
    except RecursionError:
        raise DocumentProblems([f"(document): nested more than {MAX_DEPTH} levels deep"]) from None
    problems = structural_problems(document)
    if problems:
        raise DocumentProblems(problems)
    return document


class _StrictYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, closer to YAML 1.2 and refusing what can change a policy's meaning."""

    duplicate_keys: list[str]

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                None, None, "anchors and aliases (*name) are not supported in a policy", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                raise yaml.MarkedYAMLError(None, None, f"key {key!r} must be a string", key_node.start_mark)
            if key in seen:
                self.duplicate_keys.append(f"(yaml): line {key_node.start_mark.line + 1}: key {key!r} written twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# YAML 1.2 core: only true/false are booleans, and there is no implicit date type.
_StrictYamlLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(text: str) -> Any:
    loader = _StrictYamlLoader(text)
    loader.duplicate_keys = []
    try:
        document = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark else ""
        raise DocumentProblems([f"(yaml): {where}{exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise DocumentProblems([f"(yaml): {exc}"]) from None
    except RecursionError:
        raise DocumentProblems([f"(document): nested more than {MAX_DEPTH} levels deep"]) from None
    finally:
        loader.dispose()
    problems = loader.duplicate_keys + structural_problems(document)
    if problems:
        raise DocumentProblems(problems)
    return document


def from_intercept(document: Any) -> tuple[dict[str, Any], list[str], list[str], list[str]]:
    """An Intercept document → the internal document, with notes for the reader, problems, and
    what the document left unsaid that the reading filled in (`implied`: `default`, and
    `tools.<name>` for a tool written with nothing under it — what a cut-off file looks like).

    Intercept's tool entries hold only `rules`; `default` is `allow` when omitted; `version`
    may be written as a number. Anything else is left for the model to refuse.
    """
    if not isinstance(document, dict):
        return {}, [], ["(document): must be a mapping with version and tools"], []
    implied: list[str] = []
    problems = [f"{key}: unknown key" for key in document if key not in (*INTERCEPT_KEYS, *EXTRA_KEYS)]
    notes: list[str] = []
    out = {key: value for key, value in document.items() if key in (*INTERCEPT_KEYS, *EXTRA_KEYS)}
    if isinstance(out.get("version"), int) and not isinstance(out.get("version"), bool):
        out["version"] = str(out["version"])
    if "default" not in out:
        out["default"] = "allow"
        implied.append("default")
        notes.append("default: not given, so 'allow' (Intercept's default): tools not listed may be called")
    tools = out.get("tools")
    if tools is None:
        out.pop("tools", None)
    elif isinstance(tools, dict):
        converted: dict[str, Any] = {}
        for name, entry in tools.items():
            if entry is None or (isinstance(entry, dict) and entry.get("rules", ()) is None):
                implied.append(f"tools.{name}")
            if entry is None:
                entry = {}
            if not isinstance(entry, dict):
                problems.append(f"tools.{name}: must be a mapping with 'rules'")
                continue
            problems += [
                f"tools.{name}.{key}: unknown key (an Intercept tool entry has only 'rules')"
                for key in entry
                if key != "rules"
            ]
            rules = entry.get("rules")
            converted[name] = {"rules": [] if rules is None else rules}
        out["tools"] = converted
    return out, notes, problems, implied


def looks_like_yaml(source: str) -> bool:
    return source.lower().endswith(YAML_SUFFIXES)
