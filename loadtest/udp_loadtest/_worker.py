"""The body of one worker, the same in this process and in a worker process: open, join, run, leave."""

from __future__ import annotations

import signal
import socket
from multiprocessing.connection import Connection
from typing import Protocol

from udp_loadtest._config import WorkerSpec
from udp_loadtest._counts import Progress, WorkerResult
from udp_loadtest._errors import LoadTestError
from udp_loadtest._ipc import Done, Failed, PipeLink
from udp_loadtest._loop import ProgressHook, run_worker
from udp_loadtest._sockets import join_players, leave_players, open_sockets, socket_drops

__all__ = ["Link", "play", "work", "worker_process"]


class Link(Protocol):
    """What the worker body needs from whoever runs it: when to start, and whether to stop."""

    def ready(self) -> int | None:
        """Called once the sockets are open: return the start (``time.monotonic_ns()``), None to end."""

    def progress(self, progress: Progress) -> bool:
        """Called with the running counts every half second: return True to stop the run."""


def play(
    spec: WorkerSpec,
    socks: list[socket.socket],
    t0: int,
    joins: WorkerResult,
    progress: ProgressHook | None = None,
    secrets: dict[int, bytes] | None = None,
) -> WorkerResult:
    """Run the schedule, then send LEAVE from every client (joined or not) and count the kernel's drops."""
    try:
        result = run_worker(spec, socks, t0, progress, secrets)
    finally:
        # Also after a failure, and from clients whose JOIN failed: the server must not keep ghosts.
        if spec.join:
            left = WorkerResult()
            leave_players(spec, socks, left, secrets)
    result.joined, result.join_refused = joins.joined, joins.join_refused
    result.join_unanswered, result.join_errors = joins.join_unanswered, list(joins.join_errors)
    if spec.join:
        result.left = left.left
    result.socket_drops = socket_drops(socks)
    return result


def work(spec: WorkerSpec, link: Link) -> WorkerResult | None:
    """One worker from start to end; None when the link said not to start.

    Raises:
        LoadTestError: the sockets could not be opened.
    """
    socks = open_sockets(spec)
    try:
        joins = WorkerResult()
        secrets = join_players(spec, socks, joins) if spec.join else {}
        t0 = link.ready()
        if t0 is None:
            return None
        return play(spec, socks, t0, joins, link.progress, secrets)
    finally:
        for s in socks:
            s.close()


def worker_process(spec: WorkerSpec, conn: Connection) -> None:
    """The entry point of a worker process: :func:`work` over the pipe to the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    link = PipeLink(conn)
    try:
        result = work(spec, link)
        if result is not None:
            link.send(Done(result))
    except LoadTestError as exc:
        link.send(Failed(str(exc)))
    except (EOFError, BrokenPipeError):
        return  # the parent went away
