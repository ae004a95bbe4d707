"""Checked access to the fields of parsed JSON: the right type or a :class:`FieldError` naming the field."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["FieldError", "count_map", "field", "flag", "int_list", "integer", "items", "number", "obj", "text"]


class FieldError(ValueError):
    """A field that is missing or of the wrong shape; the text names it (``counts.window_sent[3]``)."""


def obj(value: Any, path: str) -> dict[str, Any]:
    """``value``, which must be a JSON object."""
    if not isinstance(value, dict):
        raise FieldError(f"{path} must be an object, not {_kind(value)}")
    return value


def field(data: dict[str, Any], key: str, path: str) -> Any:
    """``data[key]``, which must be there."""
    if key not in data:
        raise FieldError(f"{_join(path, key)} is missing")
    return data[key]


def integer(value: Any, path: str, low: int = 0, high: int = 2**63 - 1) -> int:
    """An integer in ``[low, high]`` (not a boolean)."""
    if type(value) is not int:
        raise FieldError(f"{path} must be an integer, not {_kind(value)}")
    if not low <= value <= high:
        shown = str(value) if abs(value) < 10**15 else "out of range"
        raise FieldError(f"{path} is {shown}: it must be between {low} and {high}")
    return value


def number(value: Any, path: str) -> float:
    """A finite number."""
    if type(value) not in (int, float) or not math.isfinite(value):
        raise FieldError(f"{path} must be a number, not {_kind(value)}")
    return float(value)


def text(value: Any, path: str) -> str:
    """A string."""
    if not isinstance(value, str):
        raise FieldError(f"{path} must be a string, not {_kind(value)}")
    return value


def flag(value: Any, path: str) -> bool:
    """A boolean."""
    if not isinstance(value, bool):
        raise FieldError(f"{path} must be true or false, not {_kind(value)}")
    return value


def items(value: Any, path: str) -> list[Any]:
    """A JSON array."""
    if not isinstance(value, list):
        raise FieldError(f"{path} must be an array, not {_kind(value)}")
    return value


def int_list(value: Any, path: str) -> list[int]:
    """An array of non-negative integers."""
    return [integer(v, f"{path}[{i}]") for i, v in enumerate(items(value, path))]


def count_map(value: Any, path: str) -> dict[str, int]:
    """An object of non-negative integers."""
    return {k: integer(v, _join(path, k)) for k, v in obj(value, path).items()}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}.get(
        type(value), "an object"
    )
