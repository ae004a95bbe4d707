"""Configuration, worker processes, the result of a load test and the merging of results."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from multiprocessing.connection import Connection, wait
from typing import Any

from sample_server.protocol import ACK_PREFIX, JOIN_WORD
from udp_loadtest._histogram import Histogram
from udp_loadtest._worker import (
    PRECISION,
    WINDOW_NS,
    LoadTestError,
    Progress,
    WorkerResult,
    WorkerSpec,
    join_players,
    open_sockets,
    play,
    worker_process,
)

__all__ = ["LoadTestConfig", "LoadTestResult", "TargetRow", "merge_results", "parse_target", "resolve", "run"]

#: The percentiles reported, as (label, per cent).
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9))
#: The JSON result's format; ``merge`` reads only this one.
RESULT_FORMAT = "udp-loadtest-result/2"
#: The load datagram's format: results of clients that send something else cannot be merged.
PAYLOAD_FORMAT = "lt <client> <sequence> <scheduled ns>"


def default_workers() -> int:
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def parse_target(text: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` or ``[v6]:PORT`` into host and port.

    Raises:
        LoadTestError: no port, a port that is not a number in 1-65535, or a bare IPv6 address.
    """
    text = text.strip()
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
        if not sep or not host:
            raise LoadTestError(f"target {text!r}: write an IPv6 target as [ADDRESS]:PORT, e.g. [::1]:7777")
    else:
        host, sep, port = text.rpartition(":")
        if not sep or not host:
            raise LoadTestError(f"target {text!r}: write it as HOST:PORT, e.g. 127.0.0.1:7777")
        if ":" in host:
            raise LoadTestError(f"target {text!r}: write an IPv6 target as [ADDRESS]:PORT, e.g. [::1]:7777")
    try:
        number = int(port)
    except ValueError:
        raise LoadTestError(f"target {text!r}: {port!r} is not a port number") from None
    if not 0 < number < 65536:
        raise LoadTestError(f"target {text!r}: the port must be between 1 and 65535")
    return host, number


@dataclass(frozen=True)
class LoadTestConfig:
    """One load test: where, how many clients, how fast and for how long.

    ``rate`` is the total over all clients; each client sends ``rate / clients`` datagrams per second.
    ``targets`` lists ``(host, port)`` pairs; ``host`` and ``port`` are the shorthand for one target.
    ``start_at`` (Unix seconds) is when the warm-up starts, so that several runs start together.
    """

    host: str = ""
    port: int = 0
    clients: int = 10
    rate: float = 600.0
    duration: float = 10.0
    warmup: float = 1.0
    payload_size: int = 64
    workers: int = 1
    reply_timeout: float = 1.0
    join: bool = False
    targets: tuple[tuple[str, int], ...] = ()
    start_at: float | None = None
    join_reply: str = (ACK_PREFIX + JOIN_WORD).decode()
    keep_going: bool = False
    keep_raw: bool = False
    run_id: str = ""
    label: str = ""

    def all_targets(self) -> tuple[tuple[str, int], ...]:
        """Every target, ``(host, port)`` first when given."""
        return (((self.host, self.port),) if self.host or self.port else ()) + self.targets

    def check(self) -> None:
        """Raise :class:`LoadTestError` naming the first setting that cannot work."""
        targets = self.all_targets()
        if not targets:
            raise LoadTestError("no target: give HOST:PORT (one or more) or --targets FILE")
        for _, port in targets:
            if not 0 < port < 65536:
                raise LoadTestError(f"port must be between 1 and 65535, not {port}")
        if self.clients < 1:
            raise LoadTestError("--clients must be at least 1")
        if self.clients < len(targets):
            raise LoadTestError(f"{len(targets)} targets need at least as many --clients (one per target)")
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
        if not self.join_reply:
            raise LoadTestError("--join-reply cannot be empty")
        if self.start_at is not None and self.start_at > time.time() + 86400:
            raise LoadTestError("--start-at is more than a day away: is the date right?")


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


