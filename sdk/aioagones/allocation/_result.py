"""`Allocation`: the allocator's answer as a typed, immutable value, and as Agones' REST prints it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .._endpoints import Endpoint, pod_endpoints
from .._models import Address, CounterStatus, ListStatus, Port
from .._pb import allocation_pb2 as pb

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Allocation:
    """An allocated GameServer: name, node, ports by name, every address typed, metadata, counters, lists.

    `labels` and `annotations` are the GameServer's whole metadata after the allocation;
    `counters` and `lists` are after the request's actions. `address` is the node's: use
    `endpoints()` for where a player connects.
    """

    game_server_name: str
    ports: tuple[Port, ...] = ()
    address: str = ""
    addresses: tuple[Address, ...] = ()
    node_name: str = ""
    source: str = ""
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    annotations: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    counters: Mapping[str, CounterStatus] = field(default_factory=lambda: _EMPTY)
    lists: Mapping[str, ListStatus] = field(default_factory=lambda: _EMPTY)

    def port(self, name: str = "default") -> int | None:
        """The port named `name`, or None if there is none."""
        return next((p.port for p in self.ports if p.name == name), None)

    @property
    def pod_ips(self) -> tuple[str, ...]:
        """The `PodIP` addresses as Agones lists them (empty while the Pod has none yet)."""
        return tuple(a.address for a in self.addresses if a.type == "PodIP")

    def endpoints(self, port_name: str = "default") -> tuple[Endpoint, ...]:
        """Where a player connects for a `portPolicy: None` port: the Pod IPs, IPv6 first, on that port.

        Raises NoPodIPError while the Pod has no IP yet (Agones 1.58+; watch the GameServer or
        ask again in a moment), PortNotFoundError for an unknown port name.
        """
        return pod_endpoints(
            ((a.type, a.address) for a in self.addresses),
            ((p.name, p.port) for p in self.ports),
            port_name,
            game_server=self.game_server_name,
        )

    @classmethod
    def from_pb(cls, reply: pb.AllocationResponse) -> Allocation:
        """Build from the generated `allocation.AllocationResponse` message."""
        return cls(
            game_server_name=reply.gameServerName,
            ports=tuple(Port(p.name, p.port) for p in reply.ports),
            address=reply.address,
            addresses=tuple(Address(a.type, a.address) for a in reply.addresses),
            node_name=reply.nodeName,
            source=reply.source,
            labels=MappingProxyType(dict(reply.metadata.labels)),
            annotations=MappingProxyType(dict(reply.metadata.annotations)),
            counters=MappingProxyType(
                {k: CounterStatus(c.count.value, c.capacity.value) for k, c in reply.counters.items()}
            ),
            lists=MappingProxyType({k: ListStatus(v.capacity.value, tuple(v.values)) for k, v in reply.lists.items()}),
        )

    def to_json(self) -> dict[str, Any]:
        """The allocation as Agones' REST API answers it: camelCase, field order kept, int64 as strings."""
        return {
            "gameServerName": self.game_server_name,
            "ports": [{"name": p.name, "port": p.port} for p in self.ports],
            "address": self.address,
            "addresses": [{"type": a.type, "address": a.address} for a in self.addresses],
            "nodeName": self.node_name,
            "source": self.source,
            "metadata": {"labels": dict(self.labels), "annotations": dict(self.annotations)},
            "counters": {k: {"count": str(c.count), "capacity": str(c.capacity)} for k, c in self.counters.items()},
            "lists": {k: {"values": list(v.values), "capacity": str(v.capacity)} for k, v in self.lists.items()},
        }
