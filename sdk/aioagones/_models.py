"""Typed, immutable views of what the sidecar returns.

Results are frozen dataclasses built once from the protobuf message, so callers never
hold (or mutate) a generated message. Maps are read-only; sequences are tuples.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ._endpoints import Endpoint, pod_endpoints
from ._pb import beta_pb2, sdk_pb2

_EMPTY: Mapping[str, str] = MappingProxyType({})


class State(enum.StrEnum):
    """The GameServer state; an unknown future state becomes a member of its own, not an error."""

    SCHEDULED = "Scheduled"
    REQUEST_READY = "RequestReady"
    READY = "Ready"
    RESERVED = "Reserved"
    ALLOCATED = "Allocated"
    SHUTDOWN = "Shutdown"
    UNHEALTHY = "Unhealthy"
    ERROR = "Error"
    CREATING = "Creating"
    STARTING = "Starting"
    PORT_ALLOCATION = "PortAllocation"

    @classmethod
    def _missing_(cls, value: object) -> State | None:
        if not isinstance(value, str):
            return None
        # A newer Agones may add states; keep the text rather than failing the whole watch.
        member = str.__new__(cls, value)
        member._name_ = value.upper() or "UNKNOWN"
        member._value_ = value
        return cls._value2member_map_.setdefault(value, member)  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class ObjectMeta:
    """The GameServer's Kubernetes metadata; timestamps are Unix seconds, 0 when unset."""

    name: str = ""
    namespace: str = ""
    uid: str = ""
    resource_version: str = ""
    generation: int = 0
    creation_timestamp: int = 0
    deletion_timestamp: int = 0
    annotations: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class Health:
    """`spec.health`: how often the sidecar expects a ping and when it gives up."""

    disabled: bool = False
    period_seconds: int = 0
    failure_threshold: int = 0
    initial_delay_seconds: int = 0


@dataclass(frozen=True, slots=True)
class Spec:
    """The part of the GameServer spec the sidecar shows."""

    health: Health = field(default_factory=Health)


@dataclass(frozen=True, slots=True)
class Port:
    """A port in `status.ports`: for `portPolicy: None` the containerPort, else the host port."""

    name: str
    port: int


@dataclass(frozen=True, slots=True)
class Address:
    """An entry of `status.addresses`, e.g. `Address("PodIP", "2001:db8::5")`."""

    type: str
    address: str


@dataclass(frozen=True, slots=True)
class PlayerStatus:
    """Player tracking (alpha): connected IDs and capacity."""

    count: int = 0
    capacity: int = 0
    ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CounterStatus:
    """A counter as it appears in `status.counters`."""

    count: int = 0
    capacity: int = 0


@dataclass(frozen=True, slots=True)
class ListStatus:
    """A list as it appears in `status.lists`."""

    capacity: int = 0
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Status:
    """The GameServer status: state, where it is reached, players, counters and lists."""

    state: State = State.SCHEDULED
    address: str = ""
    ports: tuple[Port, ...] = ()
    players: PlayerStatus | None = None
    counters: Mapping[str, CounterStatus] = field(default_factory=lambda: MappingProxyType({}))
    lists: Mapping[str, ListStatus] = field(default_factory=lambda: MappingProxyType({}))
    addresses: tuple[Address, ...] = ()

    def port(self, name: str = "default") -> int | None:
        """The port named `name` in `status.ports`, or None if there is none."""
        return next((p.port for p in self.ports if p.name == name), None)

    @property
    def pod_ips(self) -> tuple[str, ...]:
        """The Pod IPs (`PodIP` entries of `status.addresses`): where a `None` port is reached."""
        return tuple(a.address for a in self.addresses if a.type == "PodIP")

    def endpoints(self, port_name: str = "default") -> tuple[Endpoint, ...]:
        """Where a player connects for a `portPolicy: None` port: the Pod IPs (IPv6 first) on it.

        Raises NoPodIPError while the Pod has no IP yet (watch and ask again), PortNotFoundError
        for an unknown port name. The node's `address` is never returned.
        """
        return pod_endpoints(
            ((a.type, a.address) for a in self.addresses), ((p.name, p.port) for p in self.ports), port_name
        )


@dataclass(frozen=True, slots=True)
class GameServer:
    """A GameServer as the sidecar reports it."""

    object_meta: ObjectMeta = field(default_factory=ObjectMeta)
    spec: Spec = field(default_factory=Spec)
    status: Status = field(default_factory=Status)

    @classmethod
    def from_pb(cls, pb: sdk_pb2.GameServer) -> GameServer:
        """Build from the generated `agones.dev.sdk.GameServer` message."""
        meta, health, status = pb.object_meta, pb.spec.health, pb.status
        return cls(
            object_meta=ObjectMeta(
                name=meta.name,
                namespace=meta.namespace,
                uid=meta.uid,
                resource_version=meta.resource_version,
                generation=meta.generation,
                creation_timestamp=meta.creation_timestamp,
                deletion_timestamp=meta.deletion_timestamp,
                annotations=MappingProxyType(dict(meta.annotations)),
                labels=MappingProxyType(dict(meta.labels)),
            ),
            spec=Spec(
                Health(
                    disabled=health.disabled,
                    period_seconds=health.period_seconds,
                    failure_threshold=health.failure_threshold,
                    initial_delay_seconds=health.initial_delay_seconds,
                )
            ),
            status=Status(
                state=State(status.state),
                address=status.address,
                ports=tuple(Port(p.name, p.port) for p in status.ports),
                players=(
                    PlayerStatus(status.players.count, status.players.capacity, tuple(status.players.ids))
                    if status.HasField("players")
                    else None
                ),
                counters=MappingProxyType({k: CounterStatus(v.count, v.capacity) for k, v in status.counters.items()}),
                lists=MappingProxyType({k: ListStatus(v.capacity, tuple(v.values)) for k, v in status.lists.items()}),
                addresses=tuple(Address(a.type, a.address) for a in status.addresses),
            ),
        )


@dataclass(frozen=True, slots=True)
class Counter:
    """A counter (beta) as `get_counter` returns it."""

    name: str
    count: int
    capacity: int

    @classmethod
    def from_pb(cls, pb: beta_pb2.Counter) -> Counter:
        """Build from the generated `agones.dev.sdk.beta.Counter` message."""
        return cls(pb.name, pb.count, pb.capacity)


@dataclass(frozen=True, slots=True)
class List:
    """A list (beta) as `get_list` returns it."""

    name: str
    capacity: int
    values: tuple[str, ...]

    @classmethod
    def from_pb(cls, pb: beta_pb2.List) -> List:
        """Build from the generated `agones.dev.sdk.beta.List` message."""
        return cls(pb.name, pb.capacity, tuple(pb.values))