def _address(family: int, sockaddr: tuple[Any, ...]) -> str:
    return f"[{sockaddr[0]}]:{sockaddr[1]}" if family == socket.AF_INET6 else f"{sockaddr[0]}:{sockaddr[1]}"


@dataclass
class TargetRow:
    """The figures of one target."""

    address: str
    clients: int
    sent: int
    latency: Histogram

    @property
    def received(self) -> int:
        """Timely replies from this target."""
        return self.latency.count

    @property
    def lost(self) -> int:
        """Measured datagrams to this target without a timely reply."""
        return max(0, self.sent - self.received)

    @property
    def loss_pct(self) -> float:
        """``lost`` as a percentage of ``sent``."""
        return 100.0 * self.lost / self.sent if self.sent else 0.0


@dataclass
class LoadTestResult:
    """The counts of a run (or of merged runs), with the figures derived from them.

    ``started_at`` is the wall-clock time (Unix seconds) at which the schedule began (the warm-up);
    the measured window begins ``config.warmup`` later. ``parts`` is how many runs were merged.
    """

    config: LoadTestConfig
    address: str
    workers: int
    counts: WorkerResult
    elapsed: float
    started_at: float = field(default_factory=time.time)
    addresses: list[str] = field(default_factory=list)
    target_clients: list[int] = field(default_factory=list)
    parts: int = 1
    run_ids: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    payload_format: str = PAYLOAD_FORMAT
    interval_ns: int = WINDOW_NS

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
        """Socket errors (warm-up excluded) plus replies that were not answers to our datagrams."""
        return sum(self.counts.errors.values()) + self.counts.unexpected

    @property
    def behind_schedule(self) -> bool:
        """Whether more than 1 % of the datagrams left more than 1 ms late."""
        c = self.counts
        return c.late_sends * 100 > max(1, c.sent + c.warmup_sent)

    def latency_ms(self) -> dict[str, float]:
        """Round-trip percentiles, max, min and mean in milliseconds."""
        return _latency_ms(self.counts.latency)

    def target_rows(self) -> list[TargetRow]:
        """One row per target, in the order given."""
        c = self.counts
        return [
            TargetRow(
                address,
                self.target_clients[t] if t < len(self.target_clients) else 0,
                c.target_sent[t] if t < len(c.target_sent) else 0,
                c.target_latency[t] if t < len(c.target_latency) else Histogram(PRECISION),
            )
            for t, address in enumerate(self.addresses)
        ]

    def timeline(self) -> list[dict[str, float]]:
        """Per 100 ms of scheduled send time in the measured window: sent, replies, loss and latency."""
        c = self.counts
        rows = []
        for w in range(len(c.window_count)):
            hist = c.window_histogram(w)
            sent, n = c.window_sent[w] if w < len(c.window_sent) else 0, c.window_count[w]
            rows.append(
                {
                    "t_s": w * WINDOW_NS / 1e9,
                    "sent": sent,
                    "replies": n,
                    "loss_pct": 100.0 * max(0, sent - n) / sent if sent else 0.0,
                    "p50_ms": hist.percentile(50) / 1e6,
                    "p99_ms": hist.percentile(99) / 1e6,
                    "max_ms": c.window_max_ns[w] / 1e6,
                    "mean_ms": c.window_total_ns[w] / n / 1e6 if n else 0.0,
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready result: the figures, and every count so that ``merge`` can add runs up exactly."""
        c = self.counts
        config = asdict(self.config)
        config["targets"] = [list(t) for t in self.config.targets]
        return {
            "format": RESULT_FORMAT,
            "payload_format": self.payload_format,
            "interval_s": self.interval_ns / 1e9,
            "run_id": self.config.run_id,
            "label": self.config.label,
            "run_ids": self.run_ids,
            "labels": self.labels,
            "parts": self.parts,
            "started_at": self.started_at,
            "measure_start_unix_s": self.started_at + self.config.warmup,
            "config": config,
            "address": self.address,
            "addresses": self.addresses,
            "target_clients": self.target_clients,
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
            "warmup_errors": dict(c.warmup_errors),
            "client_socket_drops": c.socket_drops,
            "stopped_all_refused": c.refused_stop,
            "offered_rate": self.config.rate,
            "send_rate": self.send_rate,
            "reply_rate": self.reply_rate,
            "latency_ms": self.latency_ms(),
            "schedule": {
                "late_sends": c.late_sends,
                "late_threshold_ms": 1.0,
                "max_lag_ms": c.max_lag_ns / 1e6,
                "mean_lag_ms": c.lag_total_ns / max(1, c.sent + c.warmup_sent) / 1e6,
                "behind": self.behind_schedule,
            },
            "join": {
                "joined": c.joined,
                "refused": c.join_refused,
                "unanswered": c.join_unanswered,
                "messages": c.join_errors,
                "left": c.left,
            },
            "targets": [
                {
                    "address": row.address,
                    "clients": row.clients,
                    "sent": row.sent,
                    "received": row.received,
                    "lost": row.lost,
                    "loss_pct": row.loss_pct,
                    "latency_ms": _latency_ms(row.latency),
                }
                for row in self.target_rows()
            ],
            "histogram_ns": c.latency.to_dict(),
            "timeline": self.timeline(),
            "counts": c.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "result") -> LoadTestResult:
        """Read a result written by :meth:`to_dict`.

        Raises:
            LoadTestError: not a udp-loadtest result of this format.
        """
        if not isinstance(data, Mapping) or data.get("format") != RESULT_FORMAT:
            found = data.get("format") if isinstance(data, Mapping) else type(data).__name__
            raise LoadTestError(
                f"{source}: not a udp-loadtest result in the format {RESULT_FORMAT!r} (found {found!r});"
                " write it with this version's --json"
            )
        try:
            raw = dict(data["config"])
            raw["targets"] = tuple((str(h), int(p)) for h, p in raw.get("targets", ()))
            config = LoadTestConfig(**raw)
            return cls(
                config=config,
                address=str(data["address"]),
                workers=int(data["workers"]),
                counts=WorkerResult.from_dict(data["counts"]),
                elapsed=float(data["elapsed_s"]),
                started_at=float(data["started_at"]),
                addresses=[str(a) for a in data["addresses"]],
                target_clients=[int(n) for n in data["target_clients"]],
                parts=int(data["parts"]),
                run_ids=[str(r) for r in data["run_ids"]],
                labels=[str(r) for r in data["labels"]],
                payload_format=str(data["payload_format"]),
                interval_ns=round(float(data["interval_s"]) * 1e9),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LoadTestError(f"{source}: a udp-loadtest result with a missing or bad field ({exc})") from None


def _latency_ms(hist: Histogram) -> dict[str, float]:
    out = {label: hist.percentile(pct) / 1e6 for label, pct in PERCENTILES}
    out["max"] = hist.max / 1e6
    out["min"] = hist.min / 1e6
    out["mean"] = hist.mean / 1e6
    return out


def _settings(result: LoadTestResult) -> dict[str, Any]:
    return {
        "histogram precision": result.counts.latency.precision,
        "interval": result.interval_ns / 1e9,
        "payload format": result.payload_format,
    }


def merge_results(results: Sequence[LoadTestResult], sources: Sequence[str] | None = None) -> LoadTestResult:
    """Merge runs exactly: counts summed, histograms bucket by bucket, timelines aligned on wall-clock time.

    Targets with the same address are one row. The merged run's rate and clients are the sums, its
    duration the longest.

    Raises:
        LoadTestError: no results, or results with different histogram settings or payload formats.
    """
    if not results:
        raise LoadTestError("nothing to merge")
    names = list(sources) if sources is not None else [f"result {i + 1}" for i in range(len(results))]
    first = _settings(results[0])
    for name, r in zip(names[1:], results[1:], strict=True):
        mine = _settings(r)
        for key, value in mine.items():
            if value != first[key]:
                raise LoadTestError(
                    f"cannot merge {name} with {names[0]}: different {key} ({value!r} vs {first[key]!r});"
                    " merge only results of the same udp-loadtest version and settings"
                )
    base = min(r.started_at + r.config.warmup for r in results)
    addresses: list[str] = []
    for r in results:
        addresses.extend(a for a in r.addresses if a not in addresses)
    merged = WorkerResult()
    target_clients = [0] * len(addresses)
    for r in results:
        shift = round((r.started_at + r.config.warmup - base) * 1e9 / WINDOW_NS)
        merged.merge(_remap(r, addresses, target_clients), window_shift=shift)
    # The schedule of a run that started later ends later: last sends are relative to the earliest start.
    merged.last_send_ns = max(
        int(r.counts.last_send_ns + (r.started_at + r.config.warmup - base) * 1e9) for r in results
    )
    head = results[0].config
    config = replace(
        head,
        host="",
        port=0,
        targets=tuple(parse_target(a) for a in addresses),
        clients=sum(r.config.clients for r in results),
        rate=sum(r.config.rate for r in results),
        duration=max(r.config.duration for r in results),
        warmup=max(r.config.warmup for r in results),
        workers=sum(r.workers for r in results),
        join=any(r.config.join for r in results),
        start_at=None,
        run_id="",
        label="",
    )
    run_ids = sorted({i for r in results for i in (r.run_ids or [r.config.run_id]) if i})
    labels = [lb for r in results for lb in (r.labels or [r.config.label]) if lb]
    return LoadTestResult(
        config=config,
        address=", ".join(addresses) if len(addresses) <= 3 else f"{len(addresses)} targets",
        workers=config.workers,
        counts=merged,
        elapsed=max(r.elapsed for r in results),
        started_at=base - config.warmup,
        addresses=addresses,
        target_clients=target_clients,
        parts=sum(r.parts for r in results),
        run_ids=run_ids,
        labels=labels,
    )


def _remap(result: LoadTestResult, addresses: list[str], clients: list[int]) -> WorkerResult:
    """A copy of ``result``'s counts with its per-target lists in the order of ``addresses``."""
    c = WorkerResult.from_dict(result.counts.to_dict())
    c.raw_ns = list(result.counts.raw_ns)
    sent = [0] * len(addresses)
    hists = [Histogram(c.latency.precision) for _ in addresses]
    for row in result.target_rows():
        u = addresses.index(row.address)
        sent[u] += row.sent
        hists[u].merge(row.latency)
        clients[u] += row.clients
    c.target_sent, c.target_latency = sent, hists
    return c


ProgressCallback = Callable[[float, Progress], None]
NoticeCallback = Callable[[str], None]


def _specs(config: LoadTestConfig, targets: Sequence[tuple[int, tuple[Any, ...]]]) -> list[WorkerSpec]:
    workers = min(config.workers, config.clients)
    prefix = f"lt{os.getpid()}"
    return [
        WorkerSpec(
            targets=tuple(targets),
            clients=tuple(range(w, config.clients, workers)),
            total_clients=config.clients,
            rate=config.rate,
            warmup_ns=int(config.warmup * 1e9),
            duration_ns=int(config.duration * 1e9),
            payload_size=config.payload_size,
            reply_timeout_ns=int(config.reply_timeout * 1e9),
            join=config.join,
            player_prefix=prefix,
            join_reply=config.join_reply.encode(),
            keep_going=config.keep_going,
            keep_raw=config.keep_raw,
        )
        for w in range(workers)
    ]


def _raise_nofile_limit(needed: int) -> None:
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < needed + 64:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, needed + 64), hard))


