"""One worker: a plain epoll loop that drives many client sockets on a fixed schedule.

The strategy, and why it is not asyncio: the tool must be faster than the server it measures, so the
hot loop pays as little Python as it can per datagram. Every client owns a connected, non-blocking UDP
socket (its own source port, like a player). The schedule is open loop: client ``c`` sends sequence
number ``s`` at ``t0 + (s * clients + c) / rate`` whatever happened to earlier datagrams, so the
clients of all workers interleave evenly and the k-th send of a worker is found by arithmetic, not by
a timer per client. Each turn of the loop sends everything that is due (a bounded burst, so replies
are still read when the tool falls behind), then reads every socket that epoll reports until it is
empty. Between turns it sleeps in ``select()`` on the epoll descriptor, whose timeout has microsecond
resolution, where ``epoll.poll()`` would round up to a whole millisecond. The two phases are the
methods ``send_due`` and ``read`` of ``_Schedule``, which hold the run's state; ``run_worker`` is the
loop around them. With several targets, client ``c`` talks to target ``c % targets``.

Latency is measured from the scheduled send time carried in the payload, not from the moment the
datagram actually left, so a tool that falls behind shows the delay in the latencies (no coordinated
omission) and also reports how far behind it was and how many datagrams left more than 1 ms late.
"""

from __future__ import annotations

import contextlib
import errno
import select
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sample_server.protocol import ACK_PREFIX, JOIN_WORD, LEAVE_WORD, MAX_DATAGRAM
from udp_loadtest._histogram import Histogram

__all__ = [
    "LoadTestError",
    "Progress",
    "WorkerResult",
    "WorkerSpec",
    "join_players",
    "open_sockets",
    "play",
    "run_worker",
    "worker_process",
]

#: What the echo of a load datagram starts with (the load datagrams start with ``lt``, not a command word).
ECHO_PREFIX = ACK_PREFIX + b"lt "
#: Read buffer: the sample server reads MAX_DATAGRAM bytes; other echo servers may answer more.
REPLY_BUFFER = 4 * MAX_DATAGRAM
#: A datagram that leaves more than this after its scheduled time counts as sent late.
LATE_SEND_NS = 1_000_000
#: The most datagrams sent in one turn before replies are read again.
MAX_BURST = 128
#: The most sockets read in one turn before sends are due again.
MAX_EVENTS = 64
#: Width of one timeline window (latency over time), by scheduled send time.
WINDOW_NS = 100_000_000
#: How often the progress callback is called.
PROGRESS_NS = 500_000_000
#: Histogram precision (bits): a recorded value is known to within 2**-PRECISION of itself.
PRECISION = 8
#: When every datagram of this first stretch of the schedule was refused, the run stops (--keep-going).
REFUSED_CHECK_NS = 2_000_000_000

#: Called with the running counts every PROGRESS_NS; answering True stops the run (all refused).
ProgressHook = Callable[["Progress"], bool | None]


class LoadTestError(Exception):
    """A problem the user can fix (bad address, too many sockets ...); its text is the message."""


@dataclass(frozen=True)
class WorkerSpec:
    """What one worker does; picklable, so it crosses into a worker process.

    Client ``c`` talks to target ``c % len(targets)``, so the clients are spread evenly over the targets.
    """

    targets: tuple[tuple[int, tuple[object, ...]], ...]  # (family, sockaddr) of every target
    clients: tuple[int, ...]  # global client ids, increasing
    total_clients: int
    rate: float  # datagrams per second over all clients of all workers
    warmup_ns: int
    duration_ns: int
    payload_size: int
    reply_timeout_ns: int
    join: bool = False
    player_prefix: str = "lt"
    join_reply: bytes = ACK_PREFIX + JOIN_WORD
    keep_going: bool = False
    keep_raw: bool = False

    def target_of(self, client: int) -> int:
        """The index of the target that ``client`` sends to."""
        return client % len(self.targets)


