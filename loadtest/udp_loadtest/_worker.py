"""One worker: a plain epoll loop that drives many client sockets on a fixed schedule.

The strategy, and why it is not asyncio: the tool must be faster than the server it measures, so the
hot loop pays as little Python as it can per datagram. Every client owns a connected, non-blocking UDP
socket (its own source port, like a player). The schedule is open loop: client ``c`` sends sequence
number ``s`` at ``t0 + (s * clients + c) / rate`` whatever happened to earlier datagrams, so the
clients of all workers interleave evenly and the k-th send of a worker is found by arithmetic, not by
a timer per client. Each turn of the loop sends everything that is due (a bounded burst, so replies
are still read when the tool falls behind), then reads every socket that epoll reports until it is
empty. Between turns it sleeps in ``select()`` on the epoll descriptor, whose timeout has microsecond
resolution, where ``epoll.poll()`` would round up to a whole millisecond.

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
from collections.abc import Callable
from dataclasses import dataclass, field

from sample_server.protocol import ACK_PREFIX, JOIN_WORD, LEAVE_WORD, MAX_DATAGRAM
from udp_loadtest._histogram import Histogram

__all__ = ["LoadTestError", "Progress", "WorkerResult", "WorkerSpec", "open_sockets", "run_worker"]

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
PRECISION = 8


class LoadTestError(Exception):
    """A problem the user can fix (bad address, too many sockets ...); its text is the message."""


@dataclass(frozen=True)
class WorkerSpec:
    """What one worker does; picklable, so it crosses into a worker process."""

    sockaddr: tuple[object, ...]
    family: int
    clients: tuple[int, ...]  # global client ids, increasing
    total_clients: int
    rate: float  # datagrams per second over all clients of all workers
    warmup_ns: int
    duration_ns: int
    payload_size: int
    reply_timeout_ns: int
    join: bool = False
    player_prefix: str = "lt"


@dataclass
class Progress:
    """A running count, reported every half second while a worker runs."""

    sent: int = 0
    received: int = 0
    late_sends: int = 0
    max_lag_ns: int = 0


@dataclass
class WorkerResult:
    """Everything one worker counted; results of several workers add up with :meth:`merge`."""

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
    joined: int = 0
    join_refused: int = 0
    join_unanswered: int = 0
    join_errors: list[str] = field(default_factory=list)
    left: int = 0
    socket_drops: int = 0
    latency: Histogram = field(default_factory=lambda: Histogram(PRECISION))
    window_count: list[int] = field(default_factory=list)
    window_total_ns: list[int] = field(default_factory=list)
    window_max_ns: list[int] = field(default_factory=list)

    def merge(self, other: WorkerResult) -> None:
        """Add ``other``'s counts to this result (exact)."""
        for name in (
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
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.max_lag_ns = max(self.max_lag_ns, other.max_lag_ns)
        self.last_send_ns = max(self.last_send_ns, other.last_send_ns)
        for key, n in other.errors.items():
            self.errors[key] = self.errors.get(key, 0) + n
        self.join_errors.extend(e for e in other.join_errors if e not in self.join_errors)
        self.latency.merge(other.latency)
        width = max(len(self.window_count), len(other.window_count))
        for name in ("window_count", "window_total_ns"):
            mine, theirs = getattr(self, name), getattr(other, name)
            mine.extend([0] * (width - len(mine)))
            for i, v in enumerate(theirs):
                mine[i] += v
        self.window_max_ns.extend([0] * (width - len(self.window_max_ns)))
        for i, v in enumerate(other.window_max_ns):
            if v > self.window_max_ns[i]:
                self.window_max_ns[i] = v


def _error_name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, type(exc).__name__)


