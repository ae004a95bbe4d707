"""No module over about 300 lines except the listed tables and generated code (`tools/check_module_size.py`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
TOOL = REPO / "tools" / "check_module_size.py"


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_module_size", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_module_size = _load_tool()


def test_every_module_of_the_repository_is_within_the_limit_or_listed() -> None:
    assert check_module_size.problems(check_module_size.modules()) == []


def test_every_exception_gives_a_reason() -> None:
    for pattern, reason in check_module_size.EXCEPTIONS.items():
        assert len(reason) > 20, pattern


def test_the_walk_counts_lines_and_skips_hidden_directories(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n" * 5)
    (tmp_path / "pkg" / "sub" / "b.py").write_text("y = 2\n")
    (tmp_path / "pkg" / ".venv").mkdir()
    (tmp_path / "pkg" / ".venv" / "c.py").write_text("z = 3\n" * 999)
    (tmp_path / "one.py").write_text("w = 4\n" * 2)
    assert check_module_size.modules(tmp_path, ["pkg", "one.py"]) == {"pkg/a.py": 5, "pkg/sub/b.py": 1, "one.py": 2}


def test_a_long_module_and_a_stale_exception_are_each_one_line() -> None:
    sizes = {"pkg/big.py": 12, "pkg/table.py": 40, "pkg/small.py": 10, "gen/x_pb2.py": 99}
    exceptions = {"pkg/table.py": "a table", "gen/*_pb2.py": "generated", "pkg/gone.py": "was big once"}
    found = check_module_size.problems(sizes, limit=10, exceptions=exceptions)
    assert found == [
        "pkg/big.py: 12 lines (limit 10): split it, or list it in EXCEPTIONS with a reason",
        "pkg/gone.py: in EXCEPTIONS but no module it names is over 10 lines: remove it",
    ]
