"""The readers of the load client's inputs: bytes in, a value or one line of LoadTestError out, never more."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from udp_loadtest import (
    LoadTestConfig,
    LoadTestError,
    LoadTestResult,
    WorkerResult,
    parse_gameservers_bytes,
    parse_result_bytes,
    parse_targets_bytes,
)
from udp_loadtest._targetsfile import TARGETS_MAX_BYTES

GAMESERVERS = Path(__file__).parent / "gameservers"


def _result_bytes() -> bytes:
    counts = WorkerResult(sent=10, received=9)
    counts.latency.record(150_000, 9)
    counts.target_sent, counts.target_latency = [10], [counts.latency]
    counts.window_sent, counts.window_count, counts.window_total_ns = [10], [9], [1_350_000]
    counts.window_max_ns, counts.window_buckets = [150_000], [{counts.latency.index(150_000): 9}]
    config = LoadTestConfig(host="::1", port=7777, clients=1, rate=100.0, duration=0.1, warmup=0)
    result = LoadTestResult(config, "[::1]:7777", 1, counts, 0.2, addresses=["[::1]:7777"], target_clients=[1])
    return json.dumps(result.to_dict()).encode()


def test_targets_are_words_with_comments() -> None:
    data = b"# the Fleet\n[2001:db8::1]:7777 198.51.100.1:7777\n\n  # more\n[2001:db8::2]:7777\n"
    assert parse_targets_bytes(data) == [("2001:db8::1", 7777), ("198.51.100.1", 7777), ("2001:db8::2", 7777)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[::1]:7777\n\xff\xfe[::1]:7778\n", "F: not UTF-8 text (byte 0xff at offset 11)"),
        (b"[::1]:7777 ::1:7778", "F: target '::1:7778': write an IPv6 target as [ADDRESS]:PORT"),
        (b" " * (TARGETS_MAX_BYTES + 1), "F is larger than 16 MiB"),
    ],
)
def test_bad_targets_files_are_one_line(data: bytes, message: str) -> None:
    with pytest.raises(LoadTestError) as err:
        parse_targets_bytes(data, "F")
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_a_result_reads_back() -> None:
    result = parse_result_bytes(_result_bytes(), "F")
    assert (result.sent, result.received, result.counts.latency.count) == (10, 9, 9)
    log = b"udp-loadtest [::1]:7777: ...\n" + _result_bytes() + b"\nwrote -\n"  # kubectl logs of --json -
    assert parse_result_bytes(log, "F").received == 9


def _mutants(seed: bytes, n: int, rng: random.Random) -> list[bytes]:
    """Damaged copies of ``seed``: bytes changed, cut, repeated, brackets and odd values put in."""
    pieces = [
        b"[",
        b"]",
        b"{",
        b"}",
        b'"',
        b"\\",
        b"\xff",
        b"\x00",
        b"-1",
        b"1e999",
        b"NaN",
        b"null",
        b"10000000000000",
    ]
    out = []
    for _ in range(n):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(data) + 1)
            kind = rng.randrange(4)
            if kind == 0 and data:
                data[min(at, len(data) - 1)] = rng.randrange(256)
            elif kind == 1:
                del data[at : at + rng.randint(1, 40)]
            elif kind == 2:
                data[at:at] = rng.choice(pieces) * rng.randint(1, 3)
            else:
                data[at:at] = data[at : at + rng.randint(1, 60)]
        out.append(bytes(data))
    return out


READERS: list[tuple[str, Callable[[bytes], object], Callable[[], bytes]]] = [
    ("targets", lambda b: parse_targets_bytes(b, "F"), lambda: b"[2001:db8::1]:7777 198.51.100.1:7777\n"),
    ("gameservers", lambda b: parse_gameservers_bytes(b, "F"), lambda: (GAMESERVERS / "list.json").read_bytes()),
    (
        "allocations",
        lambda b: parse_gameservers_bytes(b, "F"),
        lambda: (GAMESERVERS / "allocations.jsonl").read_bytes(),
    ),
    ("result", lambda b: parse_result_bytes(b, "F"), _result_bytes),
]


@pytest.mark.parametrize(("name", "read", "seed"), READERS, ids=[r[0] for r in READERS])
def test_damaged_inputs_give_a_value_or_one_line(
    name: str, read: Callable[[bytes], object], seed: Callable[[], bytes]
) -> None:
    rng = random.Random(f"udp-loadtest {name}")  # the same cases on every run
    for data in _mutants(seed(), 300, rng):
        try:
            read(data)
        except LoadTestError as exc:
            assert "\n" not in str(exc) and str(exc).startswith("F"), (data[:200], str(exc))