@dataclass
class Progress:
    """A running count, reported every half second while a worker runs."""

    sent: int = 0
    received: int = 0
    late_sends: int = 0
    max_lag_ns: int = 0
    answered: int = 0  # replies matched to a datagram, warm-up, late and duplicates included
    refused: int = 0  # ECONNREFUSED, warm-up included
    elapsed_ns: int = 0  # of the schedule

    def add(self, other: Progress) -> None:
        """Add another worker's counts."""
        self.sent += other.sent
        self.received += other.received
        self.late_sends += other.late_sends
        self.max_lag_ns = max(self.max_lag_ns, other.max_lag_ns)
        self.answered += other.answered
        self.refused += other.refused
        self.elapsed_ns = max(self.elapsed_ns, other.elapsed_ns)

    def all_refused(self, spec: WorkerSpec) -> bool:
        """Whether the run should stop: past the first stretch, nothing came back but refusals."""
        return (
            not spec.keep_going
            and spec.warmup_ns + spec.duration_ns > REFUSED_CHECK_NS
            and self.elapsed_ns >= REFUSED_CHECK_NS
            and self.refused > 0
            and self.answered == 0
        )


K = TypeVar("K")

_SUMMED = (
    "sent",
    "received",
    "late_replies",
    "duplicated",
    "reordered",
    "unexpected",
    "warmup_sent",
    "late_sends",
    "lag_total_ns",
    "joined",
    "join_refused",
    "join_unanswered",
    "left",
    "socket_drops",
)


def _add_lists(mine: list[int], theirs: list[int], shift: int = 0) -> None:
    if len(theirs) + shift > len(mine):
        mine.extend([0] * (len(theirs) + shift - len(mine)))
    for i, v in enumerate(theirs):
        mine[i + shift] += v


def _add_counts(mine: dict[K, int], theirs: dict[K, int]) -> None:
    for key, n in theirs.items():
        mine[key] = mine.get(key, 0) + n


