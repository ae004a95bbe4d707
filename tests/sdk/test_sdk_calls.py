"""Every SDK call, happy and unhappy, against the local sidecar over real gRPC."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest

from aioagones import (
    SDK,
    AlreadyExistsError,
    Counter,
    GameServer,
    InvalidArgumentError,
    List,
    NotFoundError,
    OutOfRangeError,
    State,
)
from aioagones.testing import LocalSidecar

from .._wait import until


async def _until(sdk: SDK, predicate: Callable[[GameServer], bool]) -> GameServer:
    """The first watched GameServer for which `predicate(gs)` holds."""
    async with asyncio.timeout(5):
        async for gs in sdk.watch_game_server():
            if predicate(gs):
                return gs
    raise AssertionError("watch ended")


async def test_default_game_server_is_the_reference_one(sdk: SDK) -> None:
    gs = await sdk.get_game_server()
    assert gs.object_meta.name == "local"
    assert gs.object_meta.namespace == "default"
    assert gs.status.state is State.READY
    assert gs.status.port("default") == 7777
    assert gs.status.counters["rooms"].capacity == 10
    assert gs.status.lists["players"].values == ("test0", "test1", "test2")


async def test_state_calls(sdk: SDK, sidecar: LocalSidecar) -> None:
    await sdk.allocate()
    assert (await sdk.get_game_server()).status.state is State.ALLOCATED
    await sdk.ready()
    assert (await sdk.get_game_server()).status.state is State.READY
    await sdk.shutdown()
    assert (await sdk.get_game_server()).status.state is State.SHUTDOWN
    assert {"allocate", "ready", "shutdown", "gameserver"} <= set(sidecar.calls)


async def test_reserve_rounds_a_short_duration_up_to_one_second(sdk: SDK) -> None:
    await sdk.reserve(0.2)  # sent as 0 it would mean "forever"
    loop = asyncio.get_running_loop()
    reserved = await _until(sdk, lambda gs: gs.status.state is State.RESERVED)
    start = loop.time()
    assert reserved.status.state is State.RESERVED
    await _until(sdk, lambda gs: gs.status.state is State.READY)
    assert loop.time() - start >= 0.5


async def test_reserve_zero_means_until_changed_and_timedelta_works(sdk: SDK) -> None:
    await sdk.reserve(timedelta(0))
    assert (await sdk.get_game_server()).status.state is State.RESERVED
    await sdk.allocate()
    assert (await sdk.get_game_server()).status.state is State.ALLOCATED


@pytest.mark.parametrize("bad", [-1, -0.001, timedelta(seconds=-3), float("nan"), float("inf")])
async def test_reserve_refuses_bad_durations(sdk: SDK, sidecar: LocalSidecar, bad: float | timedelta) -> None:
    with pytest.raises(InvalidArgumentError, match="reserve duration"):
        await sdk.reserve(bad)
    assert "reserve" not in sidecar.calls


async def test_labels_and_annotations(sdk: SDK) -> None:
    await sdk.set_label("mode", "ctf")
    await sdk.set_annotation("note", "any text: ok/✓")
    meta = (await sdk.get_game_server()).object_meta
    assert meta.labels["agones.dev/sdk-mode"] == "ctf"
    assert meta.annotations["agones.dev/sdk-note"] == "any text: ok/✓"


@pytest.mark.parametrize(("key", "value"), [("bad key", "v"), ("ok", "bad value"), ("", "v"), ("k" * 60, "v")])
async def test_bad_labels_raise_before_sending(sdk: SDK, sidecar: LocalSidecar, key: str, value: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        await sdk.set_label(key, value)
    assert isinstance(info.value, ValueError)
    assert "setlabel" not in sidecar.calls
    assert not any(k.startswith("agones.dev/sdk-") for k in (await sdk.get_game_server()).object_meta.labels)


async def test_health_pings_reach_the_sidecar(sdk: SDK, sidecar: LocalSidecar) -> None:
    await sdk.health()
    await sdk.health()
    await until(lambda: "health" in sidecar.calls)


async def test_alpha_player_tracking(sdk: SDK) -> None:
    alpha = sdk.alpha
    await alpha.set_player_capacity(2)
    assert await alpha.get_player_capacity() == 2
    assert await alpha.player_connect("p1") is True
    assert await alpha.player_connect("p1") is False
    assert await alpha.player_connect("p2") is True
    with pytest.raises(OutOfRangeError):
        await alpha.player_connect("p3")
    assert await alpha.get_player_count() == 2
    assert await alpha.is_player_connected("p1") is True
    assert await alpha.is_player_connected("p3") is False
    assert sorted(await alpha.get_connected_players()) == ["p1", "p2"]
    assert await alpha.player_disconnect("p1") is True
    assert await alpha.player_disconnect("p1") is False
    assert await alpha.get_connected_players() == ["p2"]
    players = (await sdk.get_game_server()).status.players
    assert players is not None and players.ids == ("p2",) and players.capacity == 2
    with pytest.raises(InvalidArgumentError):
        await alpha.set_player_capacity(-1)


async def test_beta_counters(sdk: SDK) -> None:
    beta = sdk.beta
    assert await beta.get_counter("rooms") == Counter("rooms", 1, 10)
    assert await beta.get_counter_count("rooms") == 1
    await beta.increment_counter("rooms", 9)
    with pytest.raises(OutOfRangeError):
        await beta.increment_counter("rooms")
    assert await beta.get_counter_count("rooms") == 10  # a failed call changes nothing
    await beta.decrement_counter("rooms", 10)
    with pytest.raises(OutOfRangeError):
        await beta.decrement_counter("rooms")
    await beta.set_counter_count("rooms", 4)
    assert await beta.get_counter_capacity("rooms") == 10
    await beta.set_counter_capacity("rooms", 5)
    assert await beta.get_counter("rooms") == Counter("rooms", 4, 5)
    with pytest.raises(OutOfRangeError):
        await beta.set_counter_count("rooms", 6)
    with pytest.raises(InvalidArgumentError):
        await beta.increment_counter("rooms", -1)
    with pytest.raises(InvalidArgumentError):
        await beta.set_counter_capacity("rooms", -1)
    with pytest.raises(NotFoundError):
        await beta.get_counter_count("nope")
    with pytest.raises(NotFoundError):
        await beta.increment_counter("nope")
    assert (await sdk.get_game_server()).status.counters["rooms"].count == 4


async def test_beta_lists(sdk: SDK) -> None:
    beta = sdk.beta
    assert await beta.get_list("players") == List("players", 100, ("test0", "test1", "test2"))
    assert await beta.list_contains("players", "test1") is True
    assert await beta.list_contains("players", "nobody") is False
    assert await beta.get_list_length("players") == 3
    await beta.append_list_value("players", "test3")
    with pytest.raises(AlreadyExistsError):
        await beta.append_list_value("players", "test3")
    await beta.delete_list_value("players", "test2")
    with pytest.raises(NotFoundError):
        await beta.delete_list_value("players", "test2")
    assert await beta.get_list_values("players") == ["test0", "test1", "test3"]
    assert await beta.get_list_capacity("players") == 100
    await beta.set_list_capacity("players", 3)
    with pytest.raises(OutOfRangeError):
        await beta.append_list_value("players", "test4")
    for bad in (-1, 1001):
        with pytest.raises(InvalidArgumentError):
            await beta.set_list_capacity("players", bad)
    with pytest.raises(NotFoundError):
        await beta.get_list_values("nope")
    assert (await sdk.get_game_server()).status.lists["players"].values == ("test0", "test1", "test3")
