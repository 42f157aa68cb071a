"""Mutation testing of the handler's modules (`make mutate`): mutmut, one module at a time, each
against its own fast tests (tools/mutate/targets.py), then a score per module.

mutmut expects the code under ``src/`` and imports it by the path under it, while the project has two
source roots (lambda/, constructs/). Each module is therefore measured in a staging folder,
build/mutate/<name>/, holding ``src/`` (a copy of both packages), copies of tests/ and of the
source roots (for tests that run them in a fresh interpreter), and a
pyproject.toml with mutmut's and pytest's settings. The working tree is never changed.

Scores: a mutant is *text only* when the only thing it changes is string literals that are message
text: arguments of ``raise`` or of a call named in ``MESSAGE_CALLS``, values assigned to a variable
named in ``MESSAGE_VARIABLES``, or any literal of a function named in ``MESSAGE_FUNCTIONS``. Every
other mutant changes behaviour. The score is killed / behaviour-changing mutants; text-only ones are
counted apart. Mutants no test reaches count as survivors.

Usage: run.py [NAME ...] [--max-children N]   (all targets by default; 2 children by default)
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from targets import MESSAGE_CALLS, MESSAGE_FUNCTIONS, MESSAGE_VARIABLES, TARGETS, Target

ROOT = Path(__file__).resolve().parents[2]
STAGING = ROOT / "build" / "mutate"
MUTMUT = Path(sys.executable).parent / "mutmut"
PACKAGES = {"forecast_export_provider": ROOT / "lambda", "forecast_export_cdk": ROOT / "constructs"}
KILLED = {"killed", "timeout", "segfault", "caught by type check"}

PYPROJECT = """\
[tool.mutmut]
source_paths = ["src"]
only_mutate = [{module}]
pytest_add_cli_args_test_selection = [{tests}]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:xdist"]
use_git_change_detection = false
# Some tests run code from the source roots themselves (e.g. a fresh interpreter importing the package).
also_copy = ["lambda", "constructs"]

[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = "--strict-markers"
markers = ["deploy: needs a real AWS account"]
filterwarnings = ["ignore::DeprecationWarning:jsii.*"]
"""


@dataclass(frozen=True)
class Mutant:
    name: str
    function: str
    status: str
    text_only: bool
    diff: str

    @property
    def killed(self) -> bool:
        return self.status in KILLED


def stage(name: str, target: Target) -> Path:
    """A fresh staging folder for one target."""
    folder = STAGING / name
    shutil.rmtree(folder, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package, root in PACKAGES.items():
        shutil.copytree(root / package, folder / "src" / package, ignore=ignore)
        shutil.copytree(root / package, folder / root.name / package, ignore=ignore)
    shutil.copytree(ROOT / "tests", folder / "tests", ignore=ignore)
    tests = [test for test in target.tests if (ROOT / test.split("::")[0]).exists()]

    def quoted(items: list[str]) -> str:
        return ", ".join(json.dumps(item) for item in items)

    (folder / "pyproject.toml").write_text(
        PYPROJECT.format(module=quoted([f"src/{target.module}"]), tests=quoted(tests))
    )
    return folder


def mutant_patterns(target: Target) -> list[str]:
    """mutmut's names for the target's functions' mutants (all of the module's when none are listed)."""
    module = target.module.removesuffix(".py").replace("/", ".")
    patterns = []
    for function in target.functions:
        cls, _, method = function.rpartition(".")
        mangled = f"xǁ{cls}ǁ{method}" if cls else f"x_{method}"
        patterns.append(f"{module}.{mangled}__mutmut_*")
    return patterns


def mutants_of(folder: Path, target: Target) -> list[Mutant]:
    """Every mutant of the target with its status, classified and with its diff."""
    mutated = folder / "mutants" / "src" / target.module
    results = json.loads(Path(f"{mutated}.meta").read_text())["exit_code_by_key"]
    definitions = {
        node.name: node for node in ast.walk(ast.parse(mutated.read_text())) if isinstance(node, ast.FunctionDef)
    }
    from mutmut.stats import status_by_exit_code

    mutants = []
    for key, exit_code in sorted(results.items(), key=lambda item: _natural(item[0])):
        mangled = key.rpartition(".")[2]
        base, _, _ = mangled.partition("__mutmut_")
        if target.functions and not any(_matches(base, function) for function in target.functions):
            continue
        original, mutant = definitions[f"{base}__mutmut_orig"], definitions[mangled]
        function = base.split("ǁ")[-1].removeprefix("x_")
        mutants.append(
            Mutant(
                name=key,
                function=function,
                status=status_by_exit_code[exit_code],
                text_only=is_text_only(original, mutant, function),
                diff=_diff(original, mutant),
            )
        )
    return mutants


def _matches(mangled: str, function: str) -> bool:
    cls, _, method = function.rpartition(".")
    return mangled == (f"xǁ{cls}ǁ{method}" if cls else f"x_{method}")


def _natural(key: str) -> tuple[str, int]:
    base, _, number = key.rpartition("__mutmut_")
    return base, int(number) if number.isdigit() else 0


def is_text_only(original: ast.FunctionDef, mutant: ast.FunctionDef, function: str) -> bool:
    """True when the mutant differs from the original only in string literals of message text."""
    original_nodes, mutant_nodes = _nodes_with_context(original), _nodes_with_context(mutant)
    if len(original_nodes) != len(mutant_nodes):
        return False
    changed = False
    for (before, in_message), (after, _) in zip(original_nodes, mutant_nodes, strict=True):
        if type(before) is not type(after):
            return False
        if _fields(before) == _fields(after):
            continue
        if not (isinstance(before, ast.Constant) and isinstance(before.value, str) and isinstance(after.value, str)):
            return False
        if not (in_message or function in MESSAGE_FUNCTIONS):
            return False
        changed = True
    return changed


def _fields(node: ast.AST) -> list[object]:
    """A node's own values (names, constants, operators' kinds), not its children."""
    return [
        value if not isinstance(value, list) else [item for item in value if not isinstance(item, ast.AST)]
        for name, value in ast.iter_fields(node)
        if not isinstance(value, ast.AST) and name != "name"
    ]


def _nodes_with_context(function: ast.FunctionDef) -> list[tuple[ast.AST, bool]]:
    """The function's nodes in a fixed order, each with whether it is inside message text."""
    found: list[tuple[ast.AST, bool]] = []

    def visit(node: ast.AST, in_message: bool) -> None:
        found.append((node, in_message))
        for child_field, value in ast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            for child in children:
                if isinstance(child, ast.AST):
                    visit(child, in_message or _starts_message(node, child_field))

    for statement in function.body:
        visit(statement, False)
    return found


