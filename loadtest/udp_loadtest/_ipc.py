"""The pipe between the parent and a worker process: its messages, and the worker's end of it.

A worker says :class:`Ready` once its sockets are open (and its players joined), gets :class:`Start`
with the instant to start at, sends a :class:`Report` every half second (and may get :class:`Stop`
back), and ends with :class:`Done` or, when it could not start, :class:`Failed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from multiprocessing.connection import Connection

from udp_loadtest._counts import Progress, WorkerResult

__all__ = ["Done", "Failed", "FromWorker", "PipeLink", "Ready", "Report", "Start", "Stop", "ToWorker"]


@dataclass(frozen=True)
class Ready:
    """Worker to parent: ready to start."""


@dataclass(frozen=True)
class Start:
    """Parent to worker: start the schedule at ``t0`` (a ``time.monotonic_ns()`` value, shared by all)."""

    t0: int


@dataclass(frozen=True)
class Stop:
    """Parent to worker: stop sending now (every worker's datagrams were refused)."""


@dataclass(frozen=True)
class Report:
    """Worker to parent: the running counts."""

    progress: Progress


@dataclass(frozen=True)
class Done:
    """Worker to parent: the final counts."""

    result: WorkerResult


@dataclass(frozen=True)
class Failed:
    """Worker to parent: the worker could not start; ``message`` says why, in one line."""

    message: str


FromWorker = Ready | Report | Done | Failed
ToWorker = Start | Stop


class PipeLink:
    """The worker's end of the pipe, as the worker body's link to whoever runs it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def send(self, message: FromWorker) -> None:
        """Send one message to the parent."""
        self.conn.send(message)

    def ready(self) -> int | None:
        """Say ready and wait for the start (it may be far off: --start-at); None when told otherwise."""
        self.conn.send(Ready())
        message = self.conn.recv()
        return message.t0 if isinstance(message, Start) else None

    def progress(self, progress: Progress) -> bool:
        """Report the counts; whether the parent, which sees every worker's counts, said stop."""
        self.conn.send(Report(progress))
        return self.conn.poll() and isinstance(self.conn.recv(), Stop)
