"""The allocation rules on their own: selectors, conditions, order, validation, the reply."""

from __future__ import annotations

import random
from typing import Any

import grpc
import pytest
from google.protobuf import json_format

from aioagones._pb import allocation_pb2 as pb
from aioagones.local_allocator import AllocationError, LocalGameServer
from aioagones.local_allocator._select import allocation_response, choose, matches, validate
from aioagones.local_allocator._sidecars import parse_sidecar


def gs(name: str, state: str = "Ready", **kw: Any) -> LocalGameServer:
    node = kw.pop("node", "n1")
    return LocalGameServer(sidecar=f"{name}:1", node=node, name=name, namespace="default", state=state, **kw)


def req(**fields: Any) -> pb.AllocationRequest:
    return json_format.ParseDict({"namespace": "default", **fields}, pb.AllocationRequest())


def pick(request: pb.AllocationRequest, *servers: LocalGameServer) -> str | None:
    chosen = choose(request, servers, random.Random(1))
    return None if chosen is None else chosen.name


def test_no_selector_takes_a_ready_game_server_never_an_allocated_one() -> None:
    assert pick(req(), gs("a", "Allocated"), gs("b", "Reserved"), gs("c")) == "c"
    assert pick(req(), gs("a", "Allocated"), gs("b", "Shutdown")) is None


def test_another_namespace_or_none_matches_nothing() -> None:
    assert pick(req(namespace="other"), gs("a")) is None
    assert pick(req(namespace=""), gs("a")) is None


def test_selectors_are_tried_in_order_whatever_the_game_server_order() -> None:
    request = req(gameServerSelectors=[{"matchLabels": {"mode": "ctf"}}, {"matchLabels": {"mode": "dm"}}])
    servers = (gs("a", labels={"mode": "dm"}), gs("b", labels={"mode": "ctf"}))
    assert pick(request, *servers) == "b"
    assert pick(request, servers[0]) == "a"
    assert pick(req(gameServerSelectors=[{"matchLabels": {"mode": "tdm"}}]), *servers) is None


def test_deprecated_preferred_then_required() -> None:
    v1, v2, v3 = ({"matchLabels": {"v": v}} for v in "123")
    request = req(preferredGameServerSelectors=[v2], requiredGameServerSelector=v1)
    assert pick(request, gs("a", labels={"v": "1"}), gs("b", labels={"v": "2"})) == "b"
    assert pick(request, gs("a", labels={"v": "1"}), gs("c", labels={"v": "3"})) == "a"
    # gameServerSelectors, when given, replace both.
    both = req(gameServerSelectors=[v3], requiredGameServerSelector=v1)
    assert pick(both, gs("a", labels={"v": "1"})) is None


def test_state_allocated_re_allocates_and_packed_puts_allocated_first() -> None:
    request = req(gameServerSelectors=[{"gameServerState": "ALLOCATED"}, {}])
    assert pick(request, gs("a"), gs("b", "Allocated")) == "b"
    assert pick(req(gameServerSelectors=[{"gameServerState": "ALLOCATED"}]), gs("a")) is None


@pytest.mark.parametrize(
    ("expression", "labels", "expected"),
    [
        ({"key": "m", "operator": "In", "values": ["x", "y"]}, {"m": "y"}, True),
        ({"key": "m", "operator": "In", "values": ["x"]}, {}, False),
        ({"key": "m", "operator": "NotIn", "values": ["x"]}, {}, True),
        ({"key": "m", "operator": "NotIn", "values": ["x"]}, {"m": "x"}, False),
        ({"key": "m", "operator": "Exists"}, {"m": ""}, True),
        ({"key": "m", "operator": "DoesNotExist"}, {"m": ""}, False),
    ],
)
def test_match_expressions(expression: dict[str, Any], labels: dict[str, str], expected: bool) -> None:
    selector = json_format.ParseDict({"matchExpressions": [expression]}, pb.GameServerSelector())
    assert matches(selector, gs("a", labels=labels)) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"minAvailable": 2}, True),  # 3 of 5 used: 2 available
        ({"minAvailable": 3}, False),
        ({"maxAvailable": 1}, False),
        ({"maxAvailable": 0}, True),  # 0: no limit
        ({"minCount": 3, "maxCount": 3}, True),
        ({"maxCount": 2}, False),
        ({"minCount": 4}, False),
    ],
)
def test_counter_conditions(condition: dict[str, int], expected: bool) -> None:
    selector = json_format.ParseDict({"counters": {"rooms": condition}}, pb.GameServerSelector())
    assert matches(selector, gs("a", counters={"rooms": (3, 5)})) is expected
    assert not matches(selector, gs("a", counters={"other": (3, 5)}))  # a missing counter never matches


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"minAvailable": 1}, True),  # 2 of 3 taken
        ({"minAvailable": 2}, False),
        ({"maxAvailable": 1}, True),
        ({"containsValue": "p1"}, True),
        ({"containsValue": "p9"}, False),
    ],
)
def test_list_conditions(condition: dict[str, Any], expected: bool) -> None:
    selector = json_format.ParseDict({"lists": {"players": condition}}, pb.GameServerSelector())
    assert matches(selector, gs("a", lists={"players": (3, ("p0", "p1"))})) is expected
    assert not matches(selector, gs("a"))


def test_packed_prefers_the_busiest_node_then_the_name() -> None:
    servers = (gs("a", node="n1"), gs("b", node="n2"), gs("c", node="n2", state="Allocated"))
    assert pick(req(), *servers) == "b"  # n2 has an Allocated GameServer
    assert pick(req(), gs("b"), gs("a")) == "a"


