"""``--gameservers``: the Pod IPs of GameServers and allocation results, read from Agones' JSON, never the node's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from udp_loadtest._gameservers import GAMESERVERS_MAX_BYTES, parse_gameservers_bytes
from udp_loadtest._input import InputError

HERE = Path(__file__).parent / "gameservers"
NODES = {"198.51.100.1", "198.51.100.2", "2001:db8:1::1", "2001:db8:2::1"}


def _read(name: str, **kw: str) -> tuple[list[tuple[str, int]], list[str]]:
    aim = parse_gameservers_bytes((HERE / name).read_bytes(), name, **kw)
    return list(aim.targets), list(aim.left_out)


def test_a_kubectl_list_gives_each_gameservers_pod_ips_ipv6_first() -> None:
    targets, left_out = _read("list.json")
    assert targets == [
        ("2001:db8:1::a", 7777), ("198.51.100.10", 7777),
        ("2001:db8:2::b", 7777), ("198.51.100.11", 7777),
        ("198.51.100.12", 7777),
    ]  # fmt: skip
    assert not NODES & {host for host, _ in targets}
    assert left_out == [
        "GameServer sample-game-server-x7k2p-v5tzr (state Ready): no Pod IP yet: try again when the Pod has its IPs:"
        " left out",
        "GameServer sample-game-server-x7k2p-q2wnf (state Scheduled): no Pod IP yet: try again when the Pod has its"
        " IPs: left out",
    ]


@pytest.mark.parametrize(
    ("family", "expected", "left"),
    [
        ("v6", ["2001:db8:1::a", "2001:db8:2::b"], 3),
        ("v4", ["198.51.100.10", "198.51.100.11", "198.51.100.12"], 2),
    ],
)
def test_one_family(family: str, expected: list[str], left: int) -> None:
    targets, left_out = _read("list.json", family=family)
    assert [host for host, _ in targets] == expected
    assert len(left_out) == left
    if family == "v6":
        assert "sample-game-server-x7k2p-zz81k (state Ready): no IPv6 Pod IP (--family v6): left out" in left_out[-1]


def test_another_port_by_name_and_a_missing_one() -> None:
    targets, _ = _read("one.json", port_name="metrics")
    assert targets == [("2001:db8:1::a", 9100), ("198.51.100.10", 9100)]
    targets, left_out = _read("one.json", port_name="game")
    assert targets == []
    assert left_out == ["GameServer sample-game-server-x7k2p-4bq9m: no port named 'game' (--port-name): left out"]


def test_one_gameserver_and_allocation_results() -> None:
    assert _read("one.json")[0] == [("2001:db8:1::a", 7777), ("198.51.100.10", 7777)]
    assert _read("allocation.json") == ([("2001:db8:1::a", 7777), ("198.51.100.10", 7777)], [])
    targets, left_out = _read("allocations.jsonl")
    assert targets == [("2001:db8:1::a", 7777), ("198.51.100.10", 7777)]
    assert left_out == [
        "allocation of GameServer sample-game-server-x7k2p-v5tzr: no Pod IP yet: try again when the Pod has its IPs:"
        " left out"
    ]


def test_an_array_of_allocation_results() -> None:
    one = json.loads((HERE / "allocation.json").read_text())
    aim = parse_gameservers_bytes(json.dumps([one, one]).encode())
    assert len(aim.targets) == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe{}", "not UTF-8 text (byte 0xff at offset 0)"),
        (b"[" * 100_000 + b"]" * 100_000, "nested more than 64 deep"),
        (b"[" * 70 + b"]" * 70, "nested more than 64 deep"),
        (b"kubectl: error", "not JSON"),
        (b"42", "the file must be an object, not a number"),
        (b'{"items": {"a": 1}}', "items must be an array, not an object"),
        (b'{"kind": "Pod", "metadata": {}}', "is not a GameServer or an allocation result (Pod)"),
        (b'{"code": 8, "message": "there is no available GameServer to allocate"}', "not a GameServer"),
        (b'{"gameServerName": "x", "ports": [{"name": "default", "port": "7777"}]}', "ports[0].port must be a port"),
        (
            b'{"gameServerName": "x", "ports": [], "addresses": [{"type": "PodIP", "address": "node-a"}]}',
            "addresses[0].address is not an IP address",
        ),
        (b'{"gameServerName": 7}', "gameServerName must be a string"),
        (b"[1e999]", "not JSON"),
        (b"[NaN]", "not JSON"),
    ],
)
def test_bad_files_are_one_line_errors(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_gameservers_bytes(data, "F")
    text = str(err.value)
    assert message in text
    assert text.startswith("F")
    assert "\n" not in text


def test_size_is_bounded() -> None:
    with pytest.raises(InputError, match="larger than 64 MiB"):
        parse_gameservers_bytes(b" " * (GAMESERVERS_MAX_BYTES + 1), "F")
