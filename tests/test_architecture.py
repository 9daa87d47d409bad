"""The architecture's rules, checked: pure modules stay pure, the app never runs in debug."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from flask import Flask

PACKAGE = Path(__file__).resolve().parent.parent / "teamwork"
# The rules modules, and the group commit (a mechanism with no knowledge of the database).
PURE_MODULES = sorted([*PACKAGE.rglob("rules.py"), PACKAGE / "consensus" / "group_commit.py"])


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative imports would reach into the package
                names.add("." * node.level + (node.module or ""))
            elif node.module:
                names.add(node.module.split(".")[0])
    return names


def test_there_are_pure_rule_modules_to_check() -> None:
    assert {p.parent.name for p in PURE_MODULES} >= {"consensus", "teams"}


@pytest.mark.parametrize("path", PURE_MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_pure_modules_import_only_the_standard_library(path: Path) -> None:
    outside = {
        name
        for name in imported_modules(path)
        if name != "__future__" and name not in sys.stdlib_module_names
    }
    assert outside == set(), f"{path.name} imports {sorted(outside)}"


def test_app_never_runs_in_debug_mode(app: Flask) -> None:
    assert app.debug is False


def test_every_team_url_takes_the_team_id_as_an_int(app: Flask) -> None:
    team_rules = [r for r in app.url_map.iter_rules() if "/teams/<" in r.rule]
    assert team_rules
    assert all("<int:team_id>" in r.rule for r in team_rules)
