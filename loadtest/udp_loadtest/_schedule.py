"""The send schedule of one worker, as pure arithmetic: no socket, no clock.

The run is open loop: client ``c`` sends its sequence number ``s`` at ``(s * total_clients + c) / rate``
seconds after the start, whatever happened to earlier datagrams, so the clients of all workers
interleave evenly. A worker that owns the clients ``clients`` (increasing) sends them in turn: its
k-th send is client ``clients[k % n]``, sequence ``k // n``, at :meth:`Schedule.offset` ``(k)``, and
the offsets grow with k. That one expression is the schedule; the hot loop calls it, and the counts
of what was due (:meth:`Schedule.attempted`) are found from it by search, not counted per datagram.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["WINDOW_NS", "Schedule"]

#: Width of one timeline window (latency over time), by scheduled send time.
WINDOW_NS = 100_000_000


def _offset_function(clients: tuple[int, ...], total_clients: int, step: float) -> Callable[[int], int]:
    n = len(clients)

    # A closure over locals: the hot loop calls it once per datagram, and cell variables are cheaper
    # to reach than attributes.
    def offset(k: int) -> int:
        return int(((k // n) * total_clients + clients[k % n]) * step)

    return offset


class Schedule:
    """When each send of one worker is due, in nanoseconds from the start of the warm-up.

    ``end`` is the first offset at which nothing is scheduled any more; ``windows`` the number of
    timeline windows of the measured part (the last one may be partial); ``capacity`` bounds the
    number of sends (every k below it can be indexed, every k with ``offset(k) < end`` is below it).
    """

    __slots__ = ("capacity", "clients", "end", "n", "offset", "step", "total_clients", "warmup", "windows")

    def __init__(
        self, clients: tuple[int, ...], total_clients: int, rate: float, warmup_ns: int, duration_ns: int
    ) -> None:
        self.clients = clients
        self.n = len(clients)
        self.total_clients = total_clients
        self.step = 1e9 / rate  # ns between two datagrams of the whole run
        self.warmup = warmup_ns
        self.end = warmup_ns + duration_ns
        self.windows = -(-duration_ns // WINDOW_NS)
        self.capacity = (int(self.end / (self.step * total_clients)) + 2) * self.n
        #: ``offset(k)``: the scheduled offset (ns) of this worker's k-th send.
        self.offset: Callable[[int], int] = _offset_function(clients, total_clients, self.step)

    def first_at(self, offset: int) -> int:
        """The first k whose send is scheduled at or after ``offset``."""
        lo, hi = 0, self.capacity + self.n
        while lo < hi:
            mid = (lo + hi) // 2
            if self.offset(mid) >= offset:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def window_of(self, offset: int) -> int:
        """The timeline window of a measured send scheduled at ``offset``."""
        return (offset - self.warmup) // WINDOW_NS

    def attempted(self, done: int) -> tuple[list[int], list[int]]:
        """The measured sends among the first ``done``: per client (local index) and per window.

        Counting them in the send loop would cost two list updates per datagram; the schedule says
        exactly which k fall in the measured part and in which window.
        """
        n = self.n
        first = min(self.first_at(self.warmup), done)
        # How many k in [first, done) have k % n == j.
        per_client = [max(0, (done - j + n - 1) // n) - max(0, (first - j + n - 1) // n) for j in range(n)]
        per_window = []
        start = first
        for w in range(self.windows):
            stop = min(self.first_at(self.warmup + (w + 1) * WINDOW_NS), done)
            per_window.append(max(0, stop - start))
            start = max(start, stop)
        return per_client, per_window