def _starts_message(node: ast.AST, child_field: str) -> bool:
    if isinstance(node, ast.Raise):
        return True
    if isinstance(node, ast.Call) and child_field in {"args", "keywords"}:
        callee = node.func
        name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
        return name in MESSAGE_CALLS
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and child_field == "value":
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return all(isinstance(target, ast.Name) and target.id in MESSAGE_VARIABLES for target in targets)
    return False


def _diff(original: ast.FunctionDef, mutant: ast.FunctionDef) -> str:
    mutant = ast.FunctionDef(**{**vars(mutant), "name": original.name})
    lines = difflib.unified_diff(ast.unparse(original).splitlines(), ast.unparse(mutant).splitlines(), lineterm="", n=1)
    return "\n".join(list(lines)[2:])


def measure(name: str, target: Target, max_children: int) -> list[Mutant]:
    folder = stage(name, target)
    command = [str(MUTMUT), "run", "--max-children", str(max_children), *mutant_patterns(target)]
    print(f"== {name}: {target.module} against {', '.join(target.tests)}", flush=True)
    log = folder / "mutmut.log"
    with log.open("w") as out:
        completed = subprocess.run(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT, check=False)
    if completed.returncode != 0:
        sys.exit(f"mutmut failed on {name} (exit {completed.returncode}); see {log.relative_to(ROOT)}")
    mutants = mutants_of(folder, target)
    survivors = [mutant for mutant in mutants if not mutant.killed]
    report = folder / "survivors.txt"
    report.write_text(
        "".join(
            f"# {m.name} ({m.status}, {'text only' if m.text_only else 'behaviour'})\n{m.diff}\n\n"
            for m in sorted(survivors, key=lambda m: m.text_only)
        )
    )
    return mutants


def score_line(name: str, mutants: list[Mutant]) -> str:
    behaviour = [m for m in mutants if not m.text_only]
    text = [m for m in mutants if m.text_only]
    killed = sum(m.killed for m in behaviour)
    score = f"{100 * killed / len(behaviour):.0f} %" if behaviour else "-"
    return (
        f"| `{name}` | {len(mutants)} | {killed} / {len(behaviour)} | {score} "
        f"| {sum(m.killed for m in text)} / {len(text)} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one of {', '.join(TARGETS)}")
    parser.add_argument("--max-children", type=int, default=2)
    arguments = parser.parse_args()
    names = arguments.names or list(TARGETS)
    unknown = sorted(set(names) - set(TARGETS))
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}; use one of {', '.join(TARGETS)}")
    lines = []
    for name in names:
        mutants = measure(name, TARGETS[name], arguments.max_children)
        lines.append(score_line(name, mutants))
        survivors = [m for m in mutants if not m.killed and not m.text_only]
        statuses = Counter(m.status for m in survivors)
        print(lines[-1])
        print(f"   behaviour-changing survivors: {dict(statuses) or 'none'} (diffs: build/mutate/{name}/survivors.txt)")
        for mutant in survivors:
            print(f"     {mutant.name} ({mutant.status})")
    print()
    print("| module | mutants | killed / behaviour-changing | score | text only: killed / all |")
    print("|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
