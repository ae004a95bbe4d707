"""No import circle among the local sidecar's modules, type-only imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import aioagones.local

PACKAGE = "aioagones.local"
HERE = Path(aioagones.local.__file__).parent


def _edges() -> dict[str, set[str]]:
    modules = {path.stem for path in HERE.glob("*.py")} - {"__init__", "__main__"}
    graph: dict[str, set[str]] = {}
    for name in modules:
        tree = ast.parse((HERE / f"{name}.py").read_text(encoding="utf-8"))
        targets: set[str] = set()
        for node in ast.walk(tree):  # every import, at the top, under TYPE_CHECKING or in a function
            if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
                targets |= {alias.name for alias in node.names if alias.name in modules}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
                targets.add((node.module or "").split(".")[2])
            elif isinstance(node, ast.Import):
                targets |= {a.name.split(".")[2] for a in node.names if a.name.startswith(PACKAGE + ".")}
        graph[name] = targets & modules - {name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph[node]):
            if (found := visit(target, [*path, node])) is not None:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        if (found := visit(start, [])) is not None:
            return found
    return None


def test_no_module_of_the_local_sidecar_imports_back() -> None:
    graph = _edges()
    assert "_core" in graph and "_operations" in graph["_dispatch"]
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_core_knows_nothing_of_the_table() -> None:
    assert "_operations" not in _edges()["_core"]


def test_a_circle_would_be_found() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
