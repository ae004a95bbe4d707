"""Label and annotation rules, as a cluster sidecar applies them."""

from __future__ import annotations

import pytest

from aioagones._validation import annotation_error, label_error


@pytest.mark.parametrize(
    ("key", "value"),
    [("a", ""), ("game-mode", "ctf"), ("a.b_c-d", "v1.2_3-x"), ("k" * 59, "v" * 63), ("9", "0")],
)
def test_accepted_labels(key: str, value: str) -> None:
    assert label_error(key, value) is None


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("", "v", "empty"),
        ("k" * 60, "v", "at most 59"),
        ("has space", "v", "letters, digits"),
        ("-lead", "v", "letters, digits"),
        ("trail.", "v", "letters, digits"),
        ("pre/fix", "v", "letters, digits"),
        ("ok", "v" * 64, "at most 63"),
        ("ok", "bad value", "letters, digits"),
        ("ok", "_lead", "letters, digits"),
    ],
)
def test_refused_labels(key: str, value: str, says: str) -> None:
    error = label_error(key, value)
    assert error is not None and says in error


def test_annotations_take_any_value_but_the_same_keys() -> None:
    assert annotation_error("note", "any text at all: {}/ \n ✓") is None
    assert annotation_error("bad key", "x") is not None
    assert annotation_error("big", "x" * (256 * 1024 + 1)) is not None
