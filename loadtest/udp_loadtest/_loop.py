"""The hot loop of one worker: a plain epoll loop that drives many client sockets on a fixed schedule.

The strategy, and why it is not asyncio: the tool must be faster than the server it measures, so the
hot loop pays as little Python as it can per datagram. Every client owns a connected, non-blocking UDP
socket (its own source port, like a player). The schedule is open loop: client ``c`` sends sequence
number ``s`` at ``t0 + (s * clients + c) / rate`` whatever happened to earlier datagrams, so the
clients of all workers interleave evenly and the k-th send of a worker is found by arithmetic, not by
a timer per client. Each turn of the loop sends everything that is due (a bounded burst, so replies
are still read when the tool falls behind), then reads every socket that epoll reports until it is
empty. Between turns it sleeps in ``select()`` on the epoll descriptor, whose timeout has microsecond
resolution, where ``epoll.poll()`` would round up to a whole millisecond. The two phases are the
methods ``send_due`` and ``read`` of ``_Run``, which hold the run's state; ``run_worker`` is the
loop around them; when each send is due is :class:`~udp_loadtest._schedule.Schedule`'s arithmetic.
With several targets, client ``c`` talks to target ``c % targets``.

Latency is measured from the scheduled send time carried in the payload, not from the moment the
datagram actually left, so a tool that falls behind shows the delay in the latencies (no coordinated
omission) and also reports how far behind it was and how many datagrams left more than 1 ms late.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable

from sample_server.protocol import ACK_PREFIX
from udp_loadtest._config import WorkerSpec
from udp_loadtest._counts import Progress, WorkerResult
from udp_loadtest._schedule import WINDOW_NS
from udp_loadtest._sockets import REPLY_BUFFER
from udp_loadtest._state import RunState

__all__ = ["ProgressHook", "run_worker"]

#: What the echo of a load datagram starts with (the load datagrams start with ``lt``, not a command word).
ECHO_PREFIX = ACK_PREFIX + b"lt "
#: A datagram that leaves more than this after its scheduled time counts as sent late.
LATE_SEND_NS = 1_000_000
#: The most datagrams sent in one turn before replies are read again.
MAX_BURST = 128
#: The most sockets read in one turn before sends are due again.
MAX_EVENTS = 64
#: How often the progress callback is called.
PROGRESS_NS = 500_000_000

#: Called with the running counts every PROGRESS_NS; answering True stops the run (all refused).
ProgressHook = Callable[[Progress], bool | None]


class _Run(RunState):
    """A run's two phases over :class:`RunState`: sending what is due, and reading the replies."""

    __slots__ = ()

    def send_due(self, now: int) -> int:
        """Send what is due at offset ``now`` (at most MAX_BURST datagrams); return the offset after."""
        off = self.off
        if off > now:
            return now
        mono, t0, offset, clients, sends, tails, warmup, n, end = self.send_fixed
        if off >= end:
            return now
        k = self.k
        sent = warm_sent = late_sends = lag_total = 0
        max_lag = self.max_lag
        last = k + MAX_BURST
        while off <= now and off < end and k < last:
            j = k % n
            head = b"lt %d %d %d " % (clients[j], k // n, off)
            try:
                sends[j](head + tails[j][len(head)])
            except OSError as exc:
                self.count_error(exc, now)
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
            off = offset(k)
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
            win_max, win_buckets, warmup, timeout, bucket_of,
        ) = self.read_fixed  # fmt: skip
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
                    self.count_error(exc, mono() - t0)
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
                b = bucket_of(lat)
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


def run_worker(
    spec: WorkerSpec,
    socks: list[socket.socket],
    t0: int,
    progress: ProgressHook | None = None,
    secrets: dict[int, bytes] | None = None,
) -> WorkerResult:
    """Run the schedule of ``spec`` from ``t0`` (a ``time.monotonic_ns()`` value) and count the replies.

    ``progress`` gets the running counts every half second; when it answers True the run stops there.
    ``secrets`` are the session secrets of the clients that joined, by client index: their datagrams
    carry them.
    """
    if not spec.clients:
        return WorkerResult()
    run = _Run(spec, socks, t0, secrets)
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