def _start_time(config: LoadTestConfig, earliest_ns: int, notice: NoticeCallback | None) -> int:
    """The ``time.monotonic_ns()`` at which the schedule starts: ``--start-at``, or ``earliest_ns``."""
    if config.start_at is None:
        return earliest_ns
    wall, mono = time.time(), time.monotonic_ns()
    at = mono + int((config.start_at - wall) * 1e9)
    if at < earliest_ns:
        if notice is not None:
            late = (earliest_ns - at) / 1e9
            notice(f"--start-at passed {late:.3f} s ago: starting now (merging aligns runs on wall-clock time)")
        return earliest_ns
    if notice is not None and at - mono > 1e9:
        notice(f"waiting {(at - mono) / 1e9:.1f} s for --start-at")
    return at


def run(
    config: LoadTestConfig, progress: ProgressCallback | None = None, notice: NoticeCallback | None = None
) -> LoadTestResult:
    """Run the load test described by ``config`` and return the merged result.

    With one worker everything runs in this process; with more, each worker is a process of its own
    (spawned), and their results are merged exactly. ``notice`` receives one-line messages (waiting
    for ``start_at``, starting late).

    Raises:
        LoadTestError: bad settings, an address that does not resolve or cannot be reached, a worker
            that failed or did not finish in time.
    """
    config.check()
    resolved = [resolve(host, port) for host, port in config.all_targets()]
    addresses = [_address(f, a) for f, a in resolved]
    specs = _specs(config, resolved)
    _raise_nofile_limit(max(len(s.clients) for s in specs))
    started = time.monotonic()
    if len(specs) == 1:
        counts, t0 = _run_here(config, specs[0], progress, notice)
    else:
        counts, t0 = _run_processes(config, specs, progress, notice)
    started_at = time.time() - (time.monotonic_ns() - t0) / 1e9
    target_clients = [0] * len(resolved)
    for c in range(config.clients):
        target_clients[c % len(resolved)] += 1
    return LoadTestResult(
        config,
        addresses[0] if len(addresses) == 1 else f"{len(addresses)} targets",
        len(specs),
        counts,
        time.monotonic() - started,
        started_at=started_at,
        addresses=addresses,
        target_clients=target_clients,
        run_ids=[config.run_id] if config.run_id else [],
        labels=[config.label] if config.label else [],
    )


