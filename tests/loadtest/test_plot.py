"""The plot: latency windows wide enough for their p99, a row per target, and a run without replies."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from udp_loadtest import LoadTestConfig, LoadTestResult, WorkerResult
from udp_loadtest._counts import PRECISION
from udp_loadtest._histogram import Histogram
from udp_loadtest._plot import P99_MIN_REPLIES, draw, latency_windows, write_plot

pytest.importorskip("matplotlib")


def _result(per_window: int, windows: int, targets: int = 1, sent: int = 60) -> LoadTestResult:
    """A run whose every 100 ms window sent ``sent`` and got ``per_window`` replies, 1 µs apart from 100 µs."""
    c = WorkerResult()
    index = Histogram(PRECISION).index
    for _ in range(windows):
        lats = [100_000 + 1_000 * i for i in range(per_window)]
        c.window_sent.append(sent)
        c.window_count.append(per_window)
        c.window_total_ns.append(sum(lats))
        c.window_max_ns.append(max(lats, default=0))
        buckets: dict[int, int] = {}
        for v in lats:
            buckets[index(v)] = buckets.get(index(v), 0) + 1
            c.latency.record(v)
        c.window_buckets.append(buckets)
    c.sent, c.received = sent * windows, per_window * windows
    addresses = [f"[2001:db8::{t + 1}]:7777" for t in range(targets)]
    c.target_sent = [c.sent // targets] * targets
    c.target_latency = [Histogram(PRECISION) for _ in range(targets)]
    c.target_latency[0].merge(c.latency)  # the first target answered, the others did not
    config = LoadTestConfig(clients=10 * targets, rate=600.0, duration=windows / 10, warmup=0)
    return LoadTestResult(config, addresses[0], 1, c, 1.0, addresses=addresses, target_clients=[10] * targets)


def test_at_600_per_second_windows_widen_until_p99_is_not_the_max() -> None:
    group, rows = latency_windows(_result(60, 100))  # 10 s at 600/s: 60 replies per 100 ms
    assert group == 4  # 240 replies per plotted window
    assert all(r["replies"] == 240 for r in rows)
    assert all(r["p99_ms"] < r["max_ms"] for r in rows)


def test_p99_is_left_out_where_a_window_is_too_small_for_it() -> None:
    group, rows = latency_windows(_result(30, 20))  # a 2 s run: not enough windows to widen to 200
    assert group == 2
    assert all(r["replies"] == 60 < P99_MIN_REPLIES for r in rows)
    assert all(math.isnan(r["p99_ms"]) and not math.isnan(r["max_ms"]) for r in rows)


def _texts(fig: Any) -> str:
    parts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        parts += [t.get_text() for t in ax.texts] + [ax.get_ylabel()]
        legend = ax.get_legend()
        parts += [t.get_text() for t in legend.get_texts()] if legend else []
    return "\n".join(parts)


def test_several_targets_get_a_row_each() -> None:
    one, three = draw(_result(60, 30)), draw(_result(60, 30, targets=3))
    assert len(one.axes) == 4
    assert len(three.axes) == 6
    labels = [t.get_text() for t in three.axes[4].get_xticklabels()]
    assert labels == ["[2001:db8::1]:7777", "[2001:db8::2]:7777", "[2001:db8::3]:7777"]
    assert "round trip (ms), per 300 ms" in _texts(one)  # 3 s: ten windows of 300 ms


def test_a_run_without_replies_says_so(tmp_path: Path) -> None:
    result = _result(0, 30)
    text = _texts(draw(result))
    assert "NO REPLIES: 1,800 datagrams sent" in text
    assert "no replies\n(round trip over time)" in text and "no replies\n(latency histogram)" in text
    assert "p50 0.000" not in text
    write_plot(result, str(tmp_path / "none.png"))
    write_plot(_result(60, 100, targets=3), str(tmp_path / "three.png"))
