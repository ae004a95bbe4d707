"""The state of one worker's run: its counters, what the hot loop reads, and the counts at the end."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import NamedTuple

from udp_loadtest._config import WorkerSpec
from udp_loadtest._counts import PRECISION, Progress, WorkerResult
from udp_loadtest._histogram import Histogram
from udp_loadtest._schedule import Schedule
from udp_loadtest._sockets import error_name

__all__ = ["ReadFixed", "RunState", "SendFixed"]


class SendFixed(NamedTuple):
    """What the send phase reads but never changes, unpacked into locals once per call (in this order)."""

    mono: Callable[[], int]
    t0: int
    offset: Callable[[int], int]
    clients: tuple[int, ...]
    sends: list[Callable[..., int]]
    tails: list[list[bytes]]
    warmup: int
    n: int
    end: int


class ReadFixed(NamedTuple):
    """What the read phase reads but never changes (the lists are updated in place), in this order."""

    mono: Callable[[], int]
    t0: int
    recvs: dict[int, Callable[..., bytes]]
    seen: bytearray
    max_seq: list[int]
    local_of: dict[int, int]
    n: int
    target_of: list[int]
    target_counts: list[list[int]]
    raw: list[int] | None
    win_count: list[int]
    win_total: list[int]
    win_max: list[int]
    win_buckets: list[dict[int, int]]
    warmup: int
    timeout: int
    bucket_of: Callable[[int], int]


class RunState:
    """The state of one worker's run; the two phases that change it are in ``udp_loadtest._loop``.

    The hot paths (``send_due``, ``read``) copy what they use into locals once per call (the
    fixed parts from one tuple each) and store the counters back at the end: one call handles a whole
    burst or a whole batch of ready sockets, so attribute access costs once per batch, not once per
    datagram. Slots keep those accesses cheap for the common case of a one-datagram turn.
    """

    __slots__ = (
        "answered", "client_sent", "dup", "end", "errors", "k", "lag_total", "last_send", "lat_max", "lat_min",
        "lat_total", "late_replies", "late_sends", "local_of", "max_lag", "max_seq", "n", "off", "raw",
        "read_fixed", "received", "recvs", "refused_stop", "reord", "schedule", "seen", "send_fixed", "sends",
        "sent", "spec", "stop", "t0", "tails", "target_counts", "target_of", "unexpected", "warm_errors", "warm_sent",
        "win_buckets", "win_count", "win_max", "win_sent", "win_total",
    )  # fmt: skip

    def __init__(
        self, spec: WorkerSpec, socks: list[socket.socket], t0: int, secrets: dict[int, bytes] | None = None
    ) -> None:
        n = len(spec.clients)
        self.spec = spec
        self.t0 = t0
        self.n = n
        schedule = Schedule(spec.clients, spec.total_clients, spec.rate, spec.warmup_ns, spec.duration_ns)
        self.schedule = schedule
        self.end = schedule.end  # nothing is scheduled at or after this offset
        self.stop = self.end + spec.reply_timeout_ns
        self.sends = [s.send for s in socks]
        self.recvs = {s.fileno(): s.recv for s in socks}
        self.local_of = {c: j for j, c in enumerate(spec.clients)}
        # Padding brings every datagram to the requested size; the header alone is sent when longer.
        pad = b"x" * spec.payload_size
        # tails[j][len(head)] pads client j's header to the size: the slices made here, not one per
        # datagram. A header (client, sequence, offset in ns) is under 50 bytes. A client that joined
        # ends every datagram with its session secret, as a player does, so the server counts its
        # traffic as the player's (the session stays alive); the secret is never cut by the padding.
        shared = [pad[i:] for i in range(128)]
        self.tails = [shared] * n
        for j, secret in (secrets or {}).items():
            tail = b" " + secret
            own = pad[: max(0, spec.payload_size - len(tail))] + tail
            self.tails[j] = [own[i:] if i <= len(own) - len(tail) else tail for i in range(128)]
        # The whole schedule of this worker: the k-th send is client clients[k % n], sequence k // n.
        self.seen = bytearray(schedule.capacity)
        self.max_seq = [-1] * n
        # Failed measured sends, negative; the sends that were attempted are added up in result().
        self.client_sent = [0] * n
        self.target_of = [spec.target_of(c) for c in spec.clients]
        windows = schedule.windows
        self.win_sent = [0] * windows
        self.win_count = [0] * windows
        self.win_total = [0] * windows
        self.win_max = [0] * windows
        self.win_buckets: list[dict[int, int]] = [{} for _ in range(windows)]
        # Replies later than the reply timeout are not recorded: no bucket beyond its bucket is needed.
        hist_size = Histogram(PRECISION).index(spec.reply_timeout_ns) + 1
        self.target_counts = [[0] * hist_size for _ in spec.targets]
        self.raw: list[int] | None = [] if spec.keep_raw else None
        self.k = 0
        self.off = schedule.offset(0) if n else self.end  # offset of the k-th send
        self.last_send = 0
        self.sent = self.warm_sent = self.received = self.answered = 0
        self.late_replies = self.dup = self.reord = self.unexpected = 0
        self.late_sends = self.lag_total = self.max_lag = 0
        self.lat_total = 0
        self.lat_min = spec.reply_timeout_ns + 1
        self.lat_max = 0
        self.errors: dict[str, int] = {}
        self.warm_errors: dict[str, int] = {}
        self.refused_stop = False
        self.send_fixed = SendFixed(
            time.monotonic_ns, t0, schedule.offset, spec.clients, self.sends, self.tails, spec.warmup_ns, n, self.end
        )
        self.read_fixed = ReadFixed(
            time.monotonic_ns,
            t0,
            self.recvs,
            self.seen,
            self.max_seq,
            self.local_of,
            n,
            self.target_of,
            self.target_counts,
            self.raw,
            self.win_count,
            self.win_total,
            self.win_max,
            self.win_buckets,
            spec.warmup_ns,
            spec.reply_timeout_ns,
            Histogram(PRECISION).index,
        )

    def progress(self, now: int) -> Progress:
        """The running counts at offset ``now``."""
        refused = self.errors.get("ECONNREFUSED", 0) + self.warm_errors.get("ECONNREFUSED", 0)
        return Progress(self.sent, self.received, self.late_sends, self.max_lag, self.answered, refused, now)

    def count_error(self, exc: OSError, now: int) -> None:
        into = self.errors if now >= self.spec.warmup_ns else self.warm_errors
        key = error_name(exc)
        into[key] = into.get(key, 0) + 1

    def _add_attempted_sends(self) -> None:
        """Add the measured sends attempted per client and per window (send_due attempted every k below self.k)."""
        per_client, per_window = self.schedule.attempted(self.k)
        for j, count in enumerate(per_client):
            self.client_sent[j] += count
        for w, count in enumerate(per_window):
            self.win_sent[w] += count

    def result(self) -> WorkerResult:
        """The counts of this worker."""
        self._add_attempted_sends()
        spec = self.spec
        r = WorkerResult(
            sent=self.sent,
            warmup_sent=self.warm_sent,
            received=self.received,
            late_replies=self.late_replies,
            duplicated=self.dup,
            reordered=self.reord,
            unexpected=self.unexpected,
            late_sends=self.late_sends,
            lag_total_ns=self.lag_total,
            max_lag_ns=self.max_lag,
            last_send_ns=self.last_send,
            errors=self.errors,
            warmup_errors=self.warm_errors,
            window_sent=self.win_sent,
            window_count=self.win_count,
            window_total_ns=self.win_total,
            window_max_ns=self.win_max,
            window_buckets=self.win_buckets,
            raw_ns=self.raw or [],
        )
        r.target_sent = [0] * len(spec.targets)
        for j, n in enumerate(self.client_sent):
            r.target_sent[self.target_of[j]] += n
        # Exact min and max are known over all targets only; each target's are its buckets' bounds.
        for counts in self.target_counts:
            hist = Histogram(PRECISION)
            for i, v in enumerate(counts):
                if v:
                    hist.record(hist.bounds(i)[0], v)
            r.target_latency.append(hist)
            r.latency.merge(hist)
        r.latency.total = self.lat_total
        r.latency.min = self.lat_min if self.received else 0
        r.latency.max = self.lat_max
        return r
