"""Configuration, worker processes and the merged result of a load test."""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from udp_loadtest._worker import (
    LoadTestError,
    Progress,
    WorkerResult,
    WorkerSpec,
    join_players,
    leave_players,
    open_sockets,
    run_worker,
    socket_drops,
    worker_process,
)

__all__ = ["LoadTestConfig", "LoadTestResult", "resolve", "run"]

#: The percentiles reported, as (label, per cent).
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9))


def default_workers() -> int:
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class LoadTestConfig:
    """One load test: where, how many clients, how fast and for how long.

    ``rate`` is the total over all clients; each client sends ``rate / clients`` datagrams per second.
    """

    host: str
    port: int
    clients: int = 10
    rate: float = 600.0
    duration: float = 10.0
    warmup: float = 1.0
    payload_size: int = 64
    workers: int = 1
    reply_timeout: float = 1.0
    join: bool = False

    def check(self) -> None:
        """Raise :class:`LoadTestError` naming the first setting that cannot work."""
        if not 0 < self.port < 65536:
            raise LoadTestError(f"port must be between 1 and 65535, not {self.port}")
        if self.clients < 1:
            raise LoadTestError("--clients must be at least 1")
        if not self.rate > 0:
            raise LoadTestError("the rate must be more than 0 datagrams per second")
        if self.rate / self.clients > 1_000_000:
            raise LoadTestError("more than a million datagrams per second per client: use more clients")
        if not self.duration > 0:
            raise LoadTestError("--duration must be more than 0 seconds")
        if self.warmup < 0:
            raise LoadTestError("--warmup cannot be negative")
        if not 1 <= self.payload_size <= 65000:
            raise LoadTestError("--payload-size must be between 1 and 65000 bytes")
        if self.workers < 1:
            raise LoadTestError("--workers must be at least 1")
        if not self.reply_timeout > 0:
            raise LoadTestError("--reply-timeout must be more than 0 seconds")
        if self.rate * (self.duration + self.warmup) > 2_000_000_000:
            raise LoadTestError("that schedule is too long: lower the rate or the duration")


def resolve(host: str, port: int) -> tuple[int, tuple[Any, ...]]:
    """Return the address family and socket address of ``host`` (a literal, ``[v6]`` or a name).

    Raises:
        LoadTestError: the name does not resolve.
    """
    name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise LoadTestError(f"cannot resolve {host!r}: {reason}") from None
    family, _, _, _, sockaddr = infos[0]
    return int(family), tuple(sockaddr)


