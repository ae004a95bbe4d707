"""A griffe extension for the documentation build: a public name without a docstring is a warning.

mkdocstrings renders nothing for an undocumented name (or an empty heading), which a reader cannot
tell from a name that does not exist; `mkdocs build --strict` turns this warning into a failure.
Public means: named in the `__all__` of a module whose dotted path has no part starting with `_`,
and, for a public class, each method whose name does not start with `_`.
"""

from __future__ import annotations

from typing import Any

import griffe

logger = griffe.get_logger("griffe_docstrings")


class RequireDocstrings(griffe.Extension):
    """Warn about each public name of a loaded package that has no docstring."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        """Check the package just loaded, once its modules and their `__all__` are known."""
        for module in _public_modules(pkg):
            for name in sorted(str(export) for export in module.exports or ()):
                member = _target(module, name)
                if member is None:
                    continue
                where = f"{module.path}.{name}"
                if not _documented(member):
                    logger.warning("%s: public name without a docstring", where)
                if isinstance(member, griffe.Class):
                    for attr, value in member.members.items():
                        method = _final(value)
                        if isinstance(method, griffe.Function) and not attr.startswith("_") and not _documented(method):
                            logger.warning("%s.%s: public method without a docstring", where, attr)


def _public_modules(module: griffe.Module) -> list[griffe.Module]:
    found = [module]
    for name, sub in module.modules.items():
        if not name.startswith("_") and isinstance(sub, griffe.Module):
            found.extend(_public_modules(sub))
    return found


def _target(module: griffe.Module, name: str) -> griffe.Object | None:
    member = module.members.get(name)
    return None if member is None else _final(member)


def _final(member: griffe.Object | griffe.Alias) -> griffe.Object | None:
    if isinstance(member, griffe.Alias):
        try:
            return member.final_target
        except (griffe.AliasResolutionError, griffe.CyclicAliasError):
            return None  # a name from another package: its docstring is not ours to require
    return member


def _documented(obj: griffe.Object) -> bool:
    return obj.docstring is not None and bool(obj.docstring.value.strip())
