"""How our long-running commands stop on SIGTERM or SIGINT: quietly before the event loop runs, then by an event.

Until the event loop takes the signals over, a stop request ends the process at once with exit 0 (no
traceback of a half-done start); from then on it sets an event, so the command stops its servers in
order. The handlers are put back as they were when each part ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


@contextlib.contextmanager
def exit_quietly_on_stop() -> Iterator[None]:
    """While inside, SIGTERM and SIGINT end the process with exit 0."""
    previous = {signum: signal.signal(signum, _exit_quietly) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def stop_requested() -> Iterator[asyncio.Event]:
    """While inside (in a running event loop), SIGTERM and SIGINT set the event it yields."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
