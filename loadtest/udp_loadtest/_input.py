"""Reading the files the load client is given, bounded and without tracebacks.

Every reader reads at most its size bound, decodes strict UTF-8 and, for JSON, refuses nesting deeper
than its depth bound; whatever goes wrong in reading, decoding or parsing becomes an
:class:`InputError` whose one-line text names the input and what is wrong. The parsers of each kind
of input take bytes (``parse_*_bytes``), so that a fuzzer can call them directly.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from udp_loadtest._errors import LoadTestError

__all__ = ["InputError", "decode_text", "parse_json", "read_input"]


class InputError(LoadTestError):
    """An input (a file, stdin) that cannot be read or is not what it should be; the text says which and why."""


def read_input(name: str, limit: int, flag: str = "") -> bytes:
    """The bytes of file ``name`` (``-``: stdin), at most ``limit`` of them.

    Raises:
        InputError: the file cannot be read, or it is larger than ``limit``.
    """
    where = f"{flag} {name}" if flag else name
    try:
        if name == "-":
            binary = getattr(sys.stdin, "buffer", None)  # absent when stdin was replaced by a text stream
            data = binary.read(limit + 1) if binary else sys.stdin.read(limit + 1).encode()
        else:
            with open(name, "rb") as f:
                data = f.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read {where}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(f"{where} is larger than {limit // (1 << 20)} MiB: is it the right file?")
    return data


def decode_text(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text (a byte-order mark is skipped).

    Raises:
        InputError: it is not UTF-8 (a binary file, an image ...).
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is out of range")
    return value


def _depth_over(value: Any, bound: int) -> bool:
    """Whether ``value`` nests lists and objects more than ``bound`` deep (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > bound:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def parse_json(text: str, name: str, max_depth: int) -> Any:
    """Parse JSON text, refusing NaN and Infinity and nesting deeper than ``max_depth``.

    Raises:
        InputError: not JSON, or nested too deep.
    """
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise InputError(f"{name}: JSON nested more than {max_depth} deep") from None
    except ValueError as exc:  # json.JSONDecodeError, and integers too long to convert
        raise InputError(f"{name}: not JSON ({str(exc).splitlines()[0]})") from None
    if isinstance(value, dict | list) and _depth_over(value, max_depth):
        raise InputError(f"{name}: JSON nested more than {max_depth} deep")
    return value