@dataclass
class WorkerResult:
    """Everything one worker counted; results of several workers add up with :meth:`merge`.

    ``target_sent[t]`` and ``target_latency[t]`` are per target (``received`` of a target is its
    histogram's count). The ``window_*`` lists are per 100 ms of scheduled send time from the end
    of the warm-up; ``window_buckets[w]`` maps a histogram bucket index to its count in window ``w``.
    """

    sent: int = 0
    received: int = 0
    late_replies: int = 0
    duplicated: int = 0
    reordered: int = 0
    unexpected: int = 0
    warmup_sent: int = 0
    late_sends: int = 0
    lag_total_ns: int = 0
    max_lag_ns: int = 0
    last_send_ns: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    warmup_errors: dict[str, int] = field(default_factory=dict)
    joined: int = 0
    join_refused: int = 0
    join_unanswered: int = 0
    join_errors: list[str] = field(default_factory=list)
    left: int = 0
    session_secrets: dict[int, bytes] = field(default_factory=dict)  # client index -> what its LEAVE carries
    socket_drops: int = 0
    refused_stop: bool = False
    latency: Histogram = field(default_factory=lambda: Histogram(PRECISION))
    target_sent: list[int] = field(default_factory=list)
    target_latency: list[Histogram] = field(default_factory=list)
    window_sent: list[int] = field(default_factory=list)
    window_count: list[int] = field(default_factory=list)
    window_total_ns: list[int] = field(default_factory=list)
    window_max_ns: list[int] = field(default_factory=list)
    window_buckets: list[dict[int, int]] = field(default_factory=list)
    raw_ns: list[int] = field(default_factory=list)

    def merge(self, other: WorkerResult, window_shift: int = 0) -> None:
        """Add ``other``'s counts to this result (exact).

        ``window_shift`` moves ``other``'s windows later by that many windows (runs that started apart).
        """
        for name in _SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.max_lag_ns = max(self.max_lag_ns, other.max_lag_ns)
        self.last_send_ns = max(self.last_send_ns, other.last_send_ns)
        self.refused_stop = self.refused_stop or other.refused_stop
        _add_counts(self.errors, other.errors)
        _add_counts(self.warmup_errors, other.warmup_errors)
        self.join_errors.extend(e for e in other.join_errors if e not in self.join_errors)
        self.latency.merge(other.latency)
        _add_lists(self.target_sent, other.target_sent)
        for t, hist in enumerate(other.target_latency):
            if t == len(self.target_latency):
                self.target_latency.append(Histogram(hist.precision))
            self.target_latency[t].merge(hist)
        for name in ("window_sent", "window_count", "window_total_ns"):
            _add_lists(getattr(self, name), getattr(other, name), window_shift)
        width = len(self.window_count)
        self.window_max_ns.extend([0] * (width - len(self.window_max_ns)))
        for i, v in enumerate(other.window_max_ns):
            if v > self.window_max_ns[i + window_shift]:
                self.window_max_ns[i + window_shift] = v
        self.window_buckets.extend({} for _ in range(width - len(self.window_buckets)))
        for i, buckets in enumerate(other.window_buckets):
            _add_counts(self.window_buckets[i + window_shift], buckets)
        self.raw_ns.extend(other.raw_ns)

    def window_histogram(self, w: int) -> Histogram:
        """The latency histogram of window ``w`` (min and max are the window's bucket bounds)."""
        buckets = self.window_buckets[w] if w < len(self.window_buckets) else {}
        hist = Histogram(self.latency.precision)
        for i in sorted(buckets):
            hist.record(hist.bounds(i)[0], buckets[i])
        if buckets and w < len(self.window_max_ns):
            hist.max = self.window_max_ns[w]
        return hist

    def to_dict(self) -> dict[str, Any]:
        """Every count, JSON-ready; :meth:`from_dict` reads it back exactly."""
        out: dict[str, Any] = {name: getattr(self, name) for name in _SUMMED}
        out.update(
            max_lag_ns=self.max_lag_ns,
            last_send_ns=self.last_send_ns,
            errors=dict(self.errors),
            warmup_errors=dict(self.warmup_errors),
            join_errors=list(self.join_errors),
            refused_stop=self.refused_stop,
            latency=self.latency.to_dict(),
            target_sent=list(self.target_sent),
            target_latency=[h.to_dict() for h in self.target_latency],
            window_sent=list(self.window_sent),
            window_count=list(self.window_count),
            window_total_ns=list(self.window_total_ns),
            window_max_ns=list(self.window_max_ns),
            window_buckets=[sorted(b.items()) for b in self.window_buckets],
        )
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkerResult:
        """Rebuild a result written by :meth:`to_dict`."""
        r = cls()
        for name in _SUMMED:
            setattr(r, name, int(data[name]))
        r.max_lag_ns = int(data["max_lag_ns"])
        r.last_send_ns = int(data["last_send_ns"])
        r.errors = {str(k): int(v) for k, v in data["errors"].items()}
        r.warmup_errors = {str(k): int(v) for k, v in data["warmup_errors"].items()}
        r.join_errors = [str(e) for e in data["join_errors"]]
        r.refused_stop = bool(data["refused_stop"])
        r.latency = Histogram.from_dict(data["latency"])
        r.target_sent = [int(n) for n in data["target_sent"]]
        r.target_latency = [Histogram.from_dict(h) for h in data["target_latency"]]
        for name in ("window_sent", "window_count", "window_total_ns", "window_max_ns"):
            setattr(r, name, [int(n) for n in data[name]])
        r.window_buckets = [{int(i): int(n) for i, n in b} for b in data["window_buckets"]]
        return r


def _error_name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, type(exc).__name__)


def open_sockets(spec: WorkerSpec) -> list[socket.socket]:
    """Open and connect one non-blocking UDP socket per client of ``spec``.

    Raises:
        LoadTestError: the address cannot be reached or the process is out of descriptors.
    """
    socks: list[socket.socket] = []
    rcvbuf = 4 << 20 if len(spec.clients) <= 16 else 256 << 10
    sockaddr: tuple[object, ...] = ()
    try:
        for c in spec.clients:
            family, sockaddr = spec.targets[spec.target_of(c)]
            sock = socket.socket(family, socket.SOCK_DGRAM)
            socks.append(sock)
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.connect(sockaddr)
    except OSError as exc:
        for sock in socks:
            sock.close()
        if exc.errno in (errno.EMFILE, errno.ENFILE):
            raise LoadTestError(
                f"out of file descriptors after {len(socks)} sockets: raise `ulimit -n`, "
                "or use fewer clients or more workers"
            ) from None
        raise LoadTestError(f"cannot reach {sockaddr[0]} port {sockaddr[1]}: {exc.strerror}") from None
    return socks


