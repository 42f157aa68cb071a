"""The shape of the source: no import circle, no oversized module, no hidden function-local import.

Read from the source with ``ast``, so imports under ``TYPE_CHECKING`` count as much as any other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_ROOTS = {"forecast_export_provider": ROOT / "lambda", "forecast_export_cdk": ROOT / "constructs"}
MAX_MODULE_LINES = 550


def modules() -> dict[str, Path]:
    """Every module of the two packages, by dotted name."""
    found: dict[str, Path] = {}
    for package, root in SOURCE_ROOTS.items():
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imported_modules(name: str, path: Path, known: set[str], nodes: list[ast.stmt] | None = None) -> set[str]:
    """The project modules that ``name`` imports (at any depth of its code)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported: set[str] = set()
    for node in ast.walk(tree) if nodes is None else nodes:
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        imported.update(target for target in targets if target in known and target != name)
    return imported


def test_no_two_project_modules_import_each_other_even_for_type_checking() -> None:
    found = modules()
    graph = {name: imported_modules(name, path, set(found)) for name, path in found.items()}
    # A package's __init__ re-exports its modules: an import of a module's parent package is not a circle
    # through the module itself, so edges from a submodule to its own package are left out.
    for name in graph:
        graph[name] = {target for target in graph[name] if not name.startswith(target + ".")}

    circles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                circles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert circles == []


@pytest.mark.parametrize("name, path", sorted(modules().items()), ids=sorted(modules()))
def test_no_module_is_longer_than_the_limit(name: str, path: Path) -> None:
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES


def test_every_function_local_import_of_a_project_module_says_why() -> None:
    found = modules()
    unexplained: list[str] = []
    for name, path in found.items():
        lines = path.read_text().splitlines()
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                if not imported_modules(name, path, set(found), [node]):
                    continue
                comment_above = lines[node.lineno - 2].strip().startswith("#")
                if not comment_above and "#" not in lines[node.lineno - 1]:
                    unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert unexplained == []
