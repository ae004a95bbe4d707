"""The sample server's public names: sorted, complete, and each documented."""

from __future__ import annotations

import builtins
import json
import logging
import types

import sample_server
from sample_server import protocol
from sample_server._cli import JsonFormatter


def _isort_key(name: str) -> tuple[int, str]:
    """Ruff's (RUF022) order: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def _public_names(module: types.ModuleType) -> set[str]:
    """The names `module` binds that a user could import: identifiers without a leading underscore.

    Not every key of vars() is one. pytest marks every top-level package of a distribution that
    registers a pytest plugin (ours does: aioagones.testing) for assertion rewriting; once installed
    from a wheel, that includes sample_server, and the rewritten module binds `@py_builtins` and
    `@pytest_ar`, which no `import` or attribute access can name.
    """
    return {n for n in vars(module) if n.isidentifier() and not n.startswith("_")} - {"annotations"}


def test_all_is_sorted_and_complete() -> None:
    for module in (sample_server, protocol):
        assert list(module.__all__) == sorted(module.__all__, key=_isort_key)
        assert all(hasattr(module, name) for name in module.__all__)
    assert _public_names(sample_server) <= set(sample_server.__all__)


def test_public_names_ignore_what_assertion_rewriting_binds() -> None:
    module = types.ModuleType("rewritten")
    vars(module).update({"VALUE": 1, "run": print, "_private": 2, "@py_builtins": builtins, "@pytest_ar": types})
    assert _public_names(module) == {"VALUE", "run"}


def test_every_public_name_has_a_docstring() -> None:
    for name in protocol.__all__:
        obj = getattr(protocol, name)
        if callable(obj):
            assert obj.__doc__, name
    for name in sample_server.__all__:
        assert getattr(sample_server, name).__doc__, name


def test_json_log_lines() -> None:
    record = logging.LogRecord("sample_server", logging.INFO, __file__, 1, "port %d", (7777,), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "port 7777"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "sample_server"