def _sleep_until(t_ns: int) -> None:
    while (left := t_ns - time.monotonic_ns()) > 0:
        time.sleep(min(left / 1e9, 1.0))


def _run_here(
    config: LoadTestConfig, spec: WorkerSpec, progress: ProgressCallback | None, notice: NoticeCallback | None
) -> tuple[WorkerResult, int]:
    socks = open_sockets(spec)
    try:
        joins = WorkerResult()
        if spec.join:
            join_players(spec, socks, joins)
        t0 = _start_time(config, time.monotonic_ns() + 5_000_000, notice)
        # Wake a little early: run_worker waits for the first send itself, to the microsecond.
        _sleep_until(t0 - 5_000_000)

        def report(p: Progress) -> bool:
            if progress is not None:
                progress((time.monotonic_ns() - t0) / 1e9, p)
            return p.all_refused(spec)

        return play(spec, socks, t0, joins, report), t0
    finally:
        for s in socks:
            s.close()


def _run_processes(
    config: LoadTestConfig, specs: list[WorkerSpec], progress: ProgressCallback | None, notice: NoticeCallback | None
) -> tuple[WorkerResult, int]:
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

        t0 = _start_time(config, time.monotonic_ns() + 20_000_000, notice)
        for conn in conns:
            conn.send(("start", t0))

        latest: dict[int, Progress] = {}
        results: dict[int, WorkerResult] = {}
        deadline = (
            time.monotonic()
            + max(0, t0 - time.monotonic_ns()) / 1e9
            + config.warmup
            + config.duration
            + 2 * config.reply_timeout
            + 30
        )
        stopping = False
        while len(results) < len(conns):
            _receive(conns, set(results), deadline, "finish", latest, progress, t0, results)
            total = Progress()
            for p in latest.values():
                total.add(p)
            if not stopping and len(latest) == len(conns) and total.all_refused(specs[0]):
                stopping = True
                for i, conn in enumerate(conns):
                    if i not in results:
                        with contextlib.suppress(OSError):
                            conn.send(("stop", None))

        merged = WorkerResult()
        for i in range(len(conns)):
            merged.merge(results[i])
        return merged, t0
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
                    total.add(p)
                progress((time.monotonic_ns() - t0) / 1e9, total)
        elif kind == "done" and results is not None:
            results[i] = payload
            done.add(i)
