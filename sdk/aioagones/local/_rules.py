"""The rules of every SDK call of the local sidecar: no I/O, no asyncio, no logging.

Strategy: one mutable `GameServerRules` owns the GameServer (`game_server`). Each SDK call is a
method that checks everything first and only then mutates, so a call that raises `SidecarError`
changes nothing. Time enters as `now` (monotonic seconds, for timers) and, where a cluster writes a
wall-clock timestamp, as an explicit `timestamp`. `version` grows by one on every change, so the
I/O layer knows when to tell watchers; `next_deadline()` says when `tick(now)` has something to do
(a Reserve running out, or health pings missed for too long). What only the cluster does
(allocation, any state) is in `_cluster`.

Health rule: with health checking on, the GameServer becomes `Unhealthy` once
`failure_threshold * period_seconds` pass without a ping, counted from the later of the last
ping and the end of `initial_delay_seconds`, itself counted from the first call of a game
(`connected(now)`), not from the sidecar's start: a sidecar left running waits for its game.
`Unhealthy` is final for the SDK: later state calls succeed but change nothing, as in a cluster,
where the GameServer is about to be replaced (the sidecar replaces it: `reset`). `Shutdown` is not
final (the reference local sidecar allows any transition after it), but it stops health checking.

Error messages are the reference sidecar's texts; codes are the ones the proto comments promise.
"""

from __future__ import annotations

from aioagones._constants import LAST_ALLOCATED_ANNOTATION as LAST_ALLOCATED
from aioagones._models import State
from aioagones._validation import SDK_PREFIX, annotation_error, label_error
from aioagones.local._beta_rules import CountersAndLists
from aioagones.local._state import Code, GameServerState, PlayerState, SidecarError

__all__ = ["GameServerRules"]


