"""Manifest loading as tables: port derivation per policy, defaults, and every refusal."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from aioagones.local import GameServerState, ManifestError, load_game_server
from aioagones.local._host import DYNAMIC_PORT_RANGE, free_port, local_addresses
from aioagones.local._manifest import game_server_from_manifest, name_suffix, read_manifest
from aioagones.local._state import HealthSpec

BASE: dict[str, Any] = {
    "apiVersion": "agones.dev/v1",
    "kind": "GameServer",
    "metadata": {"name": "sample"},
    "spec": {"ports": [{"name": "default", "portPolicy": "None", "containerPort": 7777}]},
}


def build(manifest: dict[str, Any], addresses: tuple[str, ...] = ("10.0.0.5", "fd00::5")) -> GameServerState:
    """Dynamic ports are handed out 7100, 7101 ... so the tables can name them."""

    def allocate(protocol: str, taken: set[int]) -> int:
        return min(p for p in range(7100, 8001) if p not in taken)

    return game_server_from_manifest(
        manifest, now=1_700_000_000.5, allocate_port=allocate, addresses=addresses, uid="u-1", name_suffix="x2b4z"
    )


def with_spec(**spec: Any) -> dict[str, Any]:
    manifest = copy.deepcopy(BASE)
    manifest["spec"].update(spec)
    return manifest


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        ([{"name": "default", "portPolicy": "None", "containerPort": 7777}], [("default", 7777)]),
        ([{"name": "default", "portPolicy": "None"}], [("default", 0)]),  # containerPort is optional for None
        ([{"name": "g", "portPolicy": "None", "containerPort": 26000, "hostPort": 1}], [("g", 26000)]),
        ([{"name": "s", "portPolicy": "Static", "containerPort": 7654, "hostPort": 7001}], [("s", 7001)]),
        ([{"name": "d", "portPolicy": "Dynamic", "containerPort": 7654}], [("d", 7100)]),
        ([{"name": "d", "containerPort": 7654}], [("d", 7100)]),  # Dynamic is the default
        ([{"name": "p", "portPolicy": "Passthrough"}], [("p", 7100)]),
        (
            [{"name": "both", "portPolicy": "None", "containerPort": 7777, "protocol": "TCPUDP"}],
            [("both-tcp", 7777), ("both-udp", 7777)],
        ),
        (
            [{"name": "both", "portPolicy": "Dynamic", "containerPort": 1, "protocol": "TCPUDP"}],
            [("both-tcp", 7100), ("both-udp", 7100)],
        ),
        (
            [
                {"name": "a", "containerPort": 1},
                {"name": "b", "portPolicy": "Passthrough", "protocol": "TCP"},
                {"name": "c", "portPolicy": "None", "containerPort": 9000},
            ],
            [("a", 7100), ("b", 7101), ("c", 9000)],
        ),
        ([], []),
    ],
)
def test_status_ports_by_port_policy(ports: list[dict[str, Any]], expected: list[tuple[str, int]]) -> None:
    assert build(with_spec(ports=ports)).ports == expected


def test_metadata_and_status() -> None:
    manifest = copy.deepcopy(BASE)
    manifest["metadata"] = {
        "name": "sample",
        "namespace": "games",
        "labels": {"game": "sample"},
        "annotations": {"note": "hi"},
        "uid": "abc",
        "creationTimestamp": "2024-05-01T12:00:00Z",
    }
    gs = build(manifest)
    assert (gs.name, gs.namespace, gs.uid, gs.generation) == ("sample", "games", "abc", 1)
    assert (gs.labels, gs.annotations) == ({"game": "sample"}, {"note": "hi"})
    assert gs.creation_timestamp == 1714564800
    assert gs.state == "Scheduled"
    assert gs.address == "10.0.0.5"
    assert gs.addresses == [("PodIP", "10.0.0.5"), ("PodIP", "fd00::5")]
    assert gs.players is None
    assert (gs.counters, gs.lists) == ({}, {})


def test_defaults() -> None:
    gs = build({"metadata": {"generateName": "sample-"}})
    assert (gs.name, gs.namespace, gs.uid, gs.creation_timestamp) == ("sample-x2b4z", "default", "u-1", 1_700_000_000)
    assert gs.health == HealthSpec(disabled=False, period_seconds=5, failure_threshold=3, initial_delay_seconds=5)
    assert gs.ports == []


@pytest.mark.parametrize(
    ("health", "expected"),
    [
        ({}, HealthSpec(False, 5, 3, 5)),
        ({"periodSeconds": 1, "failureThreshold": 2, "initialDelaySeconds": 3}, HealthSpec(False, 1, 2, 3)),
        ({"periodSeconds": 0, "initialDelaySeconds": 0}, HealthSpec(False, 5, 3, 5)),  # as Agones: 0 means default
        ({"disabled": True}, HealthSpec(True, 5, 3, 5)),
    ],
)
def test_health(health: dict[str, Any], expected: HealthSpec) -> None:
    assert build(with_spec(health=health)).health == expected


def test_counters_lists_and_players() -> None:
    gs = build(
        with_spec(
            counters={"rooms": {"count": 1, "capacity": 10}, "sessions": {}},
            lists={"players": {"capacity": 16, "values": ["a"]}, "empty": None},
            players={"initialCapacity": 8},
        )
    )
    assert {n: (c.count, c.capacity) for n, c in gs.counters.items()} == {"rooms": (1, 10), "sessions": (0, 1000)}
    assert {n: (lst.capacity, lst.values) for n, lst in gs.lists.items()} == {
        "players": (16, ["a"]),
        "empty": (1000, []),
    }
    assert gs.players is not None and (gs.players.capacity, gs.players.ids) == (8, [])


def _set(path: str, value: Any) -> dict[str, Any]:
    """BASE with the dotted `path` (list indices as numbers) set to `value`."""
    manifest = copy.deepcopy(BASE)
    parts = path.split(".")
    node: Any = manifest
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return manifest


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            _set("spec.ports.0.portPolicy", "none"),
            "spec.ports[0].portPolicy: 'none' is not one of Dynamic, Static, Passthrough, None",
        ),
        (_set("spec.ports.0.protocol", "SCTP"), "spec.ports[0].protocol: 'SCTP' is not one of UDP, TCP, TCPUDP"),
        (
            _set("spec.ports.0.containerPort", 70000),
            "spec.ports[0].containerPort: 70000 is out of range; allowed: 1..65535",
        ),
        (_set("spec.ports.0.containerPort", "7777"), "spec.ports[0].containerPort: expected an integer, got a string"),
        (_set("spec.ports.0.name", None), "spec.ports[0].name: required"),
        (_set("spec.ports", {"name": "x"}), "spec.ports: expected a list, got a mapping"),
        (_set("spec.ports.0", "7777"), "spec.ports[0]: expected a mapping, got a string"),
        (
            with_spec(ports=[{"name": "a", "portPolicy": "None"}, {"name": "a", "portPolicy": "None"}]),
            "spec.ports[1].name: 'a' is used by an earlier port",
        ),
        (
            with_spec(ports=[{"name": "s", "portPolicy": "Static", "containerPort": 1}]),
            "spec.ports[0].hostPort: required with portPolicy Static",
        ),
        (
            with_spec(ports=[{"name": "d", "portPolicy": "Dynamic"}]),
            "spec.ports[0].containerPort: required with portPolicy Dynamic",
        ),
        (_set("spec.health.periodSeconds", -1), "spec.health.periodSeconds: -1 is out of range; allowed: 0 or more"),
        (_set("spec.health.disabled", "yes"), "spec.health.disabled: expected true or false, got a string"),
        (_set("spec.health", [1]), "spec.health: expected a mapping, got a list"),
        (_set("metadata.name", None), "metadata.name: required (or metadata.generateName)"),
        (_set("metadata.name", 5), "metadata.name: expected a string, got a number"),
        (_set("metadata.labels", {"a": True}), "metadata.labels.a: expected a string, got a boolean"),
        (
            _set("metadata.creationTimestamp", "yesterday"),
            "metadata.creationTimestamp: 'yesterday' is not an RFC 3339 time",
        ),
        (_set("kind", "GameServerAllocation"), "kind: 'GameServerAllocation' is not one of GameServer, Fleet"),
        ({"kind": "Fleet", "metadata": {}}, "metadata.name: required for a Fleet"),
        (
            {"kind": "Fleet", "metadata": {"name": "f"}, "spec": {"template": {"spec": {"ports": [{"name": "x"}]}}}},
            "spec.template.spec.ports[0].containerPort: required with portPolicy Dynamic",
        ),
        (_set("apiVersion", "v1"), "apiVersion: 'v1' is not one of agones.dev/v1"),
        (
            _set("spec.counters.rooms", {"count": 11, "capacity": 10}),
            "spec.counters.rooms.count: 11 is out of range; allowed: 0..10",
        ),
        (
            _set("spec.counters.rooms", {"capacity": -1}),
            "spec.counters.rooms.capacity: -1 is out of range; allowed: 0 or more",
        ),
        (_set("spec.counters", {str(i): {} for i in range(1001)}), "spec.counters: 1001 counters; at most 1000"),
        (_set("spec.lists.l", {"capacity": 1001}), "spec.lists.l.capacity: 1001 is out of range; allowed: 0..1000"),
        (
            _set("spec.lists.l", {"capacity": 1, "values": ["a", "b"]}),
            "spec.lists.l.values: 2 values; the capacity is 1",
        ),
        (_set("spec.lists.l", {"values": ["a", "a"]}), "spec.lists.l.values: values must be unique"),
        (_set("spec.lists.l", {"values": [1]}), "spec.lists.l.values: expected a list of strings"),
        (_set("spec.players", {"initialCapacity": -1}), "spec.players.initialCapacity: -1 is out of range"),
    ],
)
def test_bad_manifests_are_refused(manifest: dict[str, Any], message: str) -> None:
    with pytest.raises(ManifestError) as info:
        build(manifest)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_no_free_dynamic_port() -> None:
    with pytest.raises(ManifestError, match=r"spec.ports\[0\]: no free port in 7000-8000"):
        game_server_from_manifest(
            with_spec(ports=[{"name": "d", "containerPort": 1}]),
            now=0,
            allocate_port=lambda protocol, taken: 0,
            addresses=[],
            uid="u",
            name_suffix="s",
        )


def test_read_yaml_and_json(tmp_path: Path) -> None:
    (tmp_path / "gs.yaml").write_text(
        "apiVersion: agones.dev/v1\nkind: GameServer\nmetadata:\n  name: from-yaml\n"
        "spec:\n  ports:\n  - name: default\n    portPolicy: None\n    containerPort: 7777\n"
    )
    (tmp_path / "gs.json").write_text(json.dumps(BASE))
    assert read_manifest(tmp_path / "gs.yaml")["metadata"]["name"] == "from-yaml"
    assert read_manifest(tmp_path / "gs.json") == BASE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "expected a GameServer object, got a list"),
        ("", "expected a GameServer object, got nothing"),
        ("a: [", "not valid YAML or JSON"),
    ],
)
def test_unreadable_manifests(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ManifestError, match="bad.yaml: " + message):
        read_manifest(path)
    with pytest.raises(ManifestError, match="cannot read"):
        read_manifest(tmp_path / "missing.yaml")


def test_load_game_server_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gs.json"
    path.write_text(json.dumps(_set("spec.ports.0.portPolicy", "none")))
    with pytest.raises(ManifestError) as info:
        load_game_server(path)
    assert (
        str(info.value) == f"{path}: spec.ports[0].portPolicy: 'none' is not one of Dynamic, Static, Passthrough, None"
    )


def test_load_game_server_on_this_machine() -> None:
    gs = load_game_server(with_spec(ports=[{"name": "d", "containerPort": 7654, "protocol": "TCPUDP"}]))
    assert gs.state == "Scheduled"
    assert gs.ports[0][1] in DYNAMIC_PORT_RANGE
    assert gs.addresses and gs.address == gs.addresses[0][1]
    assert len(gs.uid) == 36
    default = load_game_server(None)
    assert (default.name, default.state) == ("local", "Ready")


def test_local_addresses_are_usable_pod_ips() -> None:
    import ipaddress

    found = [ipaddress.ip_address(a) for a in local_addresses()]
    assert found
    assert not any(ip.is_link_local for ip in found)
    versions = [ip.version for ip in found]
    assert versions == sorted(versions)  # IPv4 first
    routable = [ip for ip in found if not ip.is_loopback]
    assert routable or found[0] == ipaddress.ip_address("127.0.0.1")


def test_free_port_skips_taken_ones() -> None:
    first = free_port("UDP", set())
    assert first in DYNAMIC_PORT_RANGE
    assert free_port("UDP", {first}) != first


def test_name_suffix() -> None:
    suffix = name_suffix(bytes(range(5)))
    assert len(suffix) == 5 and suffix.isalnum() and suffix.islower()


def test_a_fleet_gives_one_game_server_from_its_template() -> None:
    fleet = {
        "apiVersion": "agones.dev/v1",
        "kind": "Fleet",
        "metadata": {"name": "sample", "namespace": "games"},
        "spec": {
            "replicas": 2,
            "template": {
                "metadata": {"labels": {"game": "sample"}},
                "spec": BASE["spec"] | {"health": {"periodSeconds": 2}},
            },
        },
    }
    gs = build(fleet)
    assert (gs.name, gs.namespace, gs.state) == ("sample-x2b4z", "games", "Scheduled")
    assert gs.labels == {"game": "sample", "agones.dev/fleet": "sample"}
    assert gs.ports == [("default", 7777)]
    assert gs.health.period_seconds == 2
