"""The reading layer turns every failure of decoding and parsing into one ReadError of one line."""

from __future__ import annotations

import pytest

from aioagones._reading import MAX_DEPTH, ReadError, flow_depth, load_json, load_yaml, value_depth

HOSTILE = {
    "escape past U+10FFFF": b'a: "\\UDDDDDDDD"\n',
    "not UTF-8": b'metadata: {name: "\xff\xfe"}\n',
    "flow nested 20,000 deep": b"a: " + b"[" * 20_000 + b"]" * 20_000 + b"\n",
    "block nested 20,000 deep": b"- " * 20_000 + b"x\n",
    "too large": b"a: " + b"x" * (1 << 20) + b"\n",
    "timestamp out of range": b"a: 2001-02-30\n",
    "unhashable key": b"? [a]\n: 1\n",
}


@pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_yaml_is_one_read_error(data: bytes) -> None:
    with pytest.raises(ReadError) as caught:
        load_yaml(data)
    assert "\n" not in str(caught.value) and str(caught.value)


JSON_HOSTILE = {
    "nested 100,000 deep": b'{"key": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "not UTF-8": b'{"key": "\xff"}',
    "digits past the int limit": b"1" * 5000,
    "not JSON": b"{'key': 1}",
}


@pytest.mark.parametrize("data", JSON_HOSTILE.values(), ids=JSON_HOSTILE.keys())
def test_hostile_json_is_one_read_error(data: bytes) -> None:
    with pytest.raises(ReadError) as caught:
        load_json(data)
    assert "\n" not in str(caught.value) and str(caught.value)


def test_ordinary_documents_read() -> None:
    assert load_yaml(b"\xef\xbb\xbfa: [1, {b: 2}]\n") == {"a": [1, {"b": 2}]}
    assert load_json('{"a": "[[[", "b": [1]}') == {"a": "[[[", "b": [1]}


def test_depth_at_the_limit_is_accepted_and_one_past_it_refused() -> None:
    at = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert value_depth(load_json(at)) == MAX_DEPTH
    with pytest.raises(ReadError, match=f"nested {MAX_DEPTH + 1} deep"):
        load_json("[" + at + "]")


def test_brackets_inside_strings_do_not_count() -> None:
    assert flow_depth('{"a": "[[[[\\"[[["}') == 1
    assert value_depth({"a": [[1]], "b": 2}) == 3