class GameServerRules(CountersAndLists):
    """The GameServer state machine behind every SDK call of the local sidecar."""

    def __init__(self, game_server: GameServerState, *, now: float | None = None) -> None:
        """Take ownership of `game_server`; `now` starts the health clock (None: at the first call, `connected`)."""
        self.game_server = game_server
        self.version = 0
        self._reserve_until: float | None = None
        self._health_start = now
        self._last_ping: float | None = None
        self.health_checking = True
        """False while the cluster's health checking is stopped (`set_health_checking`)."""

    # -- state -------------------------------------------------------------------------------

    def _changed(self) -> None:
        self.version += 1

    def changed(self) -> None:
        """Count a change made from outside the SDK calls (the cluster's hand, `_cluster`)."""
        self._changed()

    def force_state(self, state: State) -> None:
        """Put the GameServer into `state` whatever it is now (also out of `Unhealthy`); cancels a Reserve."""
        self._reserve_until = None
        if self.game_server.state != state:
            self.game_server.state = state
            self._changed()

    def _set_state(self, state: State) -> None:
        if self.game_server.state == State.UNHEALTHY:
            return  # final, as in a cluster: the GameServer is being replaced
        self._reserve_until = None
        if self.game_server.state != state:
            self.game_server.state = state
            self._changed()

    def ready(self) -> None:
        """`Ready`: state Ready; cancels a pending reserve timer."""
        self._set_state(State.READY)

    def allocate(self, *, timestamp: str) -> None:
        """`Allocate`: state Allocated, and the `agones.dev/last-allocated` annotation = `timestamp`."""
        if self.game_server.state == State.UNHEALTHY:
            return
        self._set_state(State.ALLOCATED)
        if self.game_server.annotations.get(LAST_ALLOCATED) != timestamp:
            self.game_server.annotations[LAST_ALLOCATED] = timestamp
            self._changed()

    def shutdown(self) -> None:
        """`Shutdown`: state Shutdown."""
        self._set_state(State.SHUTDOWN)

    def reserve(self, seconds: int, now: float) -> None:
        """`Reserve`: state Reserved, back to Ready after `seconds` (0: until something else changes it).

        Raises:
            SidecarError: INVALID_ARGUMENT for a negative duration.
        """
        if seconds < 0:
            raise SidecarError(
                Code.INVALID_ARGUMENT, f"invalid argument. Duration must be 0 or more seconds, got {seconds}"
            )
        if self.game_server.state == State.UNHEALTHY:
            return
        self._set_state(State.RESERVED)
        self._reserve_until = now + seconds if seconds > 0 else None

    def health(self, now: float) -> None:
        """One `Health` ping."""
        self._last_ping = now

    def restart(self, now: float | None = None) -> None:
        """The health check's initial delay starts again at `now` (None: at the next call, `connected`)."""
        self._health_start = now
        self._last_ping = None

    def connected(self, now: float) -> bool:
        """A game process called: the health clock starts if it has not; True if it started now."""
        if self._health_start is not None:
            return False
        self._health_start = now
        return True

    @property
    def health_clock_running(self) -> bool:
        """Whether a game has called since the start (or reset): only then can pings be missed."""
        return self._health_start is not None

    def reset(self, game_server: GameServerState) -> None:
        """Start over with `game_server`: no Reserve pending, health checking on, its clock not started."""
        self.game_server = game_server
        self._reserve_until = None
        self.health_checking = True
        self.restart(None)
        self._changed()

    def set_health_checking(self, enabled: bool, now: float) -> None:
        """Stop or resume the cluster's health checking; resuming gives the game a whole window again."""
        if enabled and not self.health_checking:
            self._last_ping = now
        self.health_checking = enabled

    def _health_deadline(self) -> float | None:
        gs = self.game_server
        if self._health_start is None or gs.health.disabled or not self.health_checking:
            return None
        if gs.state in (State.UNHEALTHY, State.SHUTDOWN):
            return None
        since = self._health_start + gs.health.initial_delay_seconds
        if self._last_ping is not None:
            since = max(since, self._last_ping)
        return since + gs.health.failure_threshold * gs.health.period_seconds

    def next_deadline(self) -> float | None:
        """When `tick` next has work to do, or None if nothing is pending."""
        deadlines = [d for d in (self._reserve_until, self._health_deadline()) if d is not None]
        return min(deadlines, default=None)

    def tick(self, now: float) -> None:
        """Apply what is due at `now`: a Reserve running out, missed health pings."""
        if self._reserve_until is not None and now >= self._reserve_until:
            self._reserve_until = None
            if self.game_server.state == State.RESERVED:
                self._set_state(State.READY)
        deadline = self._health_deadline()
        if deadline is not None and now >= deadline:
            self.force_state(State.UNHEALTHY)

    def replace(self, game_server: GameServerState, now: float) -> None:
        """Take a new GameServer whole (its manifest was edited); a new state cancels a pending Reserve."""
        if game_server.state != self.game_server.state:
            self._reserve_until = None
            if self.game_server.state == State.UNHEALTHY:
                self.restart(now)  # brought back to life by hand: health checking starts over
        self.game_server = game_server
        self._changed()

    # -- metadata ----------------------------------------------------------------------------

    def set_label(self, key: str, value: str) -> None:
        """`SetLabel`: stored as `agones.dev/sdk-<key>`.

        Raises:
            SidecarError: INVALID_ARGUMENT for a key or value a cluster would refuse.
        """
        if (error := label_error(key, value)) is not None:
            raise SidecarError(Code.INVALID_ARGUMENT, error)
        self._set_meta(self.game_server.labels, key, value)

    def set_annotation(self, key: str, value: str) -> None:
        """`SetAnnotation`: stored as `agones.dev/sdk-<key>`.

        Raises:
            SidecarError: INVALID_ARGUMENT for a key or value a cluster would refuse.
        """
        if (error := annotation_error(key, value)) is not None:
            raise SidecarError(Code.INVALID_ARGUMENT, error)
        self._set_meta(self.game_server.annotations, key, value)

    def _set_meta(self, where: dict[str, str], key: str, value: str) -> None:
        if where.get(SDK_PREFIX + key) != value:
            where[SDK_PREFIX + key] = value
            self._changed()

    # -- players (alpha) ---------------------------------------------------------------------

    def _players(self) -> PlayerState:
        if self.game_server.players is None:
            self.game_server.players = PlayerState()
        return self.game_server.players

    def player_connect(self, player_id: str) -> bool:
        """`PlayerConnect`: True if added, False if already connected.

        Raises:
            SidecarError: OUT_OF_RANGE when the players are at capacity.
        """
        players = self.game_server.players or PlayerState()
        if player_id in players.ids:
            return False
        if len(players.ids) >= players.capacity:
            raise SidecarError(Code.OUT_OF_RANGE, "players are already at capacity")
        self._players().ids.append(player_id)
        self._changed()
        return True

    def player_disconnect(self, player_id: str) -> bool:
        """`PlayerDisconnect`: True if removed, False if it was not connected."""
        players = self.game_server.players
        if players is None or player_id not in players.ids:
            return False
        players.ids.remove(player_id)
        self._changed()
        return True

    def set_player_capacity(self, capacity: int) -> None:
        """`SetPlayerCapacity`.

        Raises:
            SidecarError: INVALID_ARGUMENT for a negative capacity.
        """
        if capacity < 0:
            raise SidecarError(
                Code.INVALID_ARGUMENT,
                f"invalid argument. Capacity must be greater than or equal to 0. Found Capacity: {capacity}",
            )
        players = self.game_server.players
        if players is None or players.capacity != capacity:
            self._players().capacity = capacity
            self._changed()

    def player_capacity(self) -> int:
        """`GetPlayerCapacity`."""
        return self.game_server.players.capacity if self.game_server.players else 0

    def player_count(self) -> int:
        """`GetPlayerCount`."""
        return len(self.game_server.players.ids) if self.game_server.players else 0

    def is_player_connected(self, player_id: str) -> bool:
        """`IsPlayerConnected`."""
        return self.game_server.players is not None and player_id in self.game_server.players.ids

    def connected_players(self) -> list[str]:
        """`GetConnectedPlayers`."""
        return list(self.game_server.players.ids) if self.game_server.players else []
