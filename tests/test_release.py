"""Release facts: one version that every console script prints, and one list of supported Pythons."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

import aioagones
from aioagones._version import __version__
from udp_loadtest import _version

REPO = Path(__file__).resolve().parents[1]

# Every console script the package installs, from pyproject.toml: a new one is tested without a word here.
SCRIPTS: dict[str, str] = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]


def _entry_point(script: str) -> Callable[[Sequence[str]], int]:
    module, _, attribute = SCRIPTS[script].partition(":")
    main: Callable[[Sequence[str]], int] = getattr(importlib.import_module(module), attribute)
    return main


def test_the_package_exports_the_one_version() -> None:
    assert aioagones.__version__ is __version__
    assert __version__.count(".") >= 2  # PEP 440, e.g. 0.2.0 or 0.2.0.dev0


@pytest.mark.parametrize("command", SCRIPTS)
def test_version_flag_prints_the_version(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        _entry_point(command)(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"{command} {__version__}\n"


def test_the_load_client_reads_the_version_file_without_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _version.aioagones_version() == __version__
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert _version.aioagones_version() == "unknown (aioagones is not installed)"


@pytest.mark.loopback
@pytest.mark.parametrize("command", SCRIPTS)
def test_each_console_script_answers_version(command: str) -> None:
    script = Path(sys.executable).with_name(command)
    proc = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout == f"{command} {__version__}\n"


@pytest.mark.loopback
def test_load_client_version_imports_neither_grpc_nor_aioagones() -> None:
    # The command's own main, then every module loaded, from a fresh interpreter.
    program = (
        "import contextlib, sys, udp_loadtest\n"
        "with contextlib.suppress(SystemExit):\n"
        "    udp_loadtest.main(['--version'])\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout == f"udp-loadtest {__version__}\n"
    imported = set(proc.stderr.split())
    assert "udp_loadtest._cli" in imported
    assert not {m for m in imported if m.split(".")[0] in ("grpc", "aioagones", "google")}


def _nox_pythons() -> list[str]:
    tree = ast.parse((REPO / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["PYTHONS"]:
            return [str(version) for version in ast.literal_eval(node.value)]
    raise AssertionError("noxfile.py sets no PYTHONS")


def test_the_supported_pythons_agree() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = [
        c.rpartition(" :: ")[2]
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    pythons = _nox_pythons()
    assert listed == pythons
    assert project["requires-python"] == f">={pythons[0]}"
    assert f"for version in {' '.join(pythons)}; do" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
