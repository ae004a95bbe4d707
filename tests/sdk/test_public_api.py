"""Every public name is exported once and documented."""

from __future__ import annotations

import inspect

import aioagones


def test_all_is_complete() -> None:
    # Its order is kept by ruff (RUF022).
    assert len(aioagones.__all__) == len(set(aioagones.__all__))
    public = {n for n, v in vars(aioagones).items() if not n.startswith("_") and not inspect.ismodule(v)}
    assert public == set(aioagones.__all__)


def test_every_public_name_has_a_docstring() -> None:
    for name in aioagones.__all__:
        obj = getattr(aioagones, name)
        assert (obj.__doc__ or "").strip(), name
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if callable(member) and not attr.startswith("_"):
                    assert (member.__doc__ or "").strip(), f"{name}.{attr}"
