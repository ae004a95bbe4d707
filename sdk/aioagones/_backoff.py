"""Reconnect pacing and outage reporting shared by the health stream and every watch.

Backoff is capped exponential with full jitter (each wait uniform in [0, min(cap, base * 2**n)]),
so many game servers whose sidecars restart together do not reconnect in lock step.
An outage is logged once when it starts and once when it ends, however many attempts it takes.
"""

from __future__ import annotations

import logging
import random

logger = logging.getLogger("aioagones")


class Backoff:
    """Capped exponential backoff with full jitter."""

    def __init__(self, base: float = 0.1, cap: float = 2.0) -> None:
        self.base, self.cap = base, cap
        self._attempt = 0

    def next(self) -> float:
        """The next wait, in seconds."""
        ceiling = min(self.cap, self.base * 2**self._attempt)
        self._attempt = min(self._attempt + 1, 32)
        return random.uniform(0, ceiling)

    def reset(self) -> None:
        """Start again from the base after a success."""
        self._attempt = 0


class Outage:
    """Tracks whether the sidecar is reachable and logs each change once."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.down = False

    def lost(self, reason: str) -> None:
        """Note a failure that means the sidecar is away."""
        if not self.down:
            self.down = True
            logger.warning("Agones sidecar at %s unavailable (%s); reconnecting", self.address, reason)

    def restored(self) -> None:
        """Note a success."""
        if self.down:
            self.down = False
            logger.info("Agones sidecar at %s is back", self.address)
