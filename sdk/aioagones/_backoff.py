"""Reconnect pacing shared by the health stream and every watch.

Backoff is capped exponential with full jitter (each wait uniform in [0, min(cap, base * 2**n)]),
so many game servers whose sidecars restart together do not reconnect in lock step.
(Outages are logged by the transport, once when one starts and once when it ends.)
"""

from __future__ import annotations

import random


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
