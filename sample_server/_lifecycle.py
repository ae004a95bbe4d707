"""The server's lifecycle rules, as pure code with the clock passed in.

The decisions upstream's simple-game-server takes on a timer (automatic shutdown after
allocation, going back to Ready `ready_iterations - 1` times) plus ours (shut down once an
allocated match has emptied). `Lifecycle.due(now)` says what to do when, and `next_deadline()`
when to ask next: the server arms one timer from it instead of polling.
"""

from __future__ import annotations

import enum


class Action(enum.Enum):
    """What the lifecycle asks the server to do."""

    READY = "ready"
    SHUTDOWN = "shutdown"


class Lifecycle:
    """Timers after allocation and after the last player leaves.

    Args:
        automatic_shutdown_delay: seconds after each allocation before acting (0: off).
        ready_iterations: upstream semantics: each allocation counts one down; while the count
            left is above 0 the server goes back to Ready instead of shutting down.
        shutdown_when_empty: seconds after an allocated match loses its last player (0: off).
    """

    def __init__(
        self,
        *,
        automatic_shutdown_delay: float = 0.0,
        ready_iterations: int = 0,
        shutdown_when_empty: float = 0.0,
    ) -> None:
        self._auto_delay = automatic_shutdown_delay
        self._remaining = ready_iterations
        self._empty_delay = shutdown_when_empty
        self._allocated = False
        self._last_allocated: str | None = None
        self._auto_at: float | None = None
        self._auto_action = Action.SHUTDOWN
        self._had_players = False
        self._players = 0
        self._empty_at: float | None = None
        self.finished = False

    def on_game_server(self, state: str, last_allocated: str, now: float) -> None:
        """Feed each GameServer seen (state, `agones.dev/last-allocated` annotation)."""
        allocated = state == "Allocated"
        newly = allocated and (not self._allocated or last_allocated != self._last_allocated)
        self._allocated = allocated
        self._last_allocated = last_allocated
        if state == "Shutdown":
            self.finished = True
        elif state == "Ready":
            self.finished = False  # back in service (a reused sidecar said Shutdown before we started)
        if newly:
            self._had_players = self._players > 0
            self._empty_at = None
            if self._auto_delay > 0:
                self._remaining -= 1
                self._auto_action = Action.READY if self._remaining > 0 else Action.SHUTDOWN
                self._auto_at = now + self._auto_delay
        if not allocated:
            self._empty_at = None
            self._had_players = False

    def on_players(self, count: int, now: float) -> None:
        """Feed the number of joined players after every change."""
        self._players = count
        if count > 0:
            self._had_players = True
            self._empty_at = None
        elif self._allocated and self._had_players and self._empty_delay > 0 and self._empty_at is None:
            self._empty_at = now + self._empty_delay

    def next_deadline(self) -> float | None:
        """The earliest time `due` may return an action."""
        times = [t for t in (self._auto_at, self._empty_at) if t is not None]
        return min(times) if times else None

    def due(self, now: float) -> Action | None:
        """The action whose time has come, if any (each is returned once)."""
        if self.finished:
            return None
        if self._auto_at is not None and now >= self._auto_at:
            self._auto_at = None
            if self._auto_action is Action.SHUTDOWN:
                self.finished = True
            return self._auto_action
        if self._empty_at is not None and now >= self._empty_at:
            self._empty_at = None
            self.finished = True
            return Action.SHUTDOWN
        return None
