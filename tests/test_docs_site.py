"""The documentation site builds with `mkdocs build --strict`, and its API reference has every public name.

The build fails on a broken link or a public name without a docstring (tools/griffe_docstrings.py);
these tests add that each public package has a reference page and each name in its `__all__` is on it.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import pkgutil
import re
import subprocess
import sys
import types
from pathlib import Path

import griffe
import pytest

import aioagones

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "docs" / "reference"
_ANCHOR = re.compile(r'\bid="([^"]+)"')


def public_packages() -> list[str]:
    """aioagones and each of its modules a user imports (no leading underscore)."""
    names = [info.name for info in pkgutil.iter_modules(aioagones.__path__) if not info.name.startswith("_")]
    return ["aioagones", *(f"aioagones.{name}" for name in sorted(names))]


def page_for(module: str) -> Path:
    """docs/reference/aioagones.md for the SDK, docs/reference/NAME.md for aioagones.NAME."""
    return REFERENCE / f"{module.rpartition('.')[2]}.md"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(mkdocs, cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


@pytest.mark.parametrize("module", public_packages())
def test_every_public_package_has_a_reference_page(module: str) -> None:
    page = page_for(module)
    assert page.is_file(), f"no {page.relative_to(REPO)}: add one (see mkdocs.yml's nav) for {module}"
    assert re.search(rf"^::: {re.escape(module)}$", page.read_text(encoding="utf-8"), re.MULTILINE)
    assert f"reference/{page.name}" in (REPO / "mkdocs.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("module", public_packages())
def test_every_public_name_is_in_the_reference(site: Path, module: str) -> None:
    imported: types.ModuleType = importlib.import_module(module)
    html = (site / "reference" / page_for(module).stem / "index.html").read_text(encoding="utf-8")
    anchors = set(_ANCHOR.findall(html))
    assert imported.__all__
    assert [name for name in imported.__all__ if f"{module}.{name}" not in anchors] == []


def _extension() -> type[griffe.Extension]:
    spec = importlib.util.spec_from_file_location("griffe_docstrings", REPO / "tools" / "griffe_docstrings.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    extension: type[griffe.Extension] = module.RequireDocstrings
    return extension


@pytest.mark.unit
def test_the_build_warns_of_each_public_name_without_a_docstring(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        '"""A package."""\nfrom pkg._impl import Documented, undocumented\n__all__ = ["Documented", "undocumented"]\n'
    )
    (package / "_impl.py").write_text(
        'class Documented:\n    """Has one."""\n\n    def method(self) -> None:\n        pass\n\n'
        "    def _private(self) -> None:\n        pass\n\n\n"
        "def undocumented() -> None:\n    pass\n\n\ndef _hidden() -> None:\n    pass\n"
    )
    with caplog.at_level(logging.WARNING):
        griffe.load("pkg", search_paths=[tmp_path], extensions=griffe.load_extensions(_extension()()))
    assert sorted(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING) == [
        "pkg.Documented.method: public method without a docstring",
        "pkg.undocumented: public name without a docstring",
    ]
