"""Every input in fuzz/corpus/ (ones that once crashed a reader, and seeds) is read without a traceback."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

FUZZ = Path(__file__).resolve().parent.parent / "fuzz"


def _load_targets() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_targets", FUZZ / "targets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


TARGETS = _load_targets().TARGETS
CASES = sorted(
    (path.parent.name, path) for path in (FUZZ / "corpus").glob("*/*") if path.is_file() and path.name != "README.md"
)


def test_every_corpus_folder_names_a_target() -> None:
    folders = {path.name for path in (FUZZ / "corpus").iterdir() if path.is_dir()}
    assert folders <= set(TARGETS), folders - set(TARGETS)
    assert folders == set(TARGETS), f"targets without a corpus: {set(TARGETS) - folders}"


@pytest.mark.parametrize(("target", "path"), CASES, ids=[f"{t}/{p.name}" for t, p in CASES])
def test_the_reader_gives_its_own_error_or_a_value(target: str, path: Path) -> None:
    reader = TARGETS[target]
    try:
        reader.read(path.read_bytes())
    except reader.errors:
        pass
