"""Player sessions, as pure code with the clock passed in.

A `JOIN <id>` binds the sender's address to a player. Agones must be told of each join and
leave, and those calls take time, so each is two-step and the steps of one player are strictly
ordered:

- `begin_join` reserves a slot (concurrent JOINs cannot overfill the server while the sidecar
  call is in flight); `finish_join` commits or releases it.
- `leave` (and `expire`) end the session at once but keep the player *leaving* until
  `finish_leave`, once Agones has been told. While a join or a leave of a player is in flight,
  another JOIN of the same address or the same ID is `BUSY`, so a quick re-JOIN can never race
  the pending removal.

Claims: an ID already in the GameServer's list when its player JOINs (an allocator reserved
the slot) may be claimed once (`claim`); a second claim of that ID is refused.

Proven traffic refreshes a session (`touch`; over UDP, a datagram that carries the session's
secret); `expire` ends the sessions silent for longer than the idle timeout, and `next_expiry`
says when to look next. State is bounded: at most `capacity` sessions, joins and leaves in
flight, never more than `HARD_LIMIT`; and with `sources`, at most each key's limit per source
(its IP, its /64): a slot counts against its source from `begin_join` until `finish_leave`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from ._lifecycle import Action, Lifecycle

__all__ = ["HARD_LIMIT", "Action", "JoinResult", "Lifecycle", "Session", "Sessions"]

HARD_LIMIT = 1000
"""Most sessions ever held, whatever the capacity says (Agones lists hold at most 1000 values)."""

_MAX_CLAIMS = 10 * HARD_LIMIT  # claimed IDs remembered; the oldest are forgotten first


class JoinResult(enum.Enum):
    """What `Sessions.begin_join` decided."""

    NEW = "new"  # a slot is reserved: tell Agones, then call finish_join
    ALREADY = "already"  # this address is already this player: nothing to tell Agones
    FULL = "full"
    ID_IN_USE = "id_in_use"  # another address plays under this ID
    CLOSED = "closed"  # the server no longer takes players
    BUSY = "busy"  # a JOIN or LEAVE of this address or this ID is in flight
    SOURCE_FULL = "source_full"  # the sender's IP (or /64) holds its share of the slots


@dataclass(slots=True)
class Session:
    """One joined player."""

    player_id: str
    address: Hashable
    joined_at: float
    last_seen: float
    secret: bytes = b""  # what LEAVE and proven datagrams carry (UDP)


class Sessions:
    """Joined players by address and by ID, bounded.

    Args:
        capacity: most players at once (clamped to `HARD_LIMIT`).
        idle_timeout: seconds of silence that end a session; 0 or less never expires one.
        sources: an address's share keys, each with its limit (none: no per-source limit).
    """

    def __init__(
        self,
        capacity: int,
        idle_timeout: float,
        sources: Callable[[Hashable], tuple[tuple[Hashable, int], ...]] = lambda address: (),
    ) -> None:
        self.capacity = capacity
        self.idle_timeout = idle_timeout
        self.by_address: dict[Hashable, Session] = {}
        self._by_id: dict[str, Session] = {}
        self._pending: dict[Hashable, str] = {}
        self._pending_ids: set[str] = set()
        self._leaving: dict[Hashable, str] = {}
        self._leaving_ids: set[str] = set()
        self._claimed: dict[str, None] = {}
        self._sources = sources
        self._held: dict[Hashable, int] = {}
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
        if address in self._pending or address in self._leaving or player_id in self._leaving_ids:
            return JoinResult.BUSY
        current = self.by_address.get(address)
        if current is not None and current.player_id == player_id:
            current.last_seen = now
            return JoinResult.ALREADY
        other = self._by_id.get(player_id)
        if (other is not None and other.address != address) or player_id in self._pending_ids:
            return JoinResult.ID_IN_USE
        if current is not None:
            return JoinResult.ID_IN_USE  # one player per address: LEAVE first
        if len(self.by_address) + len(self._pending) + len(self._leaving) >= self._capacity:
            return JoinResult.FULL
        keys = self._sources(address)
        if any(self._held.get(key, 0) >= limit for key, limit in keys):
            return JoinResult.SOURCE_FULL
        for key, _ in keys:
            self._held[key] = self._held.get(key, 0) + 1
        self._pending[address] = player_id
        self._pending_ids.add(player_id)
        return JoinResult.NEW

    def finish_join(self, address: Hashable, ok: bool, now: float, secret: bytes = b"") -> Session | None:
        """Commit (`ok`) or release the slot `begin_join` held; the new session, or None."""
        player_id = self._pending.pop(address, None)
        if player_id is None:
            return None
        self._pending_ids.discard(player_id)
        if not ok:
            self._release(address)
            return None
        session = Session(player_id, address, now, now, secret)
        self.by_address[address] = session
        self._by_id[player_id] = session
        return session

    def claim(self, player_id: str) -> bool:
        """Claim an ID that was listed before its player joined; False when it was claimed before."""
        if player_id in self._claimed:
            return False
        self._claimed[player_id] = None
        if len(self._claimed) > _MAX_CLAIMS:
            del self._claimed[next(iter(self._claimed))]
        return True

    def leave(self, address: Hashable) -> Session | None:
        """End the sender's session now; the session ended (leaving until `finish_leave`), or None."""
        session = self.by_address.pop(address, None)
        if session is not None:
            del self._by_id[session.player_id]
            self._leaving[address] = session.player_id
            self._leaving_ids.add(session.player_id)
        return session

    def finish_leave(self, session: Session) -> None:
        """Agones has been told (or could not be): the player's ID and address are free again."""
        if self._leaving.get(session.address) == session.player_id:
            del self._leaving[session.address]
            self._release(session.address)
        self._leaving_ids.discard(session.player_id)

    def _release(self, address: Hashable) -> None:
        for key, _ in self._sources(address):
            left = self._held.get(key, 0) - 1
            if left > 0:
                self._held[key] = left
            else:
                self._held.pop(key, None)

    def expire(self, now: float) -> list[Session]:
        """End every session silent for longer than the idle timeout (each leaving, as `leave`)."""
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
