"""The layers point one way: `foundation` at the bottom, `guard <- tools -> odoo_client` above it,
`odoo_mcp -> {guard, tools, odoo_client}` on top.

Read from the source (every `import` statement of every module, at any depth, including
imports inside functions), so a lazy import cannot hide an edge. And the registry is explicit:
every family package under `tools/` is in the server's one family list.
"""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import pytest

import tools
from odoo_mcp.families import FAMILIES
from tests.harness import REPO

PACKAGES = ("foundation", "guard", "tools", "odoo_client", "odoo_mcp")
ALLOWED = {
    "foundation": set(),
    "guard": {"foundation"},
    "odoo_client": {"foundation"},
    "tools": {"foundation", "guard", "odoo_client"},
    "odoo_mcp": {"foundation", "guard", "tools", "odoo_client"},
}
FORBIDDEN_LIBRARIES = {
    "foundation": {"mcp", "mcp_types", "odoorpc", "httpx", "starlette", "pydantic"},
    "guard": {"mcp", "mcp_types", "odoorpc", "httpx", "starlette"},
    "odoo_client": {"mcp", "mcp_types", "starlette"},
    "tools": {"mcp", "mcp_types", "starlette"},
}


def module_imports_of(path: Path, package: str) -> set[str]:
    """Dotted module names `path` imports (relative imports resolve to its own package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = package if node.level else (node.module or "")
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def imports_of(path: Path, package: str) -> set[str]:
    """Top-level names `path` imports."""
    return {name.split(".")[0] for name in module_imports_of(path, package)}


def edges() -> dict[str, dict[str, set[str]]]:
    """package -> imported top-level name -> the files importing it."""
    graph: dict[str, dict[str, set[str]]] = {package: {} for package in PACKAGES}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            for name in imports_of(path, package):
                graph[package].setdefault(name, set()).add(str(path.relative_to(REPO)))
    return graph


GRAPH = edges()


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_only_the_layers_below_it(package):
    wrong = {
        name: sorted(files)
        for name, files in GRAPH[package].items()
        if name in PACKAGES and name != package and name not in ALLOWED[package]
    }
    assert wrong == {}, f"{package} imports layers it must not: {wrong}"


@pytest.mark.parametrize("package", sorted(FORBIDDEN_LIBRARIES))
def test_inner_layers_import_no_transport_library(package):
    wrong = {name: sorted(files) for name, files in GRAPH[package].items() if name in FORBIDDEN_LIBRARIES[package]}
    assert wrong == {}


def test_the_package_graph_has_no_cycle():
    internal = {package: {n for n in GRAPH[package] if n in PACKAGES and n != package} for package in PACKAGES}
    done: set[str] = set()

    def visit(package: str, path: tuple[str, ...]) -> None:
        assert package not in path, f"import cycle: {' -> '.join((*path, package))}"
        if package in done:
            return
        for target in internal[package]:
            visit(target, (*path, package))
        done.add(package)

    for package in PACKAGES:
        visit(package, ())


def test_the_walk_sees_real_edges():
    """The walker itself can fail: the server does import every layer, and the odoo tools the client."""
    assert {"guard", "tools", "odoo_client"} <= set(GRAPH["odoo_mcp"])
    assert "odoo_client" in GRAPH["tools"]
    assert "foundation" in GRAPH["odoo_client"]  # the pins' descriptor walk, the JSON shim
    assert imports_of(REPO / "odoo_client" / "pool.py", "odoo_client") >= {"odoo_client"}  # from .connection


KITS = {"odoo_kit"}
"""Packages under `tools/` that families share and that serve no tool of their own."""


def test_every_family_package_under_tools_is_served():
    packages = {module.name for module in pkgutil.iter_modules(tools.__path__) if module.ispkg} - KITS
    served = {family.specs[0].handler.__module__.split(".")[1] for family in FAMILIES if family.specs}
    assert packages == served, f"families not in odoo_mcp.families.FAMILIES: {sorted(packages - served)}"


def test_every_decorated_handler_of_a_family_is_in_its_specs():
    """A handler module a family forgot to list would leave its tools out, silently: not here."""
    import importlib

    from tools.registry import SPEC_ATTRIBUTE

    served = {spec.name for family in FAMILIES for spec in family.specs}
    described = set()
    for family_pkg in pkgutil.iter_modules(tools.__path__):
        if not family_pkg.ispkg:
            continue
        package = importlib.import_module(f"tools.{family_pkg.name}")
        for module in pkgutil.iter_modules(package.__path__):
            loaded = importlib.import_module(f"tools.{family_pkg.name}.{module.name}")
            for value in vars(loaded).values():
                spec = getattr(value, SPEC_ATTRIBUTE, None)
                if spec is not None and value.__module__ == loaded.__name__:
                    described.add(spec.name)
    assert described - served == set()
    assert described == served


SDK_ADAPTER = "odoo_mcp/wire/sdk_adapter.py"
SDK_PRIVATES = {"_tool_manager", "_lowlevel_server", "_subscriptions", "_connection"}
SDK_INTERNAL_MODULES = ("mcp.server.mcpserver.tools", "mcp.server.mcpserver.utilities")
CONCRETE_INTERNALS = ("limits.storage.memory", "limits.storage.MemoryStorage")
"""Public names whose internals we once relied on (the guard's memory store subclassed `MemoryStorage`
and skipped its constructor): the store is built on `limits`' abstract `Storage` + `MovingWindowSupport`."""


