"""What only the cluster does (`_cluster`): any state, an allocation as Agones' allocator applies it."""

from __future__ import annotations

from typing import Any

import pytest

from aioagones import State
from aioagones.local import default_game_server
from aioagones.local._cluster import apply_allocation, set_state
from aioagones.local._rules import GameServerRules
from aioagones.local._state import Allocation, Code, CounterAction, CounterState, ListAction, ListState, SidecarError

T0 = 1000.0


def rules(**changes: Any) -> GameServerRules:
    state = default_game_server(1_700_000_000)
    for key, value in changes.items():
        setattr(state, key, value)
    return GameServerRules(state, now=T0)


@pytest.mark.parametrize("state", [s.value for s in State])
def test_set_state_reaches_every_state(state: str) -> None:
    r = rules()
    r.reserve(10, T0)
    set_state(r, state)
    assert r.game_server.state == state
    r.tick(T0 + 11)  # the reserve timer is gone: nothing moves it back to Ready
    assert r.game_server.state == state or state == State.READY


def test_set_state_leaves_unhealthy_and_refuses_unknown_names() -> None:
    r = rules()
    r.tick(T0 + 1000)
    assert r.game_server.state == "Unhealthy"
    set_state(r, "Ready")
    assert r.game_server.state == "Ready"
    version = r.version
    with pytest.raises(SidecarError) as info:
        set_state(r, "ready")
    assert info.value.code is Code.INVALID_ARGUMENT
    assert "'ready' is not a GameServer state" in info.value.message
    assert r.version == version


def test_allocation_as_the_allocator_applies_it() -> None:
    r = rules(
        counters={"rooms": CounterState(1, 10), "slots": CounterState(3, 4)},
        lists={"players": ListState(3, ["a", "b"]), "maps": ListState(5, ["x", "y"])},
    )
    warnings = apply_allocation(
        r,
        Allocation(
            labels={"map": "harbor", "example.com/mode": "ctf"},
            annotations={"note": "anything at all ✓"},
            counters={
                "rooms": CounterAction("Increment", 20),  # clamped to the capacity
                "slots": CounterAction("Decrement", 1, capacity=2),  # capacity first: 3 -> 2, then 1
                "nope": CounterAction("Increment", 1),
            },
            lists={
                "players": ListAction(add_values=("b", "c", "d")),  # duplicates dropped, cut at capacity 3
                "maps": ListAction(delete_values=("x", "zz"), capacity=1),
                "gone": ListAction(add_values=("v",)),
            },
        ),
        timestamp="2026-01-01T00:00:00Z",
    )
    gs = r.game_server
    assert gs.state == "Allocated"
    assert gs.labels == {"islocal": "true", "map": "harbor", "example.com/mode": "ctf"}
    assert gs.annotations["note"] == "anything at all ✓"
    assert gs.annotations["agones.dev/last-allocated"] == "2026-01-01T00:00:00Z"
    assert gs.counters == {"rooms": CounterState(10, 10), "slots": CounterState(1, 2)}
    assert gs.lists == {"players": ListState(3, ["a", "b", "c"]), "maps": ListState(1, [])}
    assert warnings == ["counter 'nope' not found in GameServer local", "list 'gone' not found in GameServer local"]


@pytest.mark.parametrize(
    ("kwargs", "code", "says"),
    [
        ({"labels": {"bad key": "v"}}, Code.INVALID_ARGUMENT, "metadata.labels: key 'bad key'"),
        ({"labels": {"k": "bad value"}}, Code.INVALID_ARGUMENT, "metadata.labels: value 'bad value'"),
        ({"labels": {"Example.com/k": "v"}}, Code.INVALID_ARGUMENT, "prefix must be a DNS subdomain"),
        ({"annotations": {"": "v"}}, Code.INVALID_ARGUMENT, "metadata.annotations"),
        ({"counters": {"rooms": CounterAction("Add", 1)}}, Code.INVALID_ARGUMENT, "use Increment or Decrement"),
        ({"counters": {"rooms": CounterAction("Increment")}}, Code.INVALID_ARGUMENT, "action and amount go together"),
        ({"counters": {"rooms": CounterAction("Increment", -1)}}, Code.INVALID_ARGUMENT, "amount -1"),
        ({"counters": {"rooms": CounterAction(capacity=-1)}}, Code.INVALID_ARGUMENT, "capacity -1"),
        ({"lists": {"players": ListAction(capacity=1001)}}, Code.INVALID_ARGUMENT, "allowed: 0..1000"),
    ],
)
def test_an_allocation_a_cluster_refuses_changes_nothing(kwargs: dict[str, Any], code: Code, says: str) -> None:
    r = rules()
    version = r.version
    with pytest.raises(SidecarError) as info:
        apply_allocation(r, Allocation(**kwargs), timestamp="t")
    assert info.value.code is code
    assert says in info.value.message
    assert (r.version, r.game_server.state) == (version, "Ready")


@pytest.mark.parametrize("state", ["Scheduled", "Reserved", "Shutdown", "Unhealthy"])
def test_only_a_ready_or_allocated_game_server_is_allocated(state: str) -> None:
    r = rules()
    set_state(r, state)
    with pytest.raises(SidecarError) as info:
        apply_allocation(r, Allocation(), timestamp="t")
    assert info.value.code is Code.FAILED_PRECONDITION
    assert f"The GameServer is {state}" in info.value.message
    set_state(r, "Allocated")
    apply_allocation(r, Allocation(), timestamp="again")  # an Allocated one may be allocated again
    assert r.game_server.annotations["agones.dev/last-allocated"] == "again"


def test_stopping_health_checking_keeps_it_healthy_and_resuming_gives_a_new_window() -> None:
    r = rules()  # initial delay 10 s, then 5 x 3 s
    r.set_health_checking(False, T0)
    assert r.next_deadline() is None
    r.tick(T0 + 1000)
    assert r.game_server.state == "Ready"
    r.set_health_checking(True, T0 + 1000)
    assert r.next_deadline() == T0 + 1000 + 15
    r.tick(T0 + 1014)
    assert r.game_server.state == "Ready"
    r.tick(T0 + 1015)
    assert r.game_server.state == "Unhealthy"