def socket_drops(socks: list[socket.socket]) -> int:
    """Return how many datagrams the kernel dropped on these sockets (full receive buffer), if known."""
    ports = set()
    for sock in socks:
        with contextlib.suppress(OSError):
            ports.add(sock.getsockname()[1])
    drops = 0
    for name in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(name) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) >= 13 and int(cols[1].rsplit(":", 1)[1], 16) in ports:
                drops += int(cols[-1])
    return drops


def join_players(spec: WorkerSpec, socks: list[socket.socket], result: WorkerResult) -> None:
    """Send ``JOIN <id>`` from every client and wait (bounded) for the answers, retrying twice.

    A ``RETRY <cookie>`` answer (the server's proof of address) is met at once with the JOIN and
    the cookie; the session secret of ``ACK: JOIN <id> <secret>`` is kept for the LEAVE.
    """
    pending = {i: f"{spec.player_prefix}-{c}".encode() for i, c in enumerate(spec.clients)}
    cookies: dict[int, bytes] = {}
    by_fd = {s.fileno(): i for i, s in enumerate(socks)}
    with select.epoll() as ep:
        for s in socks:
            ep.register(s.fileno(), select.EPOLLIN)
        for _attempt in range(3):
            for i, pid in pending.items():
                with contextlib.suppress(OSError):
                    socks[i].send(JOIN_WORD + b" " + pid + (b" " + cookies[i] if i in cookies else b""))
            deadline = time.monotonic() + spec.reply_timeout_ns / 1e9 / 3
            while pending and (left := deadline - time.monotonic()) > 0:
                for fd, _ in ep.poll(left):
                    i = by_fd[fd]
                    try:
                        data = socks[i].recv(REPLY_BUFFER)
                    except BlockingIOError:
                        continue
                    except OSError as exc:
                        result.join_errors.append(f"JOIN: {exc.strerror}")
                        pending.pop(i, None)
                        continue
                    if i not in pending:
                        continue
                    if data.startswith(b"RETRY ") and len(data.split()) == 2:
                        cookies[i] = data.split()[1]
                        with contextlib.suppress(OSError):
                            socks[i].send(JOIN_WORD + b" " + pending[i] + b" " + cookies[i])
                        continue
                    if data.startswith(spec.join_reply):
                        result.joined += 1
                        if len(words := data.split()) == 4:
                            result.session_secrets[i] = words[3]
                    else:
                        result.join_refused += 1
                        text = data.decode("utf-8", "replace").strip()
                        if text not in result.join_errors:
                            result.join_errors.append(text)
                    del pending[i]
            if not pending:
                break
    result.join_unanswered = len(pending)


def leave_players(
    spec: WorkerSpec, socks: list[socket.socket], result: WorkerResult, secrets: dict[int, bytes] | None = None
) -> None:
    """Send ``LEAVE [<session secret>]`` from every client; count the acknowledgements that come back soon."""
    secrets = secrets or {}
    for i, s in enumerate(socks):
        with contextlib.suppress(OSError):
            s.send(LEAVE_WORD + (b" " + secrets[i] if i in secrets else b""))
    waiting = {s.fileno(): s for s in socks}
    deadline = time.monotonic() + min(spec.reply_timeout_ns / 1e9, 0.5)
    with select.epoll() as ep:
        for fd in waiting:
            ep.register(fd, select.EPOLLIN)
        while waiting and (left := deadline - time.monotonic()) > 0:
            for fd, _ in ep.poll(left):
                sock = waiting.get(fd)
                if sock is None:
                    continue
                while True:
                    try:
                        data = sock.recv(REPLY_BUFFER)
                    except OSError:
                        break
                    if data.startswith(ACK_PREFIX + LEAVE_WORD):
                        result.left += 1
                        del waiting[fd]
                        ep.unregister(fd)
                        break


