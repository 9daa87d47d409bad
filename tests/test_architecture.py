"""The architecture's rules, checked: pure modules stay pure, capabilities import only
downwards (the order of `teamwork/layers.py`), the modules form no import cycle, the app never
runs in debug."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from teamwork.layers import COMPOSITION_ROOT, FOUNDATION, LAYERS, describe, tier_of

PACKAGE = Path(__file__).resolve().parent.parent / "teamwork"
# The rules modules, and the group commit (a mechanism with no knowledge of the database).
PURE_MODULES = sorted([*PACKAGE.rglob("rules.py"), PACKAGE / "consensus" / "group_commit.py"])
# A pure module may build on another (a lower one: the layer test checks the direction).
PURE_NAMES = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts) for p in PURE_MODULES}


def _top(module: str) -> str:
    """The top-level name of an import, or the whole name of another pure module."""
    return module if module in PURE_NAMES else module.split(".")[0]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(_top(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative imports would reach into the package
                names.add("." * node.level + (node.module or ""))
            elif node.module:
                names.add(_top(node.module))
    return names


def test_there_are_pure_rule_modules_to_check() -> None:
    assert {p.parent.name for p in PURE_MODULES} >= {"consensus", "teams"}


@pytest.mark.parametrize("path", PURE_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_pure_modules_import_only_the_standard_library_and_other_pure_modules(path: Path) -> None:
    outside = {
        name
        for name in imported_modules(path)
        if name != "__future__" and name not in sys.stdlib_module_names and name not in PURE_NAMES
    }
    assert outside == set(), f"{path.name} imports {sorted(outside)}"


def test_app_never_runs_in_debug_mode(app: Flask) -> None:
    assert app.debug is False


def test_every_team_url_takes_the_team_id_as_an_int(app: Flask) -> None:
    team_rules = [r for r in app.url_map.iter_rules() if "/teams/<" in r.rule]
    assert team_rules
    assert all("<int:team_id>" in r.rule for r in team_rules)


# --- Layers: every import points down -------------------------------------------------------


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    source: str  # the importing module, e.g. "teamwork.teams.views"
    target: str  # the imported module, e.g. "teamwork.auth.services"
    statement: str


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    root = PACKAGE.parent
    return (root / relative).with_suffix(".py").is_file() or (
        root / relative / "__init__.py"
    ).is_file()


def teamwork_imports(path: Path) -> Iterator[Import]:
    """Every import of a `teamwork` module in the file, lazy ones inside functions included;
    relative imports resolved, and `from package import module` read as the module."""
    source = module_name(path)
    package = source.split(".") if path.name == "__init__.py" else source.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                targets.append(sub if is_module(sub) else module)
        for target in dict.fromkeys(targets):
            if target == "teamwork" or target.startswith("teamwork."):
                yield Import(path, node.lineno, source, target, ast.unparse(node))


def top_level(module: str) -> str:
    """The top-level module or package of `teamwork` a module belongs to ("" for the package)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


ALL_FILES = sorted(PACKAGE.rglob("*.py"))
ALL_IMPORTS = [i for path in ALL_FILES for i in teamwork_imports(path)]


def wrong_way(i: Import) -> str | None:
    """Why an import breaks the layer order, or None when it is allowed."""
    source, target = top_level(i.source), top_level(i.target)
    source_tier, target_tier = tier_of(source), tier_of(target)
    if source_tier is None or target_tier is None:
        undeclared = source if source_tier is None else target
        return f"teamwork.{undeclared} is not declared in teamwork/layers.py"
    if source == target or LAYERS[source_tier][0] == COMPOSITION_ROOT:
        return None
    if source_tier == target_tier and LAYERS[source_tier][0] == FOUNDATION:
        return None  # the foundation's modules may use each other (without a cycle)
    if target_tier < source_tier:
        return None
    where = "the same tier as" if target_tier == source_tier else "a higher tier than"
    return (
        f"{i.target} ({LAYERS[target_tier][0]!r}) is in {where} "
        f"{i.source} ({LAYERS[source_tier][0]!r}): ask through a signal or a registry instead"
    )


def test_every_module_of_the_package_is_declared_in_the_layer_order() -> None:
    names = {top_level(module_name(path)) for path in ALL_FILES}
    undeclared = sorted(name for name in names if tier_of(name) is None)
    assert undeclared == [], f"declare these in teamwork/layers.py: {undeclared}"


def test_the_layer_order_names_each_module_once() -> None:
    names = [name for _tier, members in LAYERS for name in members]
    assert len(names) == len(set(names))


def test_the_architecture_page_shows_the_layer_order_the_test_enforces() -> None:
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    assert f"```\n{describe()}\n```" in page


def test_imports_point_only_down_the_layer_order() -> None:
    assert ALL_IMPORTS  # the walk finds something to check
    wrong = [
        f"{i.path.relative_to(PACKAGE.parent)}:{i.line}: `{i.statement}`: {reason}"
        for i in ALL_IMPORTS
        if (reason := wrong_way(i)) is not None
    ]
    assert wrong == [], "imports against the layer order:\n" + "\n".join(wrong)


def import_cycles(imports: list[Import]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    graph: dict[str, set[str]] = {}
    for i in imports:
        if i.source != i.target:
            graph.setdefault(i.source, set()).add(i.target)
            graph.setdefault(i.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def test_the_foundation_has_no_import_cycle() -> None:
    foundation = {name for tier, members in LAYERS if tier == FOUNDATION for name in members}
    imports = [i for i in ALL_IMPORTS if {top_level(i.source), top_level(i.target)} <= foundation]
    assert import_cycles(imports) == []


def test_the_modules_import_each_other_without_cycles() -> None:
    cycles = import_cycles(ALL_IMPORTS)
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)
