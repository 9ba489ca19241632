"""The package's shape: its import graph has no circle, the library never imports the CLI,
and no file or function outgrows the size limits.

The graph is built from the source (`ast`), so it holds every import, those inside
functions included: a circle that works only because one of its imports is deferred is
still a circle here. Imports under `if TYPE_CHECKING:` are left out, since they never run
(they let a module annotate with a class whose module imports it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rotkeras

# What this file proves does not depend on the Keras backend: run on TensorFlow only.
pytestmark = pytest.mark.backend_independent

ROOT = Path(rotkeras.__file__).resolve().parent
PACKAGE = ROOT.name  # rotkeras


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imported_modules(tree: ast.AST, module: str, is_package: bool,
                      modules: set[str]) -> set[str]:
    """The modules of the package that the code in `tree` imports (relative ones included).

    `from package import name` imports the submodule `package.name` when there is one, else
    `package` itself; a parent package, which Python imports before any of its submodules,
    is not counted for that.
    """

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    found: set[str | None] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if _is_type_checking_block(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found |= {resolve(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else resolve(base))
        stack.extend(ast.iter_child_nodes(node))
    return {name for name in found if name is not None and name != module}


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the package it imports, from the source."""
    modules = _modules()
    return {
        module: _imported_modules(ast.parse(path.read_text(encoding="utf-8"), str(path)),
                                  module, path.name == "__init__.py", set(modules))
        for module, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph as a path `[a, b, ..., a]`, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_import_graph_has_no_circle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_only_the_cli_imports_the_cli() -> None:
    cli = f"{PACKAGE}.cli"
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if module != cli and not module.startswith(cli + ".")
        for target in targets
        if target == cli or target.startswith(cli + ".")
    )
    assert not offenders, offenders


def test_the_checks_see_circles_and_deferred_imports() -> None:
    # The cycle finder on a known graph, and the graph builder on function-level imports.
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    graph = import_graph()
    assert f"{PACKAGE}.cli.reproduce" in graph[f"{PACKAGE}.cli._commands"]  # inside a function
    assert f"{PACKAGE}.cli.reproduce.runner" not in graph[f"{PACKAGE}.cli.reproduce.registry"]
    assert f"{PACKAGE}.evaluation.rotation" in graph[f"{PACKAGE}.evaluation"]


#: Size limits of the package's code: a file longer than this is split along its seams,
#: a function body longer than this into named steps.
MAX_FILE_LINES = 450
MAX_BODY_LINES = 60


def _body_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function's body, its docstring left out."""
    body = function.body
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        body = body[1:]
    if not body:
        return 0
    return body[-1].end_lineno - body[0].lineno + 1


def _oversized(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(root.parent).as_posix()
        if len(text.splitlines()) > MAX_FILE_LINES:
            found.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if _body_lines(node) > MAX_BODY_LINES:
                    found.append(f"{name}:{node.lineno} {node.name}: body of "
                                 f"{_body_lines(node)} lines")
    return found


def test_no_file_or_function_is_too_long() -> None:
    assert _oversized(ROOT) == []


def test_the_size_check_sees_long_files_and_functions(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_BODY_LINES + 1))
    (package / "long_function.py").write_text(f'def f():\n    """Doc."""\n{body}\n')
    (package / "long_file.py").write_text("x = 1\n" * (MAX_FILE_LINES + 1))
    (package / "fine.py").write_text('def g():\n    """Doc."""\n    return 1\n')
    found = _oversized(package)
    assert len(found) == 2, found
    assert any("long_file.py: 451 lines" in f for f in found)
    assert any("long_function.py:1 f: body of 61 lines" in f for f in found)
