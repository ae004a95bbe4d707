"""The endpoints rule, on `Allocation` and on the SDK's `Status`; `Allocation` from the wire and as REST JSON."""

from __future__ import annotations

import json

import pytest

from aioagones import Address, Endpoint, NoPodIPError, Port, PortNotFoundError, Status
from aioagones.allocation import Allocation

from ._fake import reply


def test_pod_ips_ipv6_first_on_the_named_port_never_the_node() -> None:
    allocation = Allocation.from_pb(reply(pod_ips=("198.51.100.10", "2001:db8:1::a", "198.51.100.11", "2001:db8:1::b")))
    endpoints = allocation.endpoints("default")
    assert [str(e) for e in endpoints] == [
        "[2001:db8:1::a]:7777",
        "[2001:db8:1::b]:7777",
        "198.51.100.10:7777",
        "198.51.100.11:7777",
    ]
    assert [e.family for e in endpoints] == [6, 6, 4, 4]
    assert allocation.address not in {e.host for e in endpoints}  # the node's


def test_no_pod_ip_yet_is_told_apart_and_says_what_to_do() -> None:
    allocation = Allocation.from_pb(reply("gs-late", pod_ips=()))
    with pytest.raises(NoPodIPError, match=r"'gs-late' has no Pod IP yet.*watch the GameServer") as caught:
        allocation.endpoints()
    assert caught.value.retriable
    assert allocation.address == "198.51.100.1"  # it was there to take, and was not taken


def test_unknown_port_name() -> None:
    with pytest.raises(PortNotFoundError, match=r"no port named 'game'.*'default'"):
        Allocation.from_pb(reply()).endpoints("game")


def test_status_uses_the_same_rule() -> None:
    status = Status(
        ports=(Port("default", 7654),),
        address="198.51.100.1",
        addresses=(
            Address("InternalIP", "198.51.100.1"),
            Address("PodIP", "203.0.113.7"),
            Address("PodIP", "2001:db8::7"),
        ),
    )
    assert status.endpoints() == (Endpoint("2001:db8::7", 7654), Endpoint("203.0.113.7", 7654))
    assert [str(e) for e in status.endpoints()] == ["[2001:db8::7]:7654", "203.0.113.7:7654"]
    with pytest.raises(NoPodIPError):
        Status(ports=(Port("default", 7654),), address="198.51.100.1").endpoints()


def test_duplicate_and_non_ip_pod_addresses_are_dropped() -> None:
    status = Status(
        ports=(Port("default", 1),),
        addresses=(Address("PodIP", "2001:DB8::7"), Address("PodIP", "2001:db8::7"), Address("PodIP", "pod.local")),
    )
    assert [str(e) for e in status.endpoints()] == ["[2001:db8::7]:1"]


def test_allocation_is_typed_and_immutable() -> None:
    allocation = Allocation.from_pb(reply())
    assert allocation.port() == 7777 and allocation.port("nope") is None
    assert allocation.pod_ips == ("198.51.100.10", "2001:db8:1::a")
    assert [a.type for a in allocation.addresses] == ["InternalIP", "InternalIP", "Hostname", "PodIP", "PodIP"]
    with pytest.raises(TypeError):
        allocation.labels["x"] = "y"  # type: ignore[index]


def test_json_is_agones_rest_shape() -> None:
    message = reply()
    message.counters["rooms"].count.value = 2
    message.counters["rooms"].capacity.value = 10
    message.lists["players"].values.extend(["p0", "p1"])
    message.lists["players"].capacity.value = 8
    document = Allocation.from_pb(message).to_json()
    assert list(document) == [
        "gameServerName",
        "ports",
        "address",
        "addresses",
        "nodeName",
        "source",
        "metadata",
        "counters",
        "lists",
    ]
    assert document["counters"] == {"rooms": {"count": "2", "capacity": "10"}}
    assert document["lists"] == {"players": {"values": ["p0", "p1"], "capacity": "8"}}
    assert document["ports"] == [{"name": "default", "port": 7777}]
    json.dumps(document)
