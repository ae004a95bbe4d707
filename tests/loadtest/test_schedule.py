"""The send schedule's arithmetic, and the hot loop's use of the histogram's buckets, without sockets."""

from __future__ import annotations

import time

import pytest

from udp_loadtest._config import WorkerSpec
from udp_loadtest._counts import PRECISION
from udp_loadtest._histogram import Histogram
from udp_loadtest._loop import _Run
from udp_loadtest._schedule import WINDOW_NS, Schedule

# (clients of the whole run, workers, rate, warm-up ns, duration ns)
CASES = [
    (1, 1, 1000.0, 0, 300_000_000),
    (10, 3, 600.0, 1_000_000_000, 250_000_000),
    (7, 2, 12_345.6, 50_000_000, 333_333_333),
    (100, 4, 99_999.0, 0, 120_000_000),
]


def _schedules(total: int, workers: int, rate: float, warmup: int, duration: int) -> list[Schedule]:
    return [Schedule(tuple(range(w, total, workers)), total, rate, warmup, duration) for w in range(workers)]


@pytest.mark.parametrize("case", CASES)
def test_the_kth_send_is_its_client_and_sequence_at_their_slot(case: tuple[int, int, float, int, int]) -> None:
    total, rate = case[0], case[2]
    for s in _schedules(*case):
        for k in range(3 * s.n + 2):
            client, seq = s.clients[k % s.n], k // s.n
            assert s.offset(k) == int((seq * total + client) * (1e9 / rate))


@pytest.mark.parametrize("case", CASES)
def test_the_workers_interleave_into_one_even_schedule(case: tuple[int, int, float, int, int]) -> None:
    rate, warmup, duration = case[2:]
    slots: list[int] = []
    for s in _schedules(*case):
        offsets = [s.offset(k) for k in range(s.capacity)]
        assert offsets == sorted(offsets), "offsets must grow with k"
        slots += [o for o in offsets if o < s.end]
    step = 1e9 / rate
    # Every slot i of the whole run (client i % total, sequence i // total) is sent by exactly one worker.
    expected = [int(i * step) for i in range(int((warmup + duration) / step) + 2) if int(i * step) < warmup + duration]
    assert sorted(slots) == expected


@pytest.mark.parametrize("case", CASES)
def test_capacity_holds_every_scheduled_send(case: tuple[int, int, float, int, int]) -> None:
    for s in _schedules(*case):
        assert s.offset(s.capacity - 1) >= s.end


@pytest.mark.parametrize("case", CASES)
def test_first_at_is_the_first_send_at_or_after(case: tuple[int, int, float, int, int]) -> None:
    for s in _schedules(*case):
        offsets = [s.offset(k) for k in range(s.capacity + s.n)]
        for at in (0, 1, offsets[1], offsets[1] + 1, s.warmup, s.warmup + WINDOW_NS, s.end - 1, s.end):
            assert s.first_at(at) == next(k for k, o in enumerate(offsets) if o >= at)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("part", [0.0, 0.3, 0.999, 1.0])
def test_attempted_sends_per_client_and_window_are_counted_from_the_schedule(
    case: tuple[int, int, float, int, int], part: float
) -> None:
    for s in _schedules(*case):
        due = [k for k in range(s.capacity) if s.offset(k) < s.end]
        done = int(len(due) * part)  # a run stopped early (all refused) attempted only these
        per_client, per_window = s.attempted(done)
        measured = [k for k in range(done) if s.offset(k) >= s.warmup]
        assert per_client == [sum(1 for k in measured if k % s.n == j) for j in range(s.n)]
        assert per_window == [sum(1 for k in measured if s.window_of(s.offset(k)) == w) for w in range(s.windows)]
        assert sum(per_window) == len(measured)


def test_a_partial_last_window_is_a_window() -> None:
    assert Schedule((0,), 1, 100.0, 0, 250_000_000).windows == 3
    assert Schedule((0,), 1, 100.0, 0, 200_000_000).windows == 2


class _FakeSocket:
    """Stands in for a connected UDP socket: hands out the replies given, then 'would block'."""

    def __init__(self, replies: list[bytes]) -> None:
        self.replies = replies

    def fileno(self) -> int:
        return 3

    def send(self, data: bytes) -> int:
        return len(data)

    def recv(self, size: int) -> bytes:
        if not self.replies:
            raise BlockingIOError
        return self.replies.pop(0)


def test_the_loop_files_replies_in_the_histograms_buckets() -> None:
    spec = WorkerSpec(
        targets=((10, ("::1", 9)),), clients=(0,), total_clients=1, rate=10.0, warmup_ns=0,
        duration_ns=1_000_000_000, payload_size=64, reply_timeout_ns=2_000_000_000, keep_raw=True,
    )  # fmt: skip
    scheduled = [0, 100_000_000, 500_000_000, 900_000_000, 999_000_000]
    sock = _FakeSocket([b"ACK: lt 0 %d %d xx" % (seq, at) for seq, at in enumerate(scheduled)])
    run = _Run(spec, [sock], time.monotonic_ns() - 1_000_000_000)  # type: ignore[list-item]
    run.read([(3, 1)])
    result = run.result()
    assert len(result.raw_ns) == len(scheduled) == result.received
    index = Histogram(PRECISION).index
    assert sorted(i for i, _ in result.latency.buckets()) == sorted(index(v) for v in result.raw_ns)
    assert (result.latency.min, result.latency.max) == (min(result.raw_ns), max(result.raw_ns))
    assert [n for n in result.window_count if n] == [1, 1, 1, 2]
