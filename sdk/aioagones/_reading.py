"""Reading untrusted bytes as JSON or YAML: one error type, one line, bounded size and depth.

A parser documents one exception (`json.JSONDecodeError`, `yaml.YAMLError`) and raises others
too: `UnicodeDecodeError` for bytes that are not UTF-8, `RecursionError` for deep nesting,
`OverflowError` and `ValueError` from PyYAML's scalar constructors (a `\\U` escape past U+10FFFF).
Every reader of a file or a request body goes through here, so each of those becomes a
`ReadError` with a message fit for one log line or one line on stderr, and nothing else escapes.

Depth is checked before parsing, on the raw text, so a deeply nested document never reaches the
recursive parts of a parser: brackets and braces (JSON, and YAML's flow style) are counted
outside double-quoted strings. Block-style YAML nests by indentation, which costs at least one
character per level on every line, so its depth is bounded by the size limit and by the same
count after parsing.
"""

from __future__ import annotations

import json
from typing import Any

MAX_BYTES = 1 << 20
"""The largest document read (1 MiB): a manifest, a request body, a result file."""

MAX_DEPTH = 64
"""The deepest nesting of lists and mappings accepted (a GameServer manifest needs about 8)."""


class ReadError(ValueError):
    """Bytes that cannot be read as the document expected; the message is one line."""


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def decode_text(data: bytes, *, max_bytes: int = MAX_BYTES) -> str:
    """`data` as UTF-8 text (a leading byte-order mark is dropped).

    Raises:
        ReadError: too large, or not UTF-8 (the message gives the first bad byte's offset).
    """
    if len(data) > max_bytes:
        raise ReadError(f"too large: {len(data)} bytes; the limit is {max_bytes}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError(f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start}") from None


def flow_depth(text: str) -> int:
    """The deepest nesting of `[` and `{` in `text`, outside double-quoted strings.

    Single quotes are not followed: in YAML a plain scalar may hold an apostrophe (`don't`), and
    counting a bracket too many only refuses a document sooner.
    """
    depth = deepest = 0
    quote = ""
    escaped = False
    for char in text:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == '"':
            quote = char
    return deepest


def value_depth(value: object) -> int:
    """How deeply lists and mappings nest in a parsed value (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[object] = [*item.keys(), *item.values()]
        elif isinstance(item, list | tuple):
            children = list(item)
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _check_depth(depth: int, max_depth: int) -> None:
    if depth > max_depth:
        raise ReadError(f"nested {depth} deep; the limit is {max_depth}")


def _bounded_text(data: bytes | str, max_bytes: int, max_depth: int) -> str:
    text = decode_text(data, max_bytes=max_bytes) if isinstance(data, bytes) else data
    if len(text) > max_bytes:
        raise ReadError(f"too large: {len(text)} characters; the limit is {max_bytes}")
    _check_depth(flow_depth(text), max_depth)
    return text


def load_json(data: bytes | str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON from bytes or text, bounded in size and depth.

    Raises:
        ReadError: too large, not UTF-8, nested too deeply, or not JSON.
    """
    text = _bounded_text(data, max_bytes, max_depth)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:  # int digits past the limit, deep nesting left over
        raise ReadError(f"not JSON: {_one_line(str(exc)) or type(exc).__name__}") from None


def load_yaml(data: bytes | str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse one YAML (or JSON) document with PyYAML's safe loader, bounded in size and depth.

    Raises:
        ReadError: too large, not UTF-8, nested too deeply, or not YAML.
    """
    import yaml  # only the readers of manifests need PyYAML

    text = _bounded_text(data, max_bytes, max_depth)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReadError(f"not valid YAML or JSON: {_one_line(str(exc))}") from None
    except (ValueError, OverflowError, RecursionError, TypeError) as exc:
        # PyYAML's constructors raise these for values they cannot build (an escape past
        # U+10FFFF, a timestamp out of range, an unhashable mapping key).
        raise ReadError(f"not valid YAML: {_one_line(str(exc)) or type(exc).__name__}") from None
    _check_depth(value_depth(doc), max_depth)
    return doc
