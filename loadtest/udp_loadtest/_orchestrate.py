"""A load test from start to end: resolve, share the clients among workers, run them, add up their counts.

With one worker, the worker body (:func:`~udp_loadtest._worker.work`) runs in this process; with more,
each runs it in a process of its own (spawned), over a pipe (:mod:`udp_loadtest._ipc`), and the parent
tells them all when to start.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait

from udp_loadtest._config import LoadTestConfig, WorkerSpec, format_address, resolve, worker_specs
from udp_loadtest._counts import Progress, WorkerResult
from udp_loadtest._errors import LoadTestError
from udp_loadtest._ipc import Done, Failed, FromWorker, Ready, Report, Start, Stop
from udp_loadtest._result import LoadTestResult
from udp_loadtest._worker import work, worker_process

__all__ = ["NoticeCallback", "ProgressCallback", "run"]

ProgressCallback = Callable[[float, Progress], None]
NoticeCallback = Callable[[str], None]


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
    addresses = [format_address(str(a[0]), int(a[1])) for _, a in resolved]
    specs = worker_specs(config, resolved)
    _raise_nofile_limit(max(len(s.clients) for s in specs))
    started = time.monotonic()
    if len(specs) == 1:
        counts, t0 = _run_here(config, specs[0], progress, notice)
    else:
        counts, t0 = _Workers(config, specs).run(progress, notice)
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


def _sleep_until(t_ns: int) -> None:
    while (left := t_ns - time.monotonic_ns()) > 0:
        time.sleep(min(left / 1e9, 1.0))


class _HereLink:
    """The worker body's link when it runs in this process: it picks the start itself."""

    def __init__(
        self, config: LoadTestConfig, spec: WorkerSpec, progress: ProgressCallback | None, notice: NoticeCallback | None
    ) -> None:
        self.config, self.spec, self.callback, self.notice = config, spec, progress, notice
        self.t0 = 0

    def ready(self) -> int:
        self.t0 = _start_time(self.config, time.monotonic_ns() + 5_000_000, self.notice)
        # Wake a little early: run_worker waits for the first send itself, to the microsecond.
        _sleep_until(self.t0 - 5_000_000)
        return self.t0

    def progress(self, p: Progress) -> bool:
        if self.callback is not None:
            self.callback((time.monotonic_ns() - self.t0) / 1e9, p)
        return p.all_refused(self.spec)


def _run_here(
    config: LoadTestConfig, spec: WorkerSpec, progress: ProgressCallback | None, notice: NoticeCallback | None
) -> tuple[WorkerResult, int]:
    link = _HereLink(config, spec, progress, notice)
    result = work(spec, link)
    assert result is not None  # this link always starts
    return result, link.t0


class _Workers:
    """Worker processes, their pipes, and what each said last."""

    def __init__(self, config: LoadTestConfig, specs: list[WorkerSpec]) -> None:
        self.config, self.specs = config, specs
        self.conns: list[Connection] = []
        self.latest: dict[int, Progress] = {}
        self.results: dict[int, WorkerResult] = {}
        self.ready: set[int] = set()

    def run(self, progress: ProgressCallback | None, notice: NoticeCallback | None) -> tuple[WorkerResult, int]:
        """Start the processes, start them together, wait for their counts; return them merged and the start."""
        config = self.config
        ctx = multiprocessing.get_context("spawn")
        procs = []
        try:
            for spec in self.specs:
                parent, child = ctx.Pipe()
                proc = ctx.Process(target=worker_process, args=(spec, child), daemon=True)
                proc.start()
                child.close()
                self.conns.append(parent)
                procs.append(proc)
            deadline = time.monotonic() + 30 + (3 * config.reply_timeout if config.join else 0)
            while len(self.ready) < len(self.conns):
                self._receive(self.ready, deadline, "start", None, 0)
            t0 = _start_time(config, time.monotonic_ns() + 20_000_000, notice)
            for conn in self.conns:
                conn.send(Start(t0))
            wait_s = max(0, t0 - time.monotonic_ns()) / 1e9
            deadline = time.monotonic() + wait_s + config.warmup + config.duration + 2 * config.reply_timeout + 30
            stopping = False
            while len(self.results) < len(self.conns):
                self._receive(set(self.results), deadline, "finish", progress, t0)
                total = Progress.total(self.latest.values())
                if not stopping and len(self.latest) == len(self.conns) and total.all_refused(self.specs[0]):
                    stopping = True
                    for i, conn in enumerate(self.conns):
                        if i not in self.results:
                            with contextlib.suppress(OSError):
                                conn.send(Stop())
            merged = WorkerResult()
            for i in range(len(self.conns)):
                merged.merge(self.results[i])
            return merged, t0
        finally:
            for conn in self.conns:
                conn.close()
            for proc in procs:
                proc.join(timeout=2)
                if proc.is_alive():
                    proc.terminate()
                    proc.join(timeout=2)

    def _receive(self, done: set[int], deadline: float, what: str, progress: ProgressCallback | None, t0: int) -> None:
        """Handle the messages of the workers not in ``done`` that arrive before ``deadline``."""
        waiting = [c for i, c in enumerate(self.conns) if i not in done]
        ready = wait(waiting, timeout=max(0.0, deadline - time.monotonic()))
        if not ready:
            raise LoadTestError(f"a worker did not {what} in time")
        for conn in ready:
            assert isinstance(conn, Connection)
            i = self.conns.index(conn)
            try:
                message: FromWorker = conn.recv()
            except (EOFError, OSError):
                raise LoadTestError("a worker process ended unexpectedly") from None
            if isinstance(message, Failed):
                raise LoadTestError(message.message)
            if isinstance(message, Ready):
                self.ready.add(i)
            elif isinstance(message, Report):
                self.latest[i] = message.progress
                if progress is not None:
                    progress((time.monotonic_ns() - t0) / 1e9, Progress.total(self.latest.values()))
            elif isinstance(message, Done):
                self.results[i] = message.result
