"""Typed reading of a parsed manifest (YAML keys in camelCase), with errors that name the field's path.

Used by `_manifest` (a manifest at start) and `_reload` (each write to it).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

__all__ = ["ManifestError", "Reader", "kind_of", "read_timestamp"]


class ManifestError(ValueError):
    """A manifest the local sidecar refuses; the message names the field and what is allowed."""


def kind_of(value: object) -> str:
    """What a YAML value is, in words: `a string`, `a list`, `nothing` ..."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class Reader:
    """Typed access to one mapping of the manifest, with errors that name the field's path."""

    def __init__(self, value: object, path: str) -> None:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise ManifestError(f"{path}: expected a mapping, got {kind_of(value)}")
        self.data: dict[Any, Any] = value
        self.path = path

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def mapping(self, key: str) -> Reader:
        return Reader(self.data.get(key), self._at(key))

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.data.get(key, default)
        if value is not None and not isinstance(value, str):
            raise ManifestError(f"{self._at(key)}: expected a string, got {kind_of(value)}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise ManifestError(f"{self._at(key)}: expected true or false, got {kind_of(value)}")
        return value

    def number(self, key: str, default: int | None = None, *, low: int = 0, high: int | None = None) -> int | None:
        value = self.data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ManifestError(f"{self._at(key)}: expected an integer, got {kind_of(value)}")
        if value < low or (high is not None and value > high):
            allowed = f"{low}..{high}" if high is not None else f"{low} or more"
            raise ManifestError(f"{self._at(key)}: {value} is out of range; allowed: {allowed}")
        return value

    def choice(self, key: str, allowed: Sequence[str], default: str) -> str:
        value = self.data.get(key, default)
        if value not in allowed:
            raise ManifestError(f"{self._at(key)}: {value!r} is not one of {', '.join(allowed)}")
        return str(value)

    def strings(self, key: str) -> dict[str, str]:
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ManifestError(f"{self._at(key)}: expected a mapping of strings, got {kind_of(value)}")
        for k, v in value.items():
            if not isinstance(k, str) or not isinstance(v, str):
                where = f"{self._at(key)}.{k}"
                raise ManifestError(f'{where}: expected a string, got {kind_of(v)} (quote it in YAML: "{v}")')
        return dict(value)


def read_timestamp(value: object, path: str, now: float) -> int:
    """An RFC 3339 time (a string, or what YAML made of it) as Unix seconds; `now` when missing."""
    if value is None:
        return int(now)
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ManifestError(f"{path}: {value!r} is not an RFC 3339 time, e.g. 2024-05-01T12:00:00Z") from None
    else:
        raise ManifestError(f"{path}: expected an RFC 3339 time, got {kind_of(value)}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return int(moment.timestamp())
