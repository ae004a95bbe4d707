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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from aioagones._constants import LAST_ALLOCATED_ANNOTATION as LAST_ALLOCATED
from aioagones._constants import MAX_LIST_CAPACITY
from aioagones._models import State
from aioagones._validation import SDK_PREFIX, annotation_error, label_error

__all__ = [
    "MAX_LIST_CAPACITY",
    "Code",
    "CounterAction",
    "CounterState",
    "GameServerRules",
    "GameServerState",
    "HealthSpec",
    "ListAction",
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
    FAILED_PRECONDITION = "FAILED_PRECONDITION"


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

    capacity: int = MAX_LIST_CAPACITY
    values: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CounterAction:
    """What a GameServerAllocation does to one counter (`spec.counters.<name>`)."""

    action: str | None = None
    """`Increment` or `Decrement` (with `amount`)."""
    amount: int | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class ListAction:
    """What a GameServerAllocation does to one list (`spec.lists.<name>`)."""

    add_values: tuple[str, ...] = ()
    delete_values: tuple[str, ...] = ()
    capacity: int | None = None


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
        self.health_checking = True
        """False while the cluster's health checking is stopped (`set_health_checking`)."""

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
        if gs.health.disabled or not self.health_checking or gs.state in (State.UNHEALTHY, State.SHUTDOWN):
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

    def replace(self, game_server: GameServerState, now: float) -> None:
        """Take a new GameServer whole (its manifest was edited); a new state cancels a pending Reserve."""
        if game_server.state != self.state.state:
            self._reserve_until = None
            if self.state.state == State.UNHEALTHY:
                self.restart(now)  # brought back to life by hand: health checking starts over
        self.state = game_server
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

        An empty mask is valid and changes nothing (Agones' Node.js SDK sends one); the capacity
        is checked whatever the mask, as both Agones sidecars do.

        Raises:
            SidecarError: INVALID_ARGUMENT for an unknown mask path; NOT_FOUND for an
                unknown list; OUT_OF_RANGE for a capacity outside [0, 1000].
        """
        bad = [p for p in paths if p not in ("capacity", "values")]
        if bad:
            raise SidecarError(
                Code.INVALID_ARGUMENT,
                f"invalid argument. Field Mask Path(s): {list(paths)} are invalid for List. "
                "Use valid field name(s): [capacity values]",
            )
        if not 0 <= capacity <= MAX_LIST_CAPACITY:
            raise SidecarError(
                Code.OUT_OF_RANGE,
                f"out of range. Capacity must be within range [0,{MAX_LIST_CAPACITY}]. Found Capacity: {capacity}",
            )
        current = self._list(name)
        new = ListState(current.capacity, list(current.values))
        if "capacity" in paths:
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

    # -- the cluster's hand (what only the cluster does, for the local control surface) -------

    def set_state(self, state: str) -> None:
        """Put the GameServer into `state`, whatever it is now (also out of `Unhealthy`).

        Raises:
            SidecarError: INVALID_ARGUMENT for a name that is not a GameServer state.
        """
        known = [member.value for member in State]
        if state not in known:
            raise SidecarError(
                Code.INVALID_ARGUMENT, f"invalid argument. {state!r} is not a GameServer state; use one of {known}"
            )
        self._reserve_until = None
        if self.state.state != state:
            self.state.state = State(state)
            self._changed()

    def set_health_checking(self, enabled: bool, now: float) -> None:
        """Stop or resume the cluster's health checking; resuming gives the game a whole window again."""
        if enabled and not self.health_checking:
            self._last_ping = now
        self.health_checking = enabled

    def apply_allocation(
        self,
        *,
        timestamp: str,
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
        counters: dict[str, CounterAction] | None = None,
        lists: dict[str, ListAction] | None = None,
    ) -> list[str]:
        """A GameServerAllocation as Agones' allocator applies it; returns its warnings.

        The GameServer must be `Ready` or already `Allocated` (an allocation may pick those only).
        It becomes `Allocated`; `labels` and `annotations` are merged into its metadata;
        `agones.dev/last-allocated` = `timestamp`. Then each counter action sets the capacity and
        increments or decrements the count, clamped to [0, capacity]; each list action sets the
        capacity, appends values (duplicates dropped, cut at the capacity) and deletes values. As in
        a cluster, an action that cannot be done (an unknown counter ...) does not stop the
        allocation: it comes back as a warning.

        Raises:
            SidecarError: FAILED_PRECONDITION when the GameServer cannot be allocated now;
                INVALID_ARGUMENT for metadata or actions a cluster would refuse (nothing changed).
        """
        labels, annotations = labels or {}, annotations or {}
        counters, lists = counters or {}, lists or {}
        for key, value in labels.items():
            if (error := qualified_name_error(key) or label_value_error(value)) is not None:
                raise SidecarError(Code.INVALID_ARGUMENT, f"invalid argument. metadata.labels: {error}")
        for key in annotations:
            if (error := qualified_name_error(key)) is not None:
                raise SidecarError(Code.INVALID_ARGUMENT, f"invalid argument. metadata.annotations: {error}")
        for name, counter_action in counters.items():
            if (error := _counter_action_error(counter_action)) is not None:
                raise SidecarError(Code.INVALID_ARGUMENT, f"invalid argument. counters.{name}: {error}")
        for name, list_action in lists.items():
            capacity = list_action.capacity
            if capacity is not None and not 0 <= capacity <= MAX_LIST_CAPACITY:
                raise SidecarError(
                    Code.INVALID_ARGUMENT,
                    f"invalid argument. lists.{name}.capacity: {capacity}; allowed: 0..{MAX_LIST_CAPACITY}",
                )
        if self.state.state not in (State.READY, State.ALLOCATED):
            raise SidecarError(
                Code.FAILED_PRECONDITION,
                f"failed precondition. The GameServer is {self.state.state}; an allocation picks a Ready "
                "(or an Allocated) GameServer only. Call Ready first, or set the state directly.",
            )
        gs = self.state
        self._reserve_until = None
        gs.state = State.ALLOCATED
        gs.labels.update(labels)
        gs.annotations.update(annotations)
        gs.annotations[LAST_ALLOCATED] = timestamp
        warnings = []
        for name, counter_action in counters.items():
            counter = gs.counters.get(name)
            if counter is None:
                warnings.append(f"counter {name!r} not found in GameServer {gs.name}")
                continue
            if counter_action.capacity is not None:
                counter.capacity = counter_action.capacity
                counter.count = min(counter.count, counter.capacity)
            if counter_action.action is not None and counter_action.amount is not None:
                sign = 1 if counter_action.action == "Increment" else -1
                counter.count = max(0, min(counter.count + sign * counter_action.amount, counter.capacity))
        for name, list_action in lists.items():
            lst = gs.lists.get(name)
            if lst is None:
                warnings.append(f"list {name!r} not found in GameServer {gs.name}")
                continue
            if list_action.capacity is not None:
                lst.capacity = list_action.capacity
            lst.values = _unique([*lst.values, *list_action.add_values])[: lst.capacity]
            lst.values = [v for v in lst.values if v not in list_action.delete_values]
        self._changed()
        return warnings


_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")


def qualified_name_error(key: str) -> str | None:
    """Why Kubernetes refuses `key` as a label or annotation key (`[prefix/]name`), or None."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and (
        not prefix or len(prefix) > 253 or not all(_DNS_LABEL.fullmatch(part) for part in prefix.split("."))
    ):
        return f"key {key!r}: the prefix must be a DNS subdomain (lower case, e.g. example.com/{name})"
    if not name or len(name) > 63 or not _NAME.fullmatch(name):
        return (
            f"key {key!r}: the name must be 1-63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def label_value_error(value: str) -> str | None:
    """Why Kubernetes refuses `value` as a label value, or None."""
    if value and (len(value) > 63 or not _NAME.fullmatch(value)):
        return (
            f"value {value!r}: at most 63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit (or empty)"
        )
    return None


def _counter_action_error(action: CounterAction) -> str | None:
    if action.action is not None and action.action not in ("Increment", "Decrement"):
        return f"action {action.action!r}: use Increment or Decrement"
    if (action.action is None) != (action.amount is None):
        return "action and amount go together"
    if action.amount is not None and action.amount < 0:
        return f"amount {action.amount}: must be 0 or more"
    if action.capacity is not None and action.capacity < 0:
        return f"capacity {action.capacity}: must be 0 or more"
    return None