def open_sockets(spec: WorkerSpec) -> list[socket.socket]:
    """Open and connect one non-blocking UDP socket per client of ``spec``.

    Raises:
        LoadTestError: the address cannot be reached or the process is out of descriptors.
    """
    socks: list[socket.socket] = []
    rcvbuf = 4 << 20 if len(spec.clients) <= 16 else 256 << 10
    try:
        for _ in spec.clients:
            sock = socket.socket(spec.family, socket.SOCK_DGRAM)
            socks.append(sock)
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.connect(spec.sockaddr)
    except OSError as exc:
        for sock in socks:
            sock.close()
        if exc.errno in (errno.EMFILE, errno.ENFILE):
            raise LoadTestError(
                f"out of file descriptors after {len(socks)} sockets: raise `ulimit -n`, "
                "or use fewer clients or more workers"
            ) from None
        raise LoadTestError(f"cannot reach {spec.sockaddr[0]} port {spec.sockaddr[1]}: {exc.strerror}") from None
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
    """Send ``JOIN <id>`` from every client and wait (bounded) for the answers, retrying twice."""
    pending = {i: f"{spec.player_prefix}-{c}".encode() for i, c in enumerate(spec.clients)}
    by_fd = {s.fileno(): i for i, s in enumerate(socks)}
    with select.epoll() as ep:
        for s in socks:
            ep.register(s.fileno(), select.EPOLLIN)
        for _attempt in range(3):
            for i, pid in pending.items():
                with contextlib.suppress(OSError):
                    socks[i].send(JOIN_WORD + b" " + pid)
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
                    if data.startswith(b"ACK: JOIN"):
                        result.joined += 1
                    else:
                        result.join_refused += 1
                        text = data.decode("utf-8", "replace").strip()
                        if text not in result.join_errors:
                            result.join_errors.append(text)
                    del pending[i]
            if not pending:
                break
    result.join_unanswered = len(pending)


def leave_players(spec: WorkerSpec, socks: list[socket.socket], result: WorkerResult) -> None:
    """Send ``LEAVE`` from every client; count the acknowledgements that come back within a moment."""
    for s in socks:
        with contextlib.suppress(OSError):
            s.send(LEAVE_WORD)
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


