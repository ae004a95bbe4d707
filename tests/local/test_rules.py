"""The local sidecar's rules as plain synchronous tables: no sockets, no event loop, time passed in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aioagones._pb import sdk_pb2
from aioagones.local import default_game_server
from aioagones.local._convert import game_server_pb
from aioagones.local._rules import GameServerRules
from aioagones.local._state import (
    Code,
    CounterState,
    GameServerState,
    HealthSpec,
    ListState,
    PlayerState,
    SidecarError,
)

T0 = 1000.0


def snap(r: GameServerRules) -> sdk_pb2.GameServer:
    return game_server_pb(r.game_server)


def rules(**changes: Any) -> GameServerRules:
    state = default_game_server(1_700_000_000)
    for key, value in changes.items():
        setattr(state, key, value)
    return GameServerRules(state, now=T0)


# -- states ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calls", "state"),
    [
        ([], "Ready"),
        (["allocate"], "Allocated"),
        (["allocate", "ready"], "Ready"),
        (["shutdown"], "Shutdown"),
        (["shutdown", "ready"], "Ready"),  # like `sdk-server --local`: any transition is allowed
        (["reserve5"], "Reserved"),
        (["reserve5", "allocate"], "Allocated"),
        (["reserve0", "ready"], "Ready"),
    ],
)
def test_state_transitions(calls: list[str], state: str) -> None:
    r = rules()
    do: dict[str, Callable[[], None]] = {
        "ready": lambda: r.ready(),
        "allocate": lambda: r.allocate(timestamp="2026-01-01T00:00:00Z"),
        "shutdown": lambda: r.shutdown(),
        "reserve5": lambda: r.reserve(5, T0),
        "reserve0": lambda: r.reserve(0, T0),
    }
    for call in calls:
        do[call]()
    assert snap(r).status.state == state


def test_allocate_sets_last_allocated_annotation() -> None:
    r = rules()
    r.allocate(timestamp="2026-01-01T00:00:00.000001Z")
    assert snap(r).object_meta.annotations["agones.dev/last-allocated"] == "2026-01-01T00:00:00.000001Z"


def test_version_grows_only_on_change() -> None:
    r = rules()
    v = r.version
    r.ready()  # already Ready
    assert r.version == v
    r.allocate(timestamp="t")
    assert r.version > v


@pytest.mark.parametrize(
    ("seconds", "events"),
    [
        # (seconds after T0, the state after a tick then)
        (5, [(4.9, "Reserved"), (5.0, "Ready")]),
        (1, [(0.5, "Reserved"), (1.0, "Ready"), (100.0, "Ready")]),
        (0, [(1e6, "Reserved")]),
    ],
)
def test_reserve_returns_to_ready_after_its_duration(seconds: int, events: list[tuple[float, str]]) -> None:
    r = rules(health=HealthSpec(disabled=True))
    r.reserve(seconds, T0)
    assert r.next_deadline() == (T0 + seconds if seconds else None)
    for at, state in events:
        r.tick(T0 + at)
        assert snap(r).status.state == state


def test_a_state_call_cancels_the_reserve_timer() -> None:
    r = rules(health=HealthSpec(disabled=True))
    r.reserve(5, T0)
    r.allocate(timestamp="t")
    assert r.next_deadline() is None
    r.tick(T0 + 10)
    assert snap(r).status.state == "Allocated"


def test_negative_reserve_is_refused_and_changes_nothing() -> None:
    r = rules()
    v = r.version
    with pytest.raises(SidecarError) as info:
        r.reserve(-1, T0)
    assert info.value.code is Code.INVALID_ARGUMENT
    assert (r.version, snap(r).status.state) == (v, "Ready")


# -- health ----------------------------------------------------------------------------------

HEALTH = HealthSpec(disabled=False, period_seconds=2, failure_threshold=3, initial_delay_seconds=5)


@pytest.mark.parametrize(
    ("pings", "check_at", "state"),
    [
        ([], 10.9, "Ready"),  # initial delay 5 + 3 periods of 2 s = 11 s
        ([], 11.0, "Unhealthy"),
        ([3.0], 11.0, "Unhealthy"),  # a ping during the initial delay does not extend it
        ([9.0], 11.0, "Ready"),
        ([9.0], 14.9, "Ready"),
        ([9.0], 15.0, "Unhealthy"),
        ([9.0, 12.0, 17.0], 22.9, "Ready"),
        ([9.0, 12.0, 17.0], 23.0, "Unhealthy"),
    ],
)
def test_unhealthy_after_failure_threshold_periods_without_pings(
    pings: list[float], check_at: float, state: str
) -> None:
    r = rules(health=HEALTH)
    for at in pings:
        r.health(T0 + at)
        r.tick(T0 + at)
    r.tick(T0 + check_at)
    assert snap(r).status.state == state


def test_next_deadline_is_the_health_deadline() -> None:
    r = rules(health=HEALTH)
    assert r.next_deadline() == T0 + 11
    r.health(T0 + 20)
    assert r.next_deadline() == T0 + 26
    r.reserve(3, T0 + 20)
    assert r.next_deadline() == T0 + 23


def test_health_disabled_never_fails() -> None:
    r = rules(health=HealthSpec(disabled=True, period_seconds=1, failure_threshold=1, initial_delay_seconds=1))
    assert r.next_deadline() is None
    r.tick(T0 + 1e6)
    assert snap(r).status.state == "Ready"


def test_unhealthy_is_final() -> None:
    r = rules(health=HEALTH)
    r.tick(T0 + 11)
    assert snap(r).status.state == "Unhealthy"
    v = r.version
    r.ready()
    r.allocate(timestamp="t")
    r.reserve(1, T0 + 12)
    r.shutdown()
    r.tick(T0 + 100)
    assert snap(r).status.state == "Unhealthy"
    assert r.version == v
    assert r.next_deadline() is None


def test_restart_starts_the_initial_delay_again() -> None:
    r = rules(health=HEALTH)
    r.restart(T0 + 10)
    r.tick(T0 + 20.9)
    assert snap(r).status.state == "Ready"
    r.tick(T0 + 21)
    assert snap(r).status.state == "Unhealthy"


def test_shutdown_stops_health_checking() -> None:
    r = rules(health=HEALTH)
    r.shutdown()
    r.tick(T0 + 100)
    assert snap(r).status.state == "Shutdown"


# -- labels and annotations ------------------------------------------------------------------


def test_labels_and_annotations_are_stored_with_the_sdk_prefix() -> None:
    r = rules()
    r.set_label("mode", "ctf")
    r.set_annotation("note", "any text: ✓")
    meta = snap(r).object_meta
    assert meta.labels["agones.dev/sdk-mode"] == "ctf"
    assert meta.labels["islocal"] == "true"
    assert meta.annotations["agones.dev/sdk-note"] == "any text: ✓"


@pytest.mark.parametrize(
    ("kind", "key", "value"),
    [
        ("label", "", "v"),
        ("label", "bad key", "v"),
        ("label", "k" * 60, "v"),
        ("label", "-k", "v"),
        ("label", "ok", "bad value"),
        ("label", "ok", "v" * 64),
        ("annotation", "", "v"),
        ("annotation", "a/b", "v"),
    ],
)
def test_bad_labels_and_annotations_are_refused(kind: str, key: str, value: str) -> None:
    r = rules()
    before = snap(r)
    with pytest.raises(SidecarError) as info:
        (r.set_label if kind == "label" else r.set_annotation)(key, value)
    assert info.value.code is Code.INVALID_ARGUMENT
    assert snap(r) == before


# -- players ---------------------------------------------------------------------------------


def test_players() -> None:
    r = rules()
    with pytest.raises(SidecarError) as info:
        r.player_connect("p1")  # the default capacity is 0, as in the reference
    assert (info.value.code, info.value.message) == (Code.OUT_OF_RANGE, "players are already at capacity")
    r.set_player_capacity(2)
    assert [r.player_connect(p) for p in ("p1", "p1", "p2")] == [True, False, True]
    with pytest.raises(SidecarError):
        r.player_connect("p3")
    assert r.player_connect("p2") is False  # already there beats "at capacity"
    assert (r.player_count(), r.player_capacity()) == (2, 2)
    assert (r.is_player_connected("p1"), r.is_player_connected("p3")) == (True, False)
    assert r.connected_players() == ["p1", "p2"]
    assert [r.player_disconnect(p) for p in ("p1", "p1")] == [True, False]
    players = snap(r).status.players
    assert (players.count, players.capacity, list(players.ids)) == (1, 2, ["p2"])
    with pytest.raises(SidecarError) as info:
        r.set_player_capacity(-1)
    assert info.value.code is Code.INVALID_ARGUMENT
    assert r.player_capacity() == 2


def test_players_absent_until_used() -> None:
    r = rules(players=None)
    assert not snap(r).status.HasField("players")
    assert r.player_disconnect("x") is False
    assert not snap(r).status.HasField("players")
    r.set_player_capacity(0)
    assert snap(r).status.HasField("players")


def test_default_players_status_is_present_and_empty() -> None:
    status = snap(rules()).status
    assert status.HasField("players")
    assert (status.players.count, status.players.capacity, list(status.players.ids)) == (0, 0, [])


# -- counters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("update", "result"),
    [
        ({"count_diff": 9}, (10, 10)),
        ({"count_diff": -1}, (0, 10)),
        ({"count": 10}, (10, 10)),
        ({"capacity": 20, "count": 15}, (15, 20)),  # capacity first, then count
        ({"capacity": 20, "count": 15, "count_diff": 5}, (20, 20)),  # then countDiff
        ({"capacity": 0}, (1, 0)),  # as the reference: a capacity alone does not check the count
        ({}, (1, 10)),
    ],
)
def test_update_counter(update: dict[str, int], result: tuple[int, int]) -> None:
    r = rules()
    counter = r.update_counter("rooms", **update)
    assert counter == CounterState(count=result[0], capacity=result[1])
    assert r.get_counter("rooms") == counter
    status = snap(r).status.counters["rooms"]
    assert (status.count, status.capacity) == result


@pytest.mark.parametrize(
    ("name", "update", "code", "message"),
    [
        ("nope", {"count_diff": 1}, Code.NOT_FOUND, "not found. nope Counter not found"),
        (
            "rooms",
            {"count_diff": 10},
            Code.OUT_OF_RANGE,
            "out of range. Count must be within range [0,Capacity]. Found Count: 11, Capacity: 10",
        ),
        (
            "rooms",
            {"count_diff": -2},
            Code.OUT_OF_RANGE,
            "out of range. Count must be within range [0,Capacity]. Found Count: -1, Capacity: 10",
        ),
        (
            "rooms",
            {"count": 11},
            Code.OUT_OF_RANGE,
            "out of range. Count must be within range [0,Capacity]. Found Count: 11, Capacity: 10",
        ),
        (
            "rooms",
            {"capacity": -1},
            Code.OUT_OF_RANGE,
            "out of range. Capacity must be greater than or equal to 0. Found Capacity: -1",
        ),
        # capacity 5 is fine, then the count 7 is not: nothing at all is changed
        (
            "rooms",
            {"capacity": 5, "count": 7},
            Code.OUT_OF_RANGE,
            "out of range. Count must be within range [0,Capacity]. Found Count: 7, Capacity: 5",
        ),
    ],
)
def test_update_counter_refused(name: str, update: dict[str, int], code: Code, message: str) -> None:
    r = rules()
    before, version = snap(r), r.version
    with pytest.raises(SidecarError) as info:
        r.update_counter(name, **update)
    assert (info.value.code, info.value.message) == (code, message)
    assert (snap(r), r.version) == (before, version)


def test_get_counter_unknown() -> None:
    with pytest.raises(SidecarError) as info:
        rules().get_counter("nope")
    assert (info.value.code, info.value.message) == (Code.NOT_FOUND, "counter not found: nope")


# -- lists -----------------------------------------------------------------------------------


def test_list_values() -> None:
    r = rules()
    assert list(r.get_list("players").values) == ["test0", "test1", "test2"]
    assert list(r.add_list_value("players", "test3").values) == ["test0", "test1", "test2", "test3"]
    assert list(r.remove_list_value("players", "test2").values) == ["test0", "test1", "test3"]
    assert list(snap(r).status.lists["players"].values) == ["test0", "test1", "test3"]


@pytest.mark.parametrize(
    ("lists", "call", "code", "message"),
    [
        ({}, ("get", "x"), Code.NOT_FOUND, "list not found: x"),
        ({}, ("add", "x", "v"), Code.NOT_FOUND, "not found. x List not found"),
        ({}, ("remove", "x", "v"), Code.NOT_FOUND, "not found. x List not found"),
        (
            {"l": ListState(2, ["a"])},
            ("add", "l", "a"),
            Code.ALREADY_EXISTS,
            "already exists. Value: a already in List: l",
        ),
        (
            {"l": ListState(1, ["a"])},
            ("add", "l", "b"),
            Code.OUT_OF_RANGE,
            "out of range. No available capacity. Current Capacity: 1, List Size: 1",
        ),
        ({"l": ListState(2, ["a"])}, ("remove", "l", "b"), Code.NOT_FOUND, "not found. Value: b not found in List: l"),
    ],
)
def test_list_calls_refused(lists: dict[str, ListState], call: tuple[str, ...], code: Code, message: str) -> None:
    r = rules(lists=lists)
    before = snap(r)
    ops: dict[str, Callable[..., ListState]] = {
        "get": r.get_list,
        "add": r.add_list_value,
        "remove": r.remove_list_value,
    }
    with pytest.raises(SidecarError) as info:
        ops[call[0]](*call[1:])
    assert (info.value.code, info.value.message) == (code, message)
    assert snap(r) == before


@pytest.mark.parametrize(
    ("paths", "capacity", "values", "result"),
    [
        (["capacity"], 2, [], (2, ["a", "b"])),  # shrinking the capacity drops values from the end
        (["capacity"], 10, ["ignored"], (10, ["a", "b", "c"])),
        (["values"], 0, ["x", "y", "x"], (5, ["x", "y"])),  # unique
        (["values"], 0, [], (5, [])),
        (["capacity", "values"], 1, ["x", "y"], (1, ["x"])),
        (["capacity"], 0, [], (0, [])),
        (["capacity"], 1000, [], (1000, ["a", "b", "c"])),
        ([], 2, ["x"], (5, ["a", "b", "c"])),  # an empty mask is valid and changes nothing
        (["name"], 2, ["x"], (5, ["a", "b", "c"])),  # a field of List, as the real sidecar checks: changes nothing
        (["name", "capacity"], 2, [], (2, ["a", "b"])),
    ],
)
def test_update_list(paths: list[str], capacity: int, values: list[str], result: tuple[int, list[str]]) -> None:
    r = rules(lists={"l": ListState(5, ["a", "b", "c"])})
    lst = r.update_list("l", paths, capacity=capacity, values=values)
    assert (lst.capacity, list(lst.values)) == result
    status = snap(r).status.lists["l"]
    assert (status.capacity, list(status.values)) == result


@pytest.mark.parametrize(
    ("name", "paths", "capacity", "code", "starts"),
    [
        ("l", ["values"], -1, Code.OUT_OF_RANGE, "out of range. Capacity must be within range [0,1000]"),
        ("l", [], 1001, Code.OUT_OF_RANGE, "out of range. Capacity must be within range [0,1000]"),
        ("l", ["nmae"], 1, Code.INVALID_ARGUMENT, "invalid argument. Field Mask Path(s): ['nmae']"),
        ("l", ["capacity"], -1, Code.OUT_OF_RANGE, "out of range. Capacity must be within range [0,1000]"),
        ("l", ["capacity"], 1001, Code.OUT_OF_RANGE, "out of range. Capacity must be within range [0,1000]"),
        ("x", ["capacity"], 1, Code.NOT_FOUND, "not found. x List not found"),
    ],
)
def test_update_list_refused(name: str, paths: list[str], capacity: int, code: Code, starts: str) -> None:
    r = rules(lists={"l": ListState(5, ["a", "b", "c"])})
    before = snap(r)
    with pytest.raises(SidecarError) as info:
        r.update_list(name, paths, capacity=capacity)
    assert info.value.code is code
    assert info.value.message.startswith(starts)
    assert snap(r) == before


# -- snapshots -------------------------------------------------------------------------------


def test_default_game_server_is_the_reference_one() -> None:
    gs = snap(GameServerRules(default_game_server(1_700_000_000.7), now=T0))
    meta, health, status = gs.object_meta, gs.spec.health, gs.status
    assert (meta.name, meta.namespace, meta.uid, meta.generation, meta.resource_version) == (
        "local",
        "default",
        "1234",
        1,
        "v1",
    )
    assert meta.creation_timestamp == 1_700_000_000
    assert (dict(meta.labels), dict(meta.annotations)) == ({"islocal": "true"}, {"annotation": "true"})
    assert (health.disabled, health.period_seconds, health.failure_threshold, health.initial_delay_seconds) == (
        False,
        3,
        5,
        10,
    )
    assert (status.state, status.address) == ("Ready", "127.0.0.1")
    assert [(p.name, p.port) for p in status.ports] == [("default", 7777)]
    assert list(status.addresses) == []
    assert (status.counters["rooms"].count, status.counters["rooms"].capacity) == (1, 10)
    assert (list(status.lists["players"].values), status.lists["players"].capacity) == (
        ["test0", "test1", "test2"],
        100,
    )


def test_snapshot_is_a_copy() -> None:
    r = rules()
    first = snap(r)
    r.add_list_value("players", "x")
    r.set_label("a", "b")
    assert list(first.status.lists["players"].values) == ["test0", "test1", "test2"]
    assert "agones.dev/sdk-a" not in first.object_meta.labels


def test_snapshot_of_a_full_state() -> None:
    state = GameServerState(
        name="gs",
        ports=[("a-tcp", 7000), ("a-udp", 7000)],
        addresses=[("PodIP", "10.0.0.1"), ("PodIP", "fd00::1")],
        address="10.0.0.1",
        players=PlayerState(3, ["p"]),
        counters={"c": CounterState(0, 0)},
        lists={"l": ListState(0, [])},
    )
    status = snap(GameServerRules(state, now=T0)).status
    assert status.state == "Scheduled"
    assert [(a.type, a.address) for a in status.addresses] == [("PodIP", "10.0.0.1"), ("PodIP", "fd00::1")]
    assert [(p.name, p.port) for p in status.ports] == [("a-tcp", 7000), ("a-udp", 7000)]
    assert (status.players.count, status.players.capacity) == (1, 3)
    assert "c" in status.counters and "l" in status.lists
