"""The log-linear histogram and the exact merge of workers' results."""

from __future__ import annotations

import json
import random

import pytest

from udp_loadtest import Histogram, WorkerResult


@pytest.mark.parametrize("precision", [1, 4, 8])
def test_every_value_falls_in_its_bucket_and_buckets_tile(precision: int) -> None:
    h = Histogram(precision)
    previous_high = 0
    for i in range(h.index(1 << 40) + 1):
        low, high = h.bounds(i)
        assert low == previous_high, "buckets are contiguous"
        assert h.index(low) == i
        assert h.index(high - 1) == i
        previous_high = high


@pytest.mark.parametrize("value", [0, 1, 511, 512, 513, 1_000, 123_456, 10**9, 7 * 10**10])
def test_relative_error_is_bounded_by_the_precision(value: int) -> None:
    h = Histogram(8)
    h.record(value)
    low, high = h.bounds(h.index(value))
    assert low <= value < high
    assert (high - 1 - low) <= max(0, value) / 256


def test_percentiles_of_small_values_are_exact() -> None:
    h = Histogram()
    for v in range(1, 101):
        h.record(v)
    assert h.percentile(50) == 50
    assert h.percentile(90) == 90
    assert h.percentile(99) == 99
    assert h.percentile(100) == 100
    assert (h.min, h.max, h.count, h.mean) == (1, 100, 100, 50.5)


def test_percentile_of_large_values_is_within_the_bucket() -> None:
    h = Histogram()
    for _ in range(99):
        h.record(100_000)
    h.record(30_000_000)
    assert abs(h.percentile(50) - 100_000) <= 100_000 / 256
    assert h.percentile(99.9) == 30_000_000  # clamped to the exact max
    assert h.percentile(100) == 30_000_000


def test_empty_histogram() -> None:
    h = Histogram()
    assert (h.percentile(50), h.max, h.mean, h.count) == (0, 0, 0.0, 0)


def test_merge_is_exact() -> None:
    rng = random.Random(4)
    values = [int(rng.lognormvariate(12, 2)) for _ in range(5_000)]
    whole = Histogram()
    parts = [Histogram() for _ in range(3)]
    for i, v in enumerate(values):
        whole.record(v)
        parts[i % 3].record(v)
    merged = Histogram()
    for p in parts:
        merged.merge(p)
    assert merged == whole
    for pct in (50, 90, 99, 99.9, 100):
        assert merged.percentile(pct) == whole.percentile(pct)


def test_merge_refuses_other_precision() -> None:
    with pytest.raises(ValueError, match="precision"):
        Histogram(8).merge(Histogram(7))


def test_round_trip_through_json() -> None:
    h = Histogram()
    for v in (0, 5, 700, 10**6, 10**9):
        h.record(v)
    assert Histogram.from_dict(json.loads(json.dumps(h.to_dict()))) == h


def test_worker_results_merge_exactly() -> None:
    a = WorkerResult(sent=10, received=8, duplicated=1, reordered=2, late_sends=3, max_lag_ns=5)
    a.errors = {"ECONNREFUSED": 2}
    a.latency.record(1_000)
    a.window_count, a.window_total_ns, a.window_max_ns = [1, 2], [10, 20], [10, 15]
    b = WorkerResult(sent=5, received=5, reordered=1, max_lag_ns=9, late_replies=1)
    b.errors = {"ECONNREFUSED": 1, "ENOBUFS": 4}
    b.latency.record(3_000)
    b.window_count, b.window_total_ns, b.window_max_ns = [3, 0, 1], [30, 0, 7], [12, 0, 7]
    a.merge(b)
    assert (a.sent, a.received, a.duplicated, a.reordered, a.late_replies) == (15, 13, 1, 3, 1)
    assert (a.late_sends, a.max_lag_ns) == (3, 9)
    assert a.errors == {"ECONNREFUSED": 3, "ENOBUFS": 4}
    assert (a.latency.count, a.latency.min, a.latency.max) == (2, 1_000, 3_000)
    assert a.window_count == [4, 2, 1]
    assert a.window_total_ns == [40, 20, 7]
    assert a.window_max_ns == [12, 15, 7]
