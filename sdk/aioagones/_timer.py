"""One timer for the earliest of a core's deadlines, re-armed as they move (no polling).

Used by the local sidecar's core (a Reserve running out, a health check failing) and the sample
server (idle players, the lifecycle). As aioquic re-arms from `get_timer()`: after anything that
may bring a deadline forward, the owner calls `arm` with its deadlines; the timer fires at the
earliest, and the callback arms it again. A deadline that moved later (a player spoke) needs no
re-arm: the timer fires early, finds nothing due and re-arms for the new time.

A deadline already due by the owner's clock fires at once even when a later firing is armed: an
injected clock that tests move by hand jumps, and the armed firing was timed by the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

_SLACK = 0.001  # deadlines are strict (silent for longer than the timeout): fire just after


class DeadlineTimer:
    """Calls `fire` at the earliest deadline given to `arm`.

    Args:
        loop: the event loop.
        now: monotonic seconds, the clock the deadlines are in.
        fire: what to run when the time comes (it should `arm` again).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, now: Callable[[], float], fire: Callable[[], None]) -> None:
        self._loop = loop
        self._now = now
        self._fire = fire
        self._handle: asyncio.TimerHandle | None = None
        self._at = 0.0

    def arm(self, *deadlines: float | None) -> None:
        """Fire at the earliest of `deadlines` (None: none), unless an earlier firing is armed."""
        at = min((d for d in deadlines if d is not None), default=None)
        if at is None:
            return
        if self._handle is not None:
            if self._at <= at and at > self._now():
                return  # it fires first and arms again
            # Earlier, or due now by the owner's clock (one moved by hand): do not wait for the armed one.
            self._handle.cancel()
        self._at = at
        self._handle = self._loop.call_later(max(at - self._now(), 0.0) + _SLACK, self._run)

    def cancel(self) -> None:
        """Disarm (idempotent)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _run(self) -> None:
        self._handle = None
        self._fire()
