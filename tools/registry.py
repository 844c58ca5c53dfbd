"""How a tool family describes itself: `@tool` builds a spec, `collect` gathers a family's, `Family` exports them.

Nothing registers itself by being imported: `@tool` only attaches the `ToolSpec` to the
handler. Each family package lists its handler modules and exports one `Family`; the
server lists the families it serves, explicitly, in `odoo_mcp.families.FAMILIES`.
Describing a tool does not expose it either: the server only exposes what the guard has
wrapped (see `odoo_mcp.server`), so a handler can never be reached unguarded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

from guard.spec import Canonical, Equivalents, Handler, Risk, ToolArgs, ToolSpec

SPEC_ATTRIBUTE = "__tool_spec__"


def tool(
    name: str,
    *,
    family: str,
    risk: Risk,
    args: type[ToolArgs],
    idempotent: bool = False,
    open_world: bool = False,
    preview: Handler | None = None,
    equivalents: Equivalents | None = None,
    canonical: Canonical | None = None,
) -> Callable[[Handler], Handler]:
    """Describe `handler` as the tool `name`; the docstring becomes the tool's description.

    `preview(args, call)` (optional) tells a human approving the call what it would change;
    `canonical(args, call)` (optional) turns the values into what the target stores, before the
    policy's conditions see them (`guard.spec.Canonical`).
    """

    def describe(handler: Handler) -> Handler:
        if not issubclass(args, ToolArgs):
            raise TypeError(f"tool {name!r}: args must subclass guard.spec.ToolArgs")
        description = (handler.__doc__ or "").strip()
        if not description:
            raise ValueError(f"tool {name!r} needs a docstring: it is the description agents read")
        spec = ToolSpec(
            name=name,
            family=family,
            risk=risk,
            args=args,
            handler=handler,
            description=description,
            idempotent=idempotent,
            open_world=open_world,
            preview=preview,
            equivalents=equivalents,
            canonical=canonical,
        )
        setattr(handler, SPEC_ATTRIBUTE, spec)
        return handler

    return describe


def collect(*modules: ModuleType) -> tuple[ToolSpec, ...]:
    """The specs of every `@tool` handler defined in `modules` (a family's handler modules)."""
    specs: list[ToolSpec] = []
    for module in modules:
        for value in vars(module).values():
            spec = getattr(value, SPEC_ATTRIBUTE, None)
            if isinstance(spec, ToolSpec) and getattr(value, "__module__", None) == module.__name__:
                specs.append(spec)
    return tuple(specs)


def wrap_handlers(specs: Iterable[ToolSpec], wrapper: Callable[[Handler], Handler]) -> tuple[ToolSpec, ...]:
    """The same specs with `wrapper` around every handler, preview and canonicalisation step (a family's error
    translation)."""
    return tuple(
        replace(spec, handler=wrapper(spec.handler), preview=wrapper(spec.preview) if spec.preview else None,
                canonical=wrapper(spec.canonical) if spec.canonical else None)
        for spec in specs
    )


@dataclass(frozen=True)
class Family:
    """One family of tools: its name, its specs, and the context its handlers receive as `call.runtime`.

    `context(runtime, guard)` is called once, at start-up, after the guard is built: `runtime`
    holds the server's settings and lazily built services, `guard` the running guard (only the
    status family needs it). What it returns is what this family's handlers get.
    """

    name: str
    specs: tuple[ToolSpec, ...]
    context: Callable[[Any, Any], Any]


def shared_runtime(runtime: Any, _guard: Any) -> Any:
    """The context of families that need the settings and the shared services only."""
    return runtime


def assemble(families: Iterable[Family]) -> list[ToolSpec]:
    """Every family's specs, sorted by name; a name served twice is an error, never a silent override."""
    seen: dict[str, str] = {}
    specs: list[ToolSpec] = []
    for family in families:
        for spec in family.specs:
            if spec.name in seen:
                raise ValueError(f"tool {spec.name!r} is served by families {seen[spec.name]!r} and {family.name!r}")
            seen[spec.name] = family.name
            specs.append(spec)
    return sorted(specs, key=lambda spec: spec.name)
