"""aioagones.allocation exports each public name once, documented; the command is registered."""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path

import aioagones.allocation


def test_all_is_complete_and_documented() -> None:
    names = aioagones.allocation.__all__
    assert names == sorted(names) and len(names) == len(set(names))
    public = {n for n, v in vars(aioagones.allocation).items() if not n.startswith("_") and not inspect.ismodule(v)}
    assert public == set(names)
    for name in names:
        obj = getattr(aioagones.allocation, name)
        assert (obj.__doc__ or "").strip(), name
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if callable(member) and not attr.startswith("_"):
                    assert (member.__doc__ or "").strip(), f"{name}.{attr}"


def test_console_script_and_package_are_declared() -> None:
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["agones-allocate"] == "aioagones.allocation._cli:main"
    assert "aioagones.allocation" in project["tool"]["setuptools"]["packages"]