def test_priorities_order_by_available_capacity() -> None:
    servers = (gs("a", counters={"rooms": (1, 10)}), gs("b", counters={"rooms": (8, 10)}), gs("c"))
    ascending = [{"type": "Counter", "key": "rooms", "order": "Ascending"}]
    descending = [{"type": "Counter", "key": "rooms", "order": "Descending"}]
    assert pick(req(priorities=ascending), *servers) == "b"  # least room left first
    assert pick(req(priorities=descending), *servers) == "a"
    for scheduling in ("Packed", "Distributed"):
        assert pick(req(priorities=descending, scheduling=scheduling), servers[2], servers[1]) == "b"


def test_distributed_without_priorities_spreads_and_packed_does_not() -> None:
    servers = [gs(name) for name in "abcdef"]
    rng = random.Random(7)

    def names(scheduling: str) -> set[str | None]:
        return {getattr(choose(req(scheduling=scheduling), servers, rng), "name", None) for _ in range(40)}

    assert len(names("Distributed")) > 1
    assert names("Packed") == {"a"}


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"gameServerSelectors": [{"counters": {"rooms": {"minCount": -1}}}]}, "counters[rooms]: minCount"),
        ({"gameServerSelectors": [{"lists": {"p": {"minAvailable": 5, "maxAvailable": 2}}}]}, "maxAvailable must"),
        ({"gameServerSelectors": [{"matchExpressions": [{"key": "m", "operator": "In"}]}]}, "required for In"),
        ({"priorities": [{"type": "List"}]}, "priorities[0].key: required"),
        ({"counters": {"rooms": {"amount": 1}}}, "counters[rooms]: action and amount go together"),
        ({"counters": {"rooms": {"action": "Double", "amount": 1}}}, "use Increment or Decrement"),
        ({"lists": {"p": {"capacity": -1}}}, "lists[p].capacity: must be 0 or more"),
    ],
)
def test_invalid_requests_are_refused_naming_the_field(fields: dict[str, Any], says: str) -> None:
    with pytest.raises(AllocationError) as caught:
        validate(req(**fields))
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert says in caught.value.message


def test_multi_cluster_is_refused() -> None:
    with pytest.raises(AllocationError) as caught:
        validate(req(multiClusterSetting={"enabled": True}))
    assert caught.value.code == grpc.StatusCode.UNIMPLEMENTED


def test_the_reply_carries_the_whole_game_server() -> None:
    server = gs(
        "a",
        labels={"mode": "ctf"},
        annotations={"k": "v"},
        address="198.51.100.10",
        addresses=(("PodIP", "198.51.100.10"), ("PodIP", "2001:db8::a")),
        ports=(("default", 7777),),
        counters={"rooms": (2, 10)},
        lists={"players": (8, ("p0",))},
    )
    assert json_format.MessageToDict(allocation_response(server)) == {
        "gameServerName": "a",
        "ports": [{"name": "default", "port": 7777}],
        "address": "198.51.100.10",
        "addresses": [{"type": "PodIP", "address": "198.51.100.10"}, {"type": "PodIP", "address": "2001:db8::a"}],
        "nodeName": "n1",
        "source": "local",
        "metadata": {"labels": {"mode": "ctf"}, "annotations": {"k": "v"}},
        "counters": {"rooms": {"count": "2", "capacity": "10"}},
        "lists": {"players": {"values": ["p0"], "capacity": "8"}},
    }


def test_a_game_server_is_read_from_the_sidecars_json_and_its_node_is_a_hostname_address() -> None:
    data = {
        "object_meta": {"name": "a", "namespace": "default", "labels": {"l": "1"}, "annotations": {}},
        "status": {
            "state": "Ready",
            "address": "192.0.2.1",
            "addresses": [{"type": "Hostname", "address": "node-7"}, {"type": "PodIP", "address": "192.0.2.1"}],
            "ports": [{"name": "game", "port": 7654}],
            "counters": {"rooms": {"count": "1", "capacity": "4"}},
            "lists": {"players": {"capacity": "3", "values": ["x"]}},
        },
    }
    read = LocalGameServer.from_json(data, "localhost:1", "localhost")
    assert (read.node, read.ports, read.counters, read.lists) == (
        "node-7",
        (("game", 7654),),
        {"rooms": (1, 4)},
        {"players": (3, ("x",))},
    )
    data["status"]["addresses"] = []  # type: ignore[index]
    assert LocalGameServer.from_json(data, "localhost:1", "localhost").node == "localhost"
    with pytest.raises(ValueError, match="not a GameServer"):
        LocalGameServer.from_json({"status": {}}, "localhost:1", "localhost")


def test_public_names_are_exported_once_and_documented() -> None:
    import inspect

    import aioagones.local_allocator as package

    assert len(package.__all__) == len(set(package.__all__))  # its order is kept by ruff (RUF022)
    public = {n for n, v in vars(package).items() if not n.startswith("_") and not inspect.ismodule(v)}
    assert public == set(package.__all__)
    for name in package.__all__:
        obj = getattr(package, name)
        if inspect.isclass(obj):
            assert (obj.__doc__ or "").strip(), name
            for attr, member in vars(obj).items():
                if callable(member) and not attr.startswith("_"):
                    assert (member.__doc__ or "").strip(), f"{name}.{attr}"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("localhost:9358", ("localhost", 9358)), ("[::1]:9501", ("::1", 9501)), ("127.0.0.1:1", ("127.0.0.1", 1))],
)
def test_sidecar_addresses(text: str, parsed: tuple[str, int]) -> None:
    assert parse_sidecar(text) == parsed


@pytest.mark.parametrize("text", ["localhost", ":9358", "localhost:0", "localhost:http", "[::1]"])
def test_bad_sidecar_addresses(text: str) -> None:
    with pytest.raises(ValueError, match="is not HOST:HTTP_PORT"):
        parse_sidecar(text)