class _Schedule:
    """The state of one worker's run, split by phase: sending what is due, and reading replies.

    The hot paths (:meth:`send_due`, :meth:`read`) copy what they use into locals once per call (the
    fixed parts from one tuple each) and store the counters back at the end: one call handles a whole
    burst or a whole batch of ready sockets, so attribute access costs once per batch, not once per
    datagram. Slots keep those accesses cheap for the common case of a one-datagram turn.
    """

    __slots__ = (
        "answered", "client_sent", "dup", "end", "errors", "hist_size", "k", "lag_total", "last_send",
        "lat_max", "lat_min", "lat_total", "late_replies", "late_sends", "local_of", "max_lag", "max_seq", "n",
        "off", "pad", "raw", "read_fixed", "received", "recvs", "refused_stop", "reord", "seen", "send_fixed",
        "sends", "sent", "spec", "step", "stop", "t0", "target_counts", "target_of", "unexpected", "warm_errors",
        "warm_sent", "win_buckets", "win_count", "win_max", "win_sent", "win_total",
    )  # fmt: skip

    def __init__(self, spec: WorkerSpec, socks: list[socket.socket], t0: int) -> None:
        n = len(spec.clients)
        self.spec = spec
        self.t0 = t0
        self.n = n
        self.step = 1e9 / spec.rate  # ns between two datagrams of the whole run
        self.end = spec.warmup_ns + spec.duration_ns  # nothing is scheduled at or after this offset
        self.stop = self.end + spec.reply_timeout_ns
        self.sends = [s.send for s in socks]
        self.recvs = {s.fileno(): s.recv for s in socks}
        self.local_of = {c: j for j, c in enumerate(spec.clients)}
        # Padding brings every datagram to the requested size; the header alone is sent when longer.
        self.pad = b"x" * spec.payload_size
        # The whole schedule of this worker: the k-th send is client clients[k % n], sequence k // n.
        per_client = int(self.end / (self.step * spec.total_clients)) + 2
        self.seen = bytearray(per_client * n)
        self.max_seq = [-1] * n
        # Failed measured sends, negative; the sends that were attempted are added up in result().
        self.client_sent = [0] * n
        self.target_of = [spec.target_of(c) for c in spec.clients]
        windows = -(-spec.duration_ns // WINDOW_NS)  # the last one may be partial
        self.win_sent = [0] * windows
        self.win_count = [0] * windows
        self.win_total = [0] * windows
        self.win_max = [0] * windows
        self.win_buckets: list[dict[int, int]] = [{} for _ in range(windows)]
        self.hist_size = Histogram(PRECISION).index(spec.reply_timeout_ns) + 1
        self.target_counts = [[0] * self.hist_size for _ in spec.targets]
        self.raw: list[int] | None = [] if spec.keep_raw else None
        self.k = 0
        self.off = int(spec.clients[0] * self.step) if n else self.end  # offset of the k-th send
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
        self.send_fixed = (
            time.monotonic_ns, t0, self.step, spec.clients, spec.total_clients, self.sends, self.pad,
            spec.warmup_ns, n, self.end,
        )  # fmt: skip
        self.read_fixed = (
            time.monotonic_ns, t0, self.recvs, self.seen, self.max_seq, self.local_of, n, self.target_of,
            self.target_counts, self.raw, self.win_count, self.win_total, self.win_max, self.win_buckets,
            spec.warmup_ns, spec.reply_timeout_ns,
        )  # fmt: skip

    def progress(self, now: int) -> Progress:
        """The running counts at offset ``now``."""
        refused = self.errors.get("ECONNREFUSED", 0) + self.warm_errors.get("ECONNREFUSED", 0)
        return Progress(self.sent, self.received, self.late_sends, self.max_lag, self.answered, refused, now)

    def _error(self, exc: OSError, now: int) -> None:
        into = self.errors if now >= self.spec.warmup_ns else self.warm_errors
        key = _error_name(exc)
        into[key] = into.get(key, 0) + 1

    def send_due(self, now: int) -> int:
        """Send what is due at offset ``now`` (at most MAX_BURST datagrams); return the offset after."""
        off = self.off
        if off > now:
            return now
        mono, t0, step, clients, total_clients, sends, pad, warmup, n, end = self.send_fixed
        if off >= end:
            return now
        k = self.k
        sent = warm_sent = late_sends = lag_total = 0
        max_lag = self.max_lag
        burst = 0
        while off <= now and off < end and burst < MAX_BURST:
            j = k % n
            head = b"lt %d %d %d " % (clients[j], k // n, off)
            try:
                sends[j](head + pad[len(head) :])
            except OSError as exc:
                self._error(exc, now)
                if off >= warmup:  # the counts per client and per window are derived from the schedule
                    self.client_sent[j] -= 1
                    self.win_sent[(off - warmup) // WINDOW_NS] -= 1
            else:
                if off >= warmup:
                    sent += 1
                else:
                    warm_sent += 1
            lag = now - off
            if lag > LATE_SEND_NS:
                late_sends += 1
            lag_total += lag
            if lag > max_lag:
                max_lag = lag
            k += 1
            burst += 1
            off = int(((k // n) * total_clients + clients[k % n]) * step)
            now = mono() - t0
        self.off, self.k, self.last_send = off, k, now
        self.sent += sent
        self.warm_sent += warm_sent
        self.late_sends += late_sends
        self.lag_total += lag_total
        self.max_lag = max_lag
        return now

    def read(self, events: list[tuple[int, int]]) -> None:
        """Read the sockets epoll reported and match every reply to its datagram.

        With many ready at once, one datagram each (epoll reports the rest again), which saves the
        empty read that ends a drain; with one or two, drain them.
        """
        reads = 1 if len(events) > 2 else 1024
        (
            mono, t0, recvs, seen, max_seq, local_of, n, target_of, target_counts, raw, win_count, win_total,
            win_max, win_buckets, warmup, timeout,
        ) = self.read_fixed  # fmt: skip
        sub = 1 << PRECISION
        sub2 = 2 * sub
        p1 = PRECISION + 1
        received = answered = late_replies = dup = reord = unexpected = lat_total = 0
        lat_min, lat_max = self.lat_min, self.lat_max
        for fd, _ in events:
            recv = recvs[fd]
            for _ in range(reads):
                try:
                    data = recv(REPLY_BUFFER)
                except BlockingIOError:
                    break
                except OSError as exc:
                    self._error(exc, mono() - t0)
                    break
                rnow = mono() - t0
                if data[:8] != ECHO_PREFIX:
                    unexpected += 1
                    continue
                parts = data.split(b" ", 5)
                try:
                    seq = int(parts[3])
                    sched = int(parts[4])
                    j = local_of[int(parts[2])]
                    idx = seq * n + j
                    if idx < 0:
                        raise IndexError(idx)
                    warm = sched < warmup
                    if seen[idx]:
                        if not warm:
                            dup += 1
                        continue
                except (ValueError, IndexError, KeyError):
                    unexpected += 1
                    continue
                seen[idx] = 1
                answered += 1
                if seq < max_seq[j]:
                    if not warm:
                        reord += 1
                else:
                    max_seq[j] = seq
                if warm:
                    continue
                lat = rnow - sched
                if lat > timeout:
                    late_replies += 1
                    continue
                received += 1
                if lat < 0:
                    lat = 0
                if lat < sub2:
                    b = lat
                else:
                    sh = lat.bit_length() - p1
                    b = (sh + 1) * sub + (lat >> sh) - sub
                target_counts[target_of[j]][b] += 1
                lat_total += lat
                if lat > lat_max:
                    lat_max = lat
                if lat < lat_min:
                    lat_min = lat
                w = (sched - warmup) // WINDOW_NS
                win_count[w] += 1
                win_total[w] += lat
                if lat > win_max[w]:
                    win_max[w] = lat
                wb = win_buckets[w]
                wb[b] = wb.get(b, 0) + 1
                if raw is not None:
                    raw.append(lat)
        self.received += received
        self.answered += answered
        self.late_replies += late_replies
        self.dup += dup
        self.reord += reord
        self.unexpected += unexpected
        self.lat_total += lat_total
        self.lat_min, self.lat_max = lat_min, lat_max

    def _offset(self, k: int) -> int:
        """The scheduled offset of this worker's k-th send: the very expression of :meth:`send_due`."""
        n, clients = self.n, self.spec.clients
        return int(((k // n) * self.spec.total_clients + clients[k % n]) * self.step)

    def _first_at(self, offset: int) -> int:
        """The first k whose send is scheduled at or after ``offset`` (the offsets grow with k)."""
        lo, hi = 0, len(self.seen) + self.n
        while lo < hi:
            mid = (lo + hi) // 2
            if self._offset(mid) >= offset:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _add_attempted_sends(self) -> None:
        """Add the measured sends attempted per client and per window, found from the schedule.

        Counting them in the send loop would cost two list updates per datagram; the schedule says
        exactly which k were due in the measured window, and send_due attempted every k below self.k.
        """
        n, done, warmup = self.n, self.k, self.spec.warmup_ns
        first = min(self._first_at(warmup), done)
        for j in range(n):
            # How many k in [first, done) have k % n == j.
            self.client_sent[j] += max(0, (done - j + n - 1) // n) - max(0, (first - j + n - 1) // n)
        start = first
        for w in range(len(self.win_sent)):
            stop = min(self._first_at(warmup + (w + 1) * WINDOW_NS), done)
            self.win_sent[w] += max(0, stop - start)
            start = max(start, stop)

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


def run_worker(
    spec: WorkerSpec,
    socks: list[socket.socket],
    t0: int,
    progress: ProgressHook | None = None,
) -> WorkerResult:
    """Run the schedule of ``spec`` from ``t0`` (a ``time.monotonic_ns()`` value) and count the replies.

    ``progress`` gets the running counts every half second; when it answers True the run stops there.
    """
    if not spec.clients:
        return WorkerResult()
    run = _Schedule(spec, socks, t0)
    mono = time.monotonic_ns
    end, stop = run.end, run.stop
    send_due, read = run.send_due, run.read
    next_progress = PROGRESS_NS
    with select.epoll(sizehint=len(socks)) as ep:
        for s in socks:
            ep.register(s.fileno(), select.EPOLLIN)
        poll, wait, eplist = ep.poll, select.select, [ep]
        while True:
            now = mono() - t0
            off = run.off
            if off >= end and now >= stop:
                break
            # Sends are bounded per turn, so that replies keep being read when the tool is behind, and
            # at most MAX_EVENTS sockets are read per turn, so that sends are not held up.
            if off <= now:
                now = send_due(now)
            events = poll(0, MAX_EVENTS)
            if events:
                read(events)
            if now >= next_progress and progress is not None:
                next_progress = now + PROGRESS_NS
                if progress(run.progress(now)):
                    run.refused_stop = True
                    break
            if not events:
                off = run.off
                delay = (off if off < end else stop) - now
                if delay > 0:
                    wait(eplist, (), (), delay / 1e9)
    result = run.result()
    result.refused_stop = run.refused_stop
    if progress is not None:
        progress(run.progress(mono() - t0))
    return result


def play(
    spec: WorkerSpec,
    socks: list[socket.socket],
    t0: int,
    joins: WorkerResult,
    progress: ProgressHook | None = None,
) -> WorkerResult:
    """Run the schedule, then send LEAVE from every client (joined or not) and count the kernel's drops."""
    try:
        result = run_worker(spec, socks, t0, progress)
    finally:
        # Also after a failure, and from clients whose JOIN failed: the server must not keep ghosts.
        if spec.join:
            left = WorkerResult()
            leave_players(spec, socks, left, joins.session_secrets)
    result.joined, result.join_refused = joins.joined, joins.join_refused
    result.join_unanswered, result.join_errors = joins.join_unanswered, list(joins.join_errors)
    if spec.join:
        result.left = left.left
    result.socket_drops = socket_drops(socks)
    return result


def worker_process(spec: WorkerSpec, conn: object) -> None:
    """The body of a worker process: open, join, report ready, wait for the start time, run, report."""
    import signal
    from multiprocessing.connection import Connection

    assert isinstance(conn, Connection)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    try:
        socks = open_sockets(spec)
    except LoadTestError as exc:
        conn.send(("error", str(exc)))
        return
    try:
        joins = WorkerResult()
        if spec.join:
            join_players(spec, socks, joins)
        conn.send(("ready", None))
        # The start may be far off (--start-at): wait for it, or for the parent to go away.
        msg, t0 = conn.recv()
        if msg != "start":
            return

        def report(p: Progress) -> bool:
            conn.send(("progress", p))
            # The parent sees every worker's counts and may tell all of them to stop.
            return conn.poll() and conn.recv()[0] == "stop"

        conn.send(("done", play(spec, socks, t0, joins, report)))
    except EOFError:
        return
    finally:
        for s in socks:
            s.close()
