"""Fail on any import cycle among the project's packages, type-only imports included.

Usage (from the repository root):

    python tools/check_imports.py                    # every package
    python tools/check_imports.py sample_server      # only cycles that pass through this package

Every module of `sdk/aioagones`, `sample_server` and `loadtest/udp_loadtest` is parsed with `ast`
(nothing is imported), and every import statement anywhere in it counts: at the top, inside
`if TYPE_CHECKING:`, inside a function. A cycle that only the type checker sees is still a circle
in the design: the leaf it runs through is not a leaf. Each cycle found is printed as
`a -> b -> a`; the exit status is 1 when there is one, 0 otherwise.

Imports are edges to modules of the scanned packages only (third-party and standard modules are
left out). `from pkg import name` is an edge to `pkg.name` when that is a module, else to `pkg`.
Importing a submodule also runs its package's `__init__`, but that is not counted as an edge:
every module of a package would otherwise sit in a cycle with an `__init__` that re-exports it.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PACKAGES: dict[str, Path] = {
    "aioagones": ROOT / "sdk" / "aioagones",
    "sample_server": ROOT / "sample_server",
    "udp_loadtest": ROOT / "loadtest" / "udp_loadtest",
}
"""Each checked package's import name and its directory."""


def module_files(packages: Mapping[str, Path]) -> dict[str, Path]:
    """Every module of `packages`, by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for name, root in packages.items():
        for path in sorted(root.rglob("*.py")):
            parts = [name, *path.relative_to(root).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, files: Mapping[str, Path]
) -> Iterable[str]:
    """The dotted names of the modules an import statement loads."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        if node.level > 1:
            base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    for alias in node.names:
        submodule = f"{target}.{alias.name}"
        yield submodule if submodule in files else target


def import_graph(files: Mapping[str, Path]) -> dict[str, set[str]]:
    """Each module to the modules (of `files`) it imports, anywhere in its text."""
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges.update(name for name in _imported(node, module, is_package, files) if name in files)
        edges.discard(module)
        graph[module] = edges
    return graph


def find_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module, as a closed path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strongconnect(start: str) -> None:
        # Tarjan's algorithm, iterative so deep graphs cannot hit the recursion limit
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            strongconnect(module)
    return [_cycle_in(graph, set(component)) for component in sorted(components)]


def _cycle_in(graph: Mapping[str, set[str]], component: set[str]) -> list[str]:
    """A shortest closed path through the component's first module (breadth first)."""
    start = min(component)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & component):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if child not in came_from:
                    came_from[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError("a strongly connected component always holds a cycle")


def cycles(packages: Mapping[str, Path] = PACKAGES, only: str | None = None) -> list[list[str]]:
    """The import cycles among `packages`; with `only`, those that pass through that package."""
    found = find_cycles(import_graph(module_files(packages)))
    if only is None:
        return found
    return [c for c in found if any(m == only or m.startswith(only + ".") for m in c)]


def main(argv: Sequence[str] | None = None) -> int:
    """Print every cycle; 1 when there is one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("package", nargs="?", choices=sorted(PACKAGES), help="only cycles through this package")
    args = parser.parse_args(argv)
    found = cycles(only=args.package)
    for cycle in found:
        print("import cycle: " + " -> ".join(cycle))
    if not found:
        print("no import cycle in " + (args.package or ", ".join(sorted(PACKAGES))))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
