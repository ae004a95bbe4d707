"""The local sidecar's values: the GameServer it holds, what a refusal carries, what an allocation asks.

Plain data, no rules: `_rules` changes a `GameServerState` for SDK calls, `_cluster` for what only
the cluster does, `_convert` makes wire messages of it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from aioagones._constants import MAX_LIST_CAPACITY
from aioagones._models import State

__all__ = [
    "Allocation",
    "Code",
    "CounterAction",
    "CounterState",
    "GameServerState",
    "HealthSpec",
    "ListAction",
    "ListState",
    "PlayerState",
    "SidecarError",
    "printable",
]

# C0 and C1 controls and the Unicode line separators: each could end a log line and forge the next.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """`text` for one log line: control characters escaped as Python writes them (`\\n`, `\\x1b`)."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class Code(enum.Enum):
    """The gRPC status code a refused call is answered with (names match `grpc.StatusCode`)."""

    NOT_FOUND = "NOT_FOUND"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"


class SidecarError(Exception):
    """A call the local sidecar refuses; nothing was changed.

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


@dataclass(frozen=True)
class Allocation:
    """A GameServerAllocation as the local sidecar applies it: metadata to merge, counter and list actions.

    Built once where the request arrives (the HTTP body, `LocalSidecar.allocate`) and passed whole.
    """

    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    counters: Mapping[str, CounterAction] = field(default_factory=dict)
    lists: Mapping[str, ListAction] = field(default_factory=dict)


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