def _project_files() -> list[Path]:
    return [path for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))]


def test_no_private_module_of_a_library_is_imported():
    """`towncrier._builder`, `limits.storage.memory`'s internals and the like: a library's private module can
    change in any release inside our pins, with the suite still green."""
    wrong = sorted(
        f"{path.relative_to(REPO)}: {name}"
        for path in _project_files()
        for name in module_imports_of(path, path.relative_to(REPO).parts[0])
        if name.split(".")[0] not in PACKAGES
        and (
            any(part.startswith("_") and not part.startswith("__") for part in name.split(".")[:-1])
            or name.startswith(CONCRETE_INTERNALS)
        )
    )
    assert wrong == []


def test_the_mcp_sdks_private_parts_are_read_only_in_its_adapter():
    wrong: list[str] = []
    for path in _project_files():
        where = str(path.relative_to(REPO))
        if where == SDK_ADAPTER:
            continue
        tree = ast.parse(path.read_text(), where)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in SDK_PRIVATES:
                wrong.append(f"{where}:{node.lineno}: .{node.attr}")
            elif isinstance(node, ast.Constant) and node.value in SDK_PRIVATES:
                wrong.append(f"{where}:{node.lineno}: {node.value!r}")
        for name in module_imports_of(path, where.split("/")[0]):
            if name.startswith(SDK_INTERNAL_MODULES):
                wrong.append(f"{where}: imports {name}")
    assert wrong == [], f"MCP SDK internals outside {SDK_ADAPTER}: {wrong}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in _project_files()}


def _module_of(dotted: str) -> str | None:
    """The project module `dotted` names (`pkg.mod.Name` -> `pkg.mod`; a package -> its `__init__`)."""
    while dotted and dotted not in MODULES:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def module_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports, at any depth (a lazy import is still an edge)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(filter(None, (_module_of(alias.name) for alias in node.names)))
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                module = (f"{base}.{node.module}" if node.module else base) if node.level else (node.module or "")
                targets.update(filter(None, (_module_of(f"{module}.{alias.name}") for alias in node.names)))
        graph[name] = targets - {name}
    return graph


def module_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
    return cycles


def test_no_two_modules_import_each_other():
    """A cycle between modules, even through imports inside functions, means neither can be understood (or
    imported first) alone; the lazy import that hides it is a trap for the next change."""
    assert module_cycles(module_graph()) == []


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert module_cycles(graph) == [["a", "b", "c"]]
    assert "guard.spec" in module_graph()["guard.guard"]
