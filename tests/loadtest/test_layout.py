"""The load client's modules: small, and their imports go one way (no circle, type-only or not)."""

from __future__ import annotations

import ast
from pathlib import Path

import udp_loadtest

PACKAGE = Path(udp_loadtest.__file__).parent


def _imports() -> dict[str, set[str]]:
    """Each module of the package and the modules of the package it imports (anywhere in it)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        name = path.stem
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("udp_loadtest."):
                found.add(node.module.split(".")[1])
            elif isinstance(node, ast.ImportFrom) and node.module == "udp_loadtest":
                found.update(a.name for a in node.names if (PACKAGE / f"{a.name}.py").exists())
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("udp_loadtest."))
        graph[name] = found - {name}
    return graph


def test_no_module_imports_itself_back() -> None:
    graph = _imports()
    graph.pop("__init__")  # the package re-exports; nothing inside imports it
    assert not any("__init__" in deps for deps in graph.values())
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph.get(name, ())):
            assert state.get(dep) != 1, f"import circle: {' -> '.join([*path, name, dep])}"
            if dep not in state:
                visit(dep, [*path, name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_modules_stay_under_about_300_lines() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.glob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 330} == {}


def test_the_hot_loop_unpacks_its_fixed_values_in_their_declared_order() -> None:
    # The phases unpack a NamedTuple into locals by position, once per call (attribute access per
    # field would cost in the hot loop): the names must be the declared fields, in order.
    from udp_loadtest._state import ReadFixed, SendFixed

    tree = ast.parse((PACKAGE / "_loop.py").read_text(encoding="utf-8"))
    unpacked = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute):
            if node.value.attr in ("send_fixed", "read_fixed") and isinstance(node.targets[0], ast.Tuple):
                unpacked[node.value.attr] = tuple(e.id for e in node.targets[0].elts if isinstance(e, ast.Name))
    assert unpacked == {"send_fixed": SendFixed._fields, "read_fixed": ReadFixed._fields}
