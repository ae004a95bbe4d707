"""No import cycle in any package, type-only imports included (`tools/check_imports.py`)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
TOOL = REPO / "tools" / "check_imports.py"


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_imports", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_imports = _load_tool()


@pytest.mark.parametrize("package", sorted(check_imports.PACKAGES))
def test_no_import_cycle_through(package: str) -> None:
    assert check_imports.cycles(only=package) == []


def _package(root: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {"pkg": root / "pkg"}


def test_a_type_only_circle_is_a_cycle(tmp_path: Path) -> None:
    packages = _package(
        tmp_path,
        {
            "__init__.py": "from . import _a\n",
            "_a.py": "from ._b import B\n",
            "_b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._a import A\nB = 1\n",
            "_c.py": "import os\nfrom . import _b\n",
        },
    )
    assert check_imports.cycles(packages) == [["pkg._a", "pkg._b", "pkg._a"]]


def test_imports_in_functions_and_from_parent_packages_count(tmp_path: Path) -> None:
    packages = _package(
        tmp_path,
        {
            "__init__.py": "",
            "sub/__init__.py": "",
            "sub/x.py": "def f():\n    from .. import y\n",
            "y.py": "from pkg.sub import x\n",
        },
    )
    assert check_imports.cycles(packages) == [["pkg.sub.x", "pkg.y", "pkg.sub.x"]]


def test_a_package_importing_its_own_modules_is_no_cycle(tmp_path: Path) -> None:
    packages = _package(
        tmp_path, {"__init__.py": "from ._a import A\n", "_a.py": "from . import _b\nA = 1\n", "_b.py": ""}
    )
    assert check_imports.cycles(packages) == []


def test_the_command_line_says_so_when_there_is_none() -> None:
    proc = subprocess.run(
        [sys.executable, str(TOOL), "sample_server"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (proc.returncode, proc.stdout) == (0, "no import cycle in sample_server\n")


def test_import_aioagones_does_not_load_tickets() -> None:
    graph = check_imports.import_graph(check_imports.module_files(check_imports.PACKAGES))
    reached, todo = set(), ["aioagones"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(graph[module])
    assert "aioagones.tickets" in graph
    assert "aioagones.tickets" not in reached
