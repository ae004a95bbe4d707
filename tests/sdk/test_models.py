"""Typed results built from protobuf messages."""

from __future__ import annotations

import dataclasses

import pytest

from aioagones import Address, GameServer, Port, State
from aioagones._pb import sdk_pb2


def _pb() -> sdk_pb2.GameServer:
    gs = sdk_pb2.GameServer()
    gs.object_meta.name = "gs-1"
    gs.object_meta.labels["a"] = "b"
    gs.spec.health.period_seconds = 5
    gs.status.state = "Allocated"
    gs.status.ports.add(name="default", port=7777)
    gs.status.ports.add(name="admin", port=7000)
    gs.status.addresses.add(type="InternalIP", address="10.0.0.9")
    gs.status.addresses.add(type="PodIP", address="198.51.100.7")
    gs.status.addresses.add(type="PodIP", address="2001:db8::7")
    gs.status.counters["rooms"].count = 3
    gs.status.counters["rooms"].capacity = 10
    gs.status.lists["players"].values.extend(["p1", "p2"])
    return gs


def test_from_pb() -> None:
    gs = GameServer.from_pb(_pb())
    assert gs.object_meta.name == "gs-1"
    assert gs.object_meta.labels == {"a": "b"}
    assert gs.spec.health.period_seconds == 5
    assert gs.status.state is State.ALLOCATED
    assert gs.status.ports == (Port("default", 7777), Port("admin", 7000))
    assert gs.status.port("default") == 7777
    assert gs.status.port("admin") == 7000
    assert gs.status.port("missing") is None
    assert gs.status.pod_ips == ("198.51.100.7", "2001:db8::7")
    assert gs.status.addresses[0] == Address("InternalIP", "10.0.0.9")
    assert gs.status.counters["rooms"].count == 3
    assert gs.status.lists["players"].values == ("p1", "p2")
    assert gs.status.players is None


def test_results_are_immutable_and_detached_from_the_message() -> None:
    pb = _pb()
    gs = GameServer.from_pb(pb)
    pb.object_meta.labels["a"] = "changed"
    assert gs.object_meta.labels["a"] == "b"
    with pytest.raises(dataclasses.FrozenInstanceError):
        gs.status.state = State.READY  # type: ignore[misc]
    with pytest.raises(TypeError):
        gs.object_meta.labels["x"] = "y"  # type: ignore[index]
    assert GameServer.from_pb(pb) != gs
    assert GameServer.from_pb(_pb()) == gs


def test_unknown_future_state_is_kept() -> None:
    state = State("Draining")
    assert state == "Draining"
    assert state.value == "Draining"
    assert State("Draining") is state
    assert state not in (State.READY, State.SHUTDOWN)
    assert State("Ready") is State.READY