def run_worker(
    spec: WorkerSpec,
    socks: list[socket.socket],
    t0: int,
    progress: Callable[[Progress], None] | None = None,
) -> WorkerResult:
    """Run the schedule of ``spec`` from ``t0`` (a ``time.monotonic_ns()`` value) and count the replies."""
    result = WorkerResult()
    n = len(spec.clients)
    if n == 0:
        return result
    clients = spec.clients
    total_clients = spec.total_clients
    step = 1e9 / spec.rate  # ns between two datagrams of the whole run
    warmup = spec.warmup_ns
    end = warmup + spec.duration_ns  # nothing is scheduled at or after this offset
    timeout = spec.reply_timeout_ns
    mono = time.monotonic_ns
    sends = [s.send for s in socks]
    recvs = {s.fileno(): s.recv for s in socks}
    local_of = {c: j for j, c in enumerate(clients)}
    # Padding brings every datagram to the requested size; the header alone is sent when longer.
    pad = b"x" * spec.payload_size

    # The whole schedule of this worker: the k-th send is client clients[k % n], sequence k // n.
    per_client = int(end / (step * total_clients)) + 2
    seen = bytearray(per_client * n)
    max_seq = [-1] * n
    windows = end // WINDOW_NS + 1
    win_count = [0] * windows
    win_total = [0] * windows
    win_max = [0] * windows

    hist = Histogram(PRECISION)
    sub = 1 << PRECISION
    sub2 = 2 * sub
    p1 = PRECISION + 1
    counts: list[int] = [0] * (hist.index(timeout) + 1)
    lat_total = 0
    lat_min = timeout + 1
    lat_max = 0

    sent = warm_sent = received = late_replies = dup = reord = unexpected = 0
    late_sends = lag_total = max_lag = 0
    errors: dict[str, int] = {}

    k = 0
    off = int(clients[0] * step)  # offset of the k-th send
    last_send = 0
    next_progress = PROGRESS_NS
    epfd = select.epoll(sizehint=n)
    try:
        for s in socks:
            epfd.register(s.fileno(), select.EPOLLIN)
        poll = epfd.poll
        wait = select.select
        eplist = [epfd]
        stop = end + timeout
        while True:
            now = mono() - t0
            if off >= end and now >= stop:
                break
            # 1. Send what is due (bounded, so that replies keep being read when behind).
            burst = 0
            while off <= now and off < end and burst < MAX_BURST:
                j = k % n
                seq = k // n
                c = clients[j]
                head = b"lt %d %d %d " % (c, seq, off)
                try:
                    sends[j](head + pad[len(head) :])
                except OSError as exc:
                    key = _error_name(exc)
                    errors[key] = errors.get(key, 0) + 1
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
            if burst:
                last_send = now
            # 2. Read the sockets that have something. With many ready at once, one datagram each (epoll
            # reports the rest again), which saves the empty read that ends a drain; with one or two,
            # drain them. At most MAX_EVENTS sockets per turn, so that sends are not held up.
            events = poll(0, MAX_EVENTS)
            if not events:
                if now >= next_progress and progress is not None:
                    next_progress = now + PROGRESS_NS
                    progress(Progress(sent, received, late_sends, max_lag))
                delay = (off if off < end else stop) - now
                if delay > 0:
                    wait(eplist, (), (), delay / 1e9)
                continue
            reads = 1 if len(events) > 2 else 1024
            for fd, _ in events:
                recv = recvs[fd]
                for _ in range(reads):
                    try:
                        data = recv(REPLY_BUFFER)
                    except BlockingIOError:
                        break
                    except OSError as exc:
                        key = _error_name(exc)
                        errors[key] = errors.get(key, 0) + 1
                        break
                    rnow = mono() - t0
                    if data[:8] != ECHO_PREFIX:
                        unexpected += 1
                        continue
                    parts = data.split(b" ", 5)
                    try:
                        c = int(parts[2])
                        seq = int(parts[3])
                        sched = int(parts[4])
                        j = local_of[c]
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
                        counts[lat] += 1
                    else:
                        sh = lat.bit_length() - p1
                        counts[(sh + 1) * sub + (lat >> sh) - sub] += 1
                    lat_total += lat
                    if lat > lat_max:
                        lat_max = lat
                    if lat < lat_min:
                        lat_min = lat
                    w = sched // WINDOW_NS
                    win_count[w] += 1
                    win_total[w] += lat
                    if lat > win_max[w]:
                        win_max[w] = lat
            if now >= next_progress and progress is not None:
                next_progress = now + PROGRESS_NS
                progress(Progress(sent, received, late_sends, max_lag))
    finally:
        epfd.close()

    hist_data = {
        "precision": PRECISION,
        "count": received,
        "total": lat_total,
        "min": lat_min if received else 0,
        "max": lat_max,
        "buckets": [[i, v] for i, v in enumerate(counts) if v],
    }
    result.latency = Histogram.from_dict(hist_data)
    result.sent = sent
    result.warmup_sent = warm_sent
    result.received = received
    result.late_replies = late_replies
    result.duplicated = dup
    result.reordered = reord
    result.unexpected = unexpected
    result.late_sends = late_sends
    result.lag_total_ns = lag_total
    result.max_lag_ns = max_lag
    result.last_send_ns = last_send
    result.errors = errors
    result.window_count = win_count
    result.window_total_ns = win_total
    result.window_max_ns = win_max
    if progress is not None:
        progress(Progress(sent, received, late_sends, max_lag))
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
        result = WorkerResult()
        if spec.join:
            join_players(spec, socks, result)
        conn.send(("ready", None))
        if not conn.poll(30):
            return
        msg, t0 = conn.recv()
        if msg != "start":
            return

        def report(p: Progress) -> None:
            conn.send(("progress", p))

        run = run_worker(spec, socks, t0, report)
        run.joined, run.join_refused, run.join_unanswered = (
            result.joined,
            result.join_refused,
            result.join_unanswered,
        )
        run.join_errors = result.join_errors
        if spec.join:
            leave_players(spec, socks, run)
        run.socket_drops = socket_drops(socks)
        conn.send(("done", run))
    finally:
        for s in socks:
            s.close()
