"""Player sessions and the server's lifecycle rules, as pure code with the clock passed in.

Sessions: a `JOIN <id>` binds the sender's address to a player. Joining is two-step, because
Agones must be told first: `begin_join` reserves a slot (so concurrent JOINs cannot overfill the
server while the sidecar call is in flight), then `finish_join` commits or releases it. Any
datagram from a joined address refreshes it (`touch`); `expire` ends the sessions silent for
longer than the idle timeout. State is bounded: at most `capacity` sessions plus slots pending,
never more than `HARD_LIMIT`.

Lifecycle: the decisions upstream's simple-game-server takes on a timer (automatic shutdown
after allocation, going back to Ready `ready_iterations - 1` times) plus ours (shut down once
an allocated match has emptied). `Lifecycle.due(now)` says what to do when; the caller does it.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable
from dataclasses import dataclass

HARD_LIMIT = 1000
"""Most sessions ever held, whatever the capacity says (Agones lists hold at most 1000 values)."""


class JoinResult(enum.Enum):
    """What `Sessions.begin_join` decided."""

    NEW = "new"  # a slot is reserved: tell Agones, then call finish_join
    ALREADY = "already"  # this address is already this player: nothing to tell Agones
    FULL = "full"
    ID_IN_USE = "id_in_use"  # another address plays under this ID
    CLOSED = "closed"  # the server no longer takes players
    BUSY = "busy"  # this address has a JOIN or LEAVE in flight


@dataclass(slots=True)
class Session:
    """One joined player."""

    player_id: str
    address: Hashable
    joined_at: float
    last_seen: float


class Sessions:
    """Joined players by address and by ID, bounded.

    Args:
        capacity: most players at once (clamped to `HARD_LIMIT`).
        idle_timeout: seconds of silence that end a session; 0 or less never expires one.
    """

    def __init__(self, capacity: int, idle_timeout: float) -> None:
        self.capacity = capacity
        self.idle_timeout = idle_timeout
        self.by_address: dict[Hashable, Session] = {}
        self._by_id: dict[str, Session] = {}
        self._pending: dict[Hashable, str] = {}
        self._leaving: set[Hashable] = set()
        self.closed = False

    @property
    def capacity(self) -> int:
        """Most players at once."""
        return self._capacity

    @capacity.setter
    def capacity(self, value: int) -> None:
        self._capacity = max(0, min(value, HARD_LIMIT))

    def __len__(self) -> int:
        return len(self.by_address)

    @property
    def player_ids(self) -> list[str]:
        """The joined players' IDs, oldest first."""
        return [s.player_id for s in self.by_address.values()]

    def touch(self, address: Hashable, now: float) -> bool:
        """Refresh the sender's session; False when the address has not joined."""
        session = self.by_address.get(address)
        if session is None:
            return False
        session.last_seen = now
        return True

    def begin_join(self, address: Hashable, player_id: str, now: float) -> JoinResult:
        """Decide a JOIN; on `NEW` a slot is held until `finish_join`."""
        if self.closed:
            return JoinResult.CLOSED
        if address in self._pending or address in self._leaving:
            return JoinResult.BUSY
        current = self.by_address.get(address)
        if current is not None and current.player_id == player_id:
            current.last_seen = now
            return JoinResult.ALREADY
        other = self._by_id.get(player_id)
        if (other is not None and other.address != address) or player_id in self._pending.values():
            return JoinResult.ID_IN_USE
        if current is not None:
            return JoinResult.ID_IN_USE  # one player per address: LEAVE first
        if len(self.by_address) + len(self._pending) >= self._capacity:
            return JoinResult.FULL
        self._pending[address] = player_id
        return JoinResult.NEW

    def finish_join(self, address: Hashable, ok: bool, now: float) -> Session | None:
        """Commit (`ok`) or release the slot `begin_join` held; the new session, or None."""
        player_id = self._pending.pop(address, None)
        if player_id is None or not ok:
            return None
        session = Session(player_id, address, now, now)
        self.by_address[address] = session
        self._by_id[player_id] = session
        return session

    def leave(self, address: Hashable) -> Session | None:
        """End the sender's session now; the session ended, or None."""
        session = self.by_address.pop(address, None)
        if session is not None:
            del self._by_id[session.player_id]
        return session

    def expire(self, now: float) -> list[Session]:
        """End every session silent for longer than the idle timeout."""
        if self.idle_timeout <= 0:
            return []
        limit = now - self.idle_timeout
        gone = [s for s in self.by_address.values() if s.last_seen < limit]
        for session in gone:
            self.leave(session.address)
        return gone

    def next_expiry(self) -> float | None:
        """When the next session would expire, if nobody speaks."""
        if self.idle_timeout <= 0 or not self.by_address:
            return None
        return min(s.last_seen for s in self.by_address.values()) + self.idle_timeout

    def close(self) -> list[Session]:
        """Stop taking players; the sessions still joined (kept, so they can be told)."""
        self.closed = True
        return list(self.by_address.values())


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
