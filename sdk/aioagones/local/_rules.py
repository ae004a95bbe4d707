"""The local sidecar's GameServer and every rule that changes it: no I/O, no asyncio, no logging.

Strategy: one mutable `GameServerRules` owns the state. Each SDK call is a method that checks
everything first and only then mutates, so a call that raises `SidecarError` changes nothing.
Time enters as `now` (monotonic seconds, for timers) and, where a cluster writes a wall-clock
timestamp, as an explicit `timestamp`. `version` grows by one on every change, so the I/O layer
knows when to tell watchers; `next_deadline()` says when `tick(now)` has something to do
(a Reserve running out, or health pings missed for too long).

Health rule: with health checking on, the GameServer becomes `Unhealthy` once
`failure_threshold * period_seconds` pass without a ping, counted from the later of the last
ping and the end of `initial_delay_seconds` (itself counted from `restart(now)` or creation).
`Unhealthy` is final: later state calls succeed but change nothing, as in a cluster, where
the GameServer is about to be replaced. `Shutdown` is not final (the reference local sidecar
allows any transition after it), but it stops health checking.

Error messages are the reference sidecar's texts; codes are the ones the proto comments promise.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from aioagones._constants import LAST_ALLOCATED_ANNOTATION as LAST_ALLOCATED
from aioagones._constants import MAX_LIST_CAPACITY
from aioagones._models import State
from aioagones._validation import SDK_PREFIX, annotation_error, label_error

__all__ = [
    "MAX_LIST_CAPACITY",
    "Code",
    "CounterState",
    "GameServerRules",
    "GameServerState",
    "HealthSpec",
    "ListState",
    "PlayerState",
    "SidecarError",
    "State",
]


class Code(enum.Enum):
    """The gRPC status code a refused call is answered with (names match `grpc.StatusCode`)."""

    NOT_FOUND = "NOT_FOUND"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"


class SidecarError(Exception):
    """A call the rules refuse; nothing was changed.

    Attributes:
        code: the status code to answer with.
        message: the reference sidecar's message text.
    """

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class HealthSpec:
    """`spec.health` of a GameServer."""

    disabled: bool = False
    period_seconds: int = 5
    failure_threshold: int = 3
    initial_delay_seconds: int = 5


@dataclass
class PlayerState:
    """Player tracking status (alpha): connected IDs in connection order."""

    capacity: int = 0
    ids: list[str] = field(default_factory=list)


@dataclass
class CounterState:
    """One counter (beta)."""

    count: int = 0
    capacity: int = 1000


@dataclass
class ListState:
    """One list (beta): unique values in insertion order."""

    capacity: int = 1000
    values: list[str] = field(default_factory=list)


@dataclass
class GameServerState:
    """Everything the sidecar knows about its GameServer (`_convert` makes the wire message of it)."""

    name: str
    namespace: str = "default"
    uid: str = ""
    resource_version: str = ""
    generation: int = 0
    creation_timestamp: int = 0
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    health: HealthSpec = field(default_factory=HealthSpec)
    state: str = State.SCHEDULED
    address: str = ""
    ports: list[tuple[str, int]] = field(default_factory=list)
    addresses: list[tuple[str, str]] = field(default_factory=list)
    players: PlayerState | None = None
    counters: dict[str, CounterState] = field(default_factory=dict)
    lists: dict[str, ListState] = field(default_factory=dict)


def _out_of_range_count(counter: CounterState) -> SidecarError:
    return SidecarError(
        Code.OUT_OF_RANGE,
        "out of range. Count must be within range [0,Capacity]. "
        f"Found Count: {counter.count}, Capacity: {counter.capacity}",
    )


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


class GameServerRules:
    """The GameServer state machine behind every SDK call of the local sidecar."""

    def __init__(self, game_server: GameServerState, *, now: float) -> None:
        """Take ownership of `game_server`; `now` starts the health check's initial delay."""
        self.state = game_server
        self.version = 0
        self._reserve_until: float | None = None
        self._health_start = now
        self._last_ping: float | None = None

    # -- state -------------------------------------------------------------------------------

    def _changed(self) -> None:
        self.version += 1

    def _set_state(self, state: State) -> None:
        if self.state.state == State.UNHEALTHY:
            return  # final, as in a cluster: the GameServer is being replaced
        self._reserve_until = None
        if self.state.state != state:
            self.state.state = state
            self._changed()

    def ready(self) -> None:
        """`Ready`: state Ready; cancels a pending reserve timer."""
        self._set_state(State.READY)

    def allocate(self, *, timestamp: str) -> None:
        """`Allocate`: state Allocated, and the `agones.dev/last-allocated` annotation = `timestamp`."""
        if self.state.state == State.UNHEALTHY:
            return
        self._set_state(State.ALLOCATED)
        if self.state.annotations.get(LAST_ALLOCATED) != timestamp:
            self.state.annotations[LAST_ALLOCATED] = timestamp
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
        if self.state.state == State.UNHEALTHY:
            return
        self._set_state(State.RESERVED)
        self._reserve_until = now + seconds if seconds > 0 else None

    def health(self, now: float) -> None:
        """One `Health` ping."""
        self._last_ping = now

    def restart(self, now: float) -> None:
        """The sidecar (re)started serving: the health check's initial delay starts again."""
        self._health_start = now
        self._last_ping = None

    def _health_deadline(self) -> float | None:
        gs = self.state
        if gs.health.disabled or gs.state in (State.UNHEALTHY, State.SHUTDOWN):
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
            if self.state.state == State.RESERVED:
                self._set_state(State.READY)
        deadline = self._health_deadline()
        if deadline is not None and now >= deadline:
            self._reserve_until = None
            self.state.state = State.UNHEALTHY
            self._changed()

    # -- metadata ----------------------------------------------------------------------------

    def set_label(self, key: str, value: str) -> None:
        """`SetLabel`: stored as `agones.dev/sdk-<key>`.

        Raises:
            SidecarError: INVALID_ARGUMENT for a key or value a cluster would refuse.
        """
        if (error := label_error(key, value)) is not None:
            raise SidecarError(Code.INVALID_ARGUMENT, error)
        self._set_meta(self.state.labels, key, value)

    def set_annotation(self, key: str, value: str) -> None:
        """`SetAnnotation`: stored as `agones.dev/sdk-<key>`.

        Raises:
            SidecarError: INVALID_ARGUMENT for a key or value a cluster would refuse.
        """
        if (error := annotation_error(key, value)) is not None:
            raise SidecarError(Code.INVALID_ARGUMENT, error)
        self._set_meta(self.state.annotations, key, value)

    def _set_meta(self, where: dict[str, str], key: str, value: str) -> None:
        if where.get(SDK_PREFIX + key) != value:
            where[SDK_PREFIX + key] = value
            self._changed()

    # -- players (alpha) ---------------------------------------------------------------------

    def _players(self) -> PlayerState:
        if self.state.players is None:
            self.state.players = PlayerState()
        return self.state.players

    def player_connect(self, player_id: str) -> bool:
        """`PlayerConnect`: True if added, False if already connected.

        Raises:
            SidecarError: OUT_OF_RANGE when the players are at capacity.
        """
        players = self.state.players or PlayerState()
        if player_id in players.ids:
            return False
        if len(players.ids) >= players.capacity:
            raise SidecarError(Code.OUT_OF_RANGE, "players are already at capacity")
        self._players().ids.append(player_id)
        self._changed()
        return True

    def player_disconnect(self, player_id: str) -> bool:
        """`PlayerDisconnect`: True if removed, False if it was not connected."""
        players = self.state.players
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
        players = self.state.players
        if players is None or players.capacity != capacity:
            self._players().capacity = capacity
            self._changed()

    def player_capacity(self) -> int:
        """`GetPlayerCapacity`."""
        return self.state.players.capacity if self.state.players else 0

    def player_count(self) -> int:
        """`GetPlayerCount`."""
        return len(self.state.players.ids) if self.state.players else 0

    def is_player_connected(self, player_id: str) -> bool:
        """`IsPlayerConnected`."""
        return self.state.players is not None and player_id in self.state.players.ids

    def connected_players(self) -> list[str]:
        """`GetConnectedPlayers`."""
        return list(self.state.players.ids) if self.state.players else []

    # -- counters (beta) ---------------------------------------------------------------------

    def get_counter(self, name: str) -> CounterState:
        """`GetCounter`.

        Raises:
            SidecarError: NOT_FOUND for an unknown counter.
        """
        counter = self.state.counters.get(name)
        if counter is None:
            raise SidecarError(Code.NOT_FOUND, f"counter not found: {name}")
        return CounterState(counter.count, counter.capacity)

    def update_counter(
        self, name: str, *, count: int | None = None, capacity: int | None = None, count_diff: int = 0
    ) -> CounterState:
        """`UpdateCounter`: set `capacity`, then `count`, then add `count_diff`, each checked.

        Raises:
            SidecarError: NOT_FOUND for an unknown counter; OUT_OF_RANGE for a negative capacity or
                a count outside [0, capacity] after any step.
        """
        current = self.state.counters.get(name)
        if current is None:
            raise SidecarError(Code.NOT_FOUND, f"not found. {name} Counter not found")
        new = CounterState(current.count, current.capacity)
        if capacity is not None:
            new.capacity = capacity
            if capacity < 0:
                raise SidecarError(
                    Code.OUT_OF_RANGE,
                    f"out of range. Capacity must be greater than or equal to 0. Found Capacity: {capacity}",
                )
        if count is not None:
            new.count = count
            if not 0 <= new.count <= new.capacity:
                raise _out_of_range_count(new)
        if count_diff:
            new.count += count_diff
            if not 0 <= new.count <= new.capacity:
                raise _out_of_range_count(new)
        if new != current:
            self.state.counters[name] = new
            self._changed()
        return CounterState(new.count, new.capacity)

    # -- lists (beta) ------------------------------------------------------------------------

    def _list(self, name: str) -> ListState:
        lst = self.state.lists.get(name)
        if lst is None:
            raise SidecarError(Code.NOT_FOUND, f"not found. {name} List not found")
        return lst

    @staticmethod
    def _copy(lst: ListState) -> ListState:
        return ListState(lst.capacity, list(lst.values))

    def get_list(self, name: str) -> ListState:
        """`GetList`.

        Raises:
            SidecarError: NOT_FOUND for an unknown list.
        """
        lst = self.state.lists.get(name)
        if lst is None:
            raise SidecarError(Code.NOT_FOUND, f"list not found: {name}")
        return self._copy(lst)

    def update_list(
        self, name: str, paths: Sequence[str], *, capacity: int = 0, values: Sequence[str] = ()
    ) -> ListState:
        """`UpdateList`: replace the fields named in the mask (`capacity`, `values`).

        Values are de-duplicated; values beyond the capacity are dropped from the end, as a
        cluster does when the capacity shrinks.

        Raises:
            SidecarError: INVALID_ARGUMENT for an empty or unknown mask path; NOT_FOUND for an
                unknown list; OUT_OF_RANGE for a capacity outside [0, 1000].
        """
        bad = [p for p in paths if p not in ("capacity", "values")]
        if not paths or bad:
            raise SidecarError(
                Code.INVALID_ARGUMENT,
                f"invalid argument. Field Mask Path(s): {list(paths)} are invalid for List. "
                "Use valid field name(s): [capacity values]",
            )
        current = self._list(name)
        new = ListState(current.capacity, list(current.values))
        if "capacity" in paths:
            if not 0 <= capacity <= MAX_LIST_CAPACITY:
                raise SidecarError(
                    Code.OUT_OF_RANGE,
                    f"out of range. Capacity must be within range [0,{MAX_LIST_CAPACITY}]. Found Capacity: {capacity}",
                )
            new.capacity = capacity
        if "values" in paths:
            new.values = _unique(values)
        del new.values[new.capacity :]
        if new != current:
            self.state.lists[name] = new
            self._changed()
        return self._copy(new)

    def add_list_value(self, name: str, value: str) -> ListState:
        """`AddListValue`.

        Raises:
            SidecarError: NOT_FOUND for an unknown list; OUT_OF_RANGE when it is full;
                ALREADY_EXISTS for a value already in it.
        """
        lst = self._list(name)
        if len(lst.values) >= lst.capacity:
            raise SidecarError(
                Code.OUT_OF_RANGE,
                f"out of range. No available capacity. Current Capacity: {lst.capacity}, List Size: {len(lst.values)}",
            )
        if value in lst.values:
            raise SidecarError(Code.ALREADY_EXISTS, f"already exists. Value: {value} already in List: {name}")
        lst.values.append(value)
        self._changed()
        return self._copy(lst)

    def remove_list_value(self, name: str, value: str) -> ListState:
        """`RemoveListValue`.

        Raises:
            SidecarError: NOT_FOUND for an unknown list or a value not in it.
        """
        lst = self._list(name)
        if value not in lst.values:
            raise SidecarError(Code.NOT_FOUND, f"not found. Value: {value} not found in List: {name}")
        lst.values.remove(value)
        self._changed()
        return self._copy(lst)