@dataclass
class LoadTestResult:
    """The merged result of every worker, with the figures derived from it."""

    config: LoadTestConfig
    address: str
    workers: int
    counts: WorkerResult
    elapsed: float
    started_at: float = field(default_factory=time.time)

    @property
    def sent(self) -> int:
        """Datagrams sent in the measured window (warm-up excluded)."""
        return self.counts.sent

    @property
    def received(self) -> int:
        """Distinct replies to measured datagrams that came back within the reply timeout."""
        return self.counts.received

    @property
    def lost(self) -> int:
        """Measured datagrams without a timely reply (late replies count as lost)."""
        return max(0, self.counts.sent - self.counts.received)

    @property
    def loss_pct(self) -> float:
        """``lost`` as a percentage of ``sent``."""
        return 100.0 * self.lost / self.sent if self.sent else 0.0

    @property
    def send_span(self) -> float:
        """Seconds over which the measured datagrams actually left (at least the configured duration)."""
        actual = (self.counts.last_send_ns - self.config.warmup * 1e9) / 1e9
        return max(self.config.duration, actual)

    @property
    def send_rate(self) -> float:
        """Datagrams per second actually sent in the measured window."""
        return self.sent / self.send_span

    @property
    def reply_rate(self) -> float:
        """Timely replies per second in the measured window."""
        return self.received / self.send_span

    @property
    def errors(self) -> int:
        """Socket errors plus replies that were not answers to our datagrams."""
        return sum(self.counts.errors.values()) + self.counts.unexpected

    def latency_ms(self) -> dict[str, float]:
        """Round-trip percentiles, max, min and mean in milliseconds."""
        hist = self.counts.latency
        out = {label: hist.percentile(pct) / 1e6 for label, pct in PERCENTILES}
        out["max"] = hist.max / 1e6
        out["min"] = hist.min / 1e6
        out["mean"] = hist.mean / 1e6
        return out

    def timeline(self) -> list[tuple[float, int, float, float]]:
        """Per 100 ms of scheduled send time: (seconds, replies, mean ms, max ms), warm-up excluded."""
        c = self.counts
        start = int(self.config.warmup * 10)
        stop = min(len(c.window_count), math.ceil((self.config.warmup + self.config.duration) * 10))
        rows = []
        for i in range(start, stop):
            n = c.window_count[i]
            mean = c.window_total_ns[i] / n / 1e6 if n else 0.0
            rows.append((i / 10 - self.config.warmup, n, mean, c.window_max_ns[i] / 1e6))
        return rows

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary, with the histogram so that runs can be merged later."""
        c = self.counts
        return {
            "started_at": self.started_at,
            "config": asdict(self.config),
            "address": self.address,
            "workers": self.workers,
            "elapsed_s": self.elapsed,
            "sent": self.sent,
            "received": self.received,
            "lost": self.lost,
            "loss_pct": self.loss_pct,
            "late_replies": c.late_replies,
            "duplicated": c.duplicated,
            "reordered": c.reordered,
            "unexpected_replies": c.unexpected,
            "errors": dict(c.errors),
            "client_socket_drops": c.socket_drops,
            "offered_rate": self.config.rate,
            "send_rate": self.send_rate,
            "reply_rate": self.reply_rate,
            "latency_ms": self.latency_ms(),
            "schedule": {
                "late_sends": c.late_sends,
                "late_threshold_ms": 1.0,
                "max_lag_ms": c.max_lag_ns / 1e6,
                "mean_lag_ms": c.lag_total_ns / max(1, c.sent + c.warmup_sent) / 1e6,
            },
            "join": {
                "joined": c.joined,
                "refused": c.join_refused,
                "unanswered": c.join_unanswered,
                "messages": c.join_errors,
                "left": c.left,
            },
            "histogram_ns": c.latency.to_dict(),
            "timeline": [{"t_s": t, "replies": n, "mean_ms": mean, "max_ms": mx} for t, n, mean, mx in self.timeline()],
        }


ProgressCallback = Callable[[float, Progress], None]


def _specs(config: LoadTestConfig, family: int, sockaddr: tuple[Any, ...]) -> list[WorkerSpec]:
    workers = min(config.workers, config.clients)
    prefix = f"lt{os.getpid()}"
    return [
        WorkerSpec(
            sockaddr=sockaddr,
            family=family,
            clients=tuple(range(w, config.clients, workers)),
            total_clients=config.clients,
            rate=config.rate,
            warmup_ns=int(config.warmup * 1e9),
            duration_ns=int(config.duration * 1e9),
            payload_size=config.payload_size,
            reply_timeout_ns=int(config.reply_timeout * 1e9),
            join=config.join,
            player_prefix=prefix,
        )
        for w in range(workers)
    ]


def _raise_nofile_limit(needed: int) -> None:
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < needed + 64:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, needed + 64), hard))


def run(config: LoadTestConfig, progress: ProgressCallback | None = None) -> LoadTestResult:
    """Run the load test described by ``config`` and return the merged result.

    With one worker everything runs in this process; with more, each worker is a process of its own
    (spawned), and their results are merged exactly.

    Raises:
        LoadTestError: bad settings, an address that does not resolve or cannot be reached, a worker
            that failed or did not finish in time.
    """
    config.check()
    family, sockaddr = resolve(config.host, config.port)
    host = sockaddr[0]
    address = f"[{host}]:{sockaddr[1]}" if family == socket.AF_INET6 else f"{host}:{sockaddr[1]}"
    specs = _specs(config, family, sockaddr)
    _raise_nofile_limit(max(len(s.clients) for s in specs))
    started = time.monotonic()
    if len(specs) == 1:
        counts = _run_here(specs[0], progress)
    else:
        counts = _run_processes(config, specs, progress)
    return LoadTestResult(config, address, len(specs), counts, time.monotonic() - started)


def _run_here(spec: WorkerSpec, progress: ProgressCallback | None) -> WorkerResult:
    socks = open_sockets(spec)
    try:
        joins = WorkerResult()
        if spec.join:
            join_players(spec, socks, joins)
        t0 = time.monotonic_ns() + 5_000_000

        def report(p: Progress) -> None:
            if progress is not None:
                progress((time.monotonic_ns() - t0) / 1e9, p)

        result = run_worker(spec, socks, t0, report)
        result.joined, result.join_refused = joins.joined, joins.join_refused
        result.join_unanswered, result.join_errors = joins.join_unanswered, joins.join_errors
        if spec.join:
            leave_players(spec, socks, result)
        result.socket_drops = socket_drops(socks)
        return result
    finally:
        for s in socks:
            s.close()


def _run_processes(config: LoadTestConfig, specs: list[WorkerSpec], progress: ProgressCallback | None) -> WorkerResult:
    ctx = multiprocessing.get_context("spawn")
    conns: list[Connection] = []
    procs = []
    try:
        for spec in specs:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_process, args=(spec, child), daemon=True)
            proc.start()
            child.close()
            conns.append(parent)
            procs.append(proc)

        ready: set[int] = set()
        deadline = time.monotonic() + 30 + (3 * config.reply_timeout if config.join else 0)
        while len(ready) < len(conns):
            _receive(conns, ready, deadline, "start", {}, None, 0)

        t0 = time.monotonic_ns() + 20_000_000
        for conn in conns:
            conn.send(("start", t0))

        latest: dict[int, Progress] = {}
        results: dict[int, WorkerResult] = {}
        deadline = time.monotonic() + 0.02 + config.warmup + config.duration + 2 * config.reply_timeout + 30
        while len(results) < len(conns):
            _receive(conns, set(results), deadline, "finish", latest, progress, t0, results)

        merged = WorkerResult()
        for i in range(len(conns)):
            merged.merge(results[i])
        return merged
    finally:
        for conn in conns:
            conn.close()
        for proc in procs:
            proc.join(timeout=2)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=2)


def _receive(
    conns: list[Connection],
    done: set[int],
    deadline: float,
    what: str,
    latest: dict[int, Progress],
    progress: ProgressCallback | None,
    t0: int,
    results: dict[int, WorkerResult] | None = None,
) -> None:
    """Handle the messages of the workers that are not done yet, until ``deadline``."""
    waiting = [c for i, c in enumerate(conns) if i not in done]
    left = deadline - time.monotonic()
    ready = wait(waiting, timeout=max(0.0, left))
    if not ready:
        raise LoadTestError(f"a worker did not {what} in time")
    for conn in ready:
        assert isinstance(conn, Connection)
        i = conns.index(conn)
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            raise LoadTestError("a worker process ended unexpectedly") from None
        if kind == "error":
            raise LoadTestError(str(payload))
        if kind == "ready":
            done.add(i)
        elif kind == "progress":
            latest[i] = payload
            if progress is not None:
                total = Progress()
                for p in latest.values():
                    total.sent += p.sent
                    total.received += p.received
                    total.late_sends += p.late_sends
                    total.max_lag_ns = max(total.max_lag_ns, p.max_lag_ns)
                progress((time.monotonic_ns() - t0) / 1e9, total)
        elif kind == "done" and results is not None:
            results[i] = payload
            done.add(i)
