"""`SDK.wait_for_state`, the settings' one message, and ready() on an Unhealthy GameServer."""

from __future__ import annotations

import asyncio
import logging

import pytest

from aioagones import (
    SDK,
    AgonesError,
    GameServer,
    InvalidArgumentError,
    SDKClosedError,
    State,
    StateTimeoutError,
)
from aioagones.testing import LocalSidecar

from .._wait import until


async def test_the_current_state_returns_at_once(sdk: SDK) -> None:
    async with asyncio.timeout(5):
        game_server = await sdk.wait_for_state(State.READY)
    assert game_server.status.state is State.READY


async def test_waits_for_the_allocation_and_returns_the_game_server(sidecar: LocalSidecar, sdk: SDK) -> None:
    waiting = asyncio.create_task(sdk.wait_for_state("Allocated", timeout=10))
    await until(lambda: "watch" in sidecar.calls)
    assert not waiting.done()
    await sidecar.allocate()
    async with asyncio.timeout(5):
        game_server = await waiting
    assert game_server.status.state is State.ALLOCATED
    assert game_server.object_meta.annotations.get("agones.dev/last-allocated")
    await sidecar.wait_streams_closed()  # the watch it used is closed, not left to the garbage collector


async def test_a_predicate_over_the_game_server(sidecar: LocalSidecar, sdk: SDK) -> None:
    def labelled(game_server: GameServer) -> bool:
        return game_server.object_meta.labels.get("agones.dev/sdk-map") == "harbor"

    waiting = asyncio.create_task(sdk.wait_for_state(labelled, timeout=10))
    await until(lambda: "watch" in sidecar.calls)
    await sdk.set_label("map", "harbor")
    async with asyncio.timeout(5):
        assert labelled(await waiting)


async def test_the_timeout_names_what_was_waited_for_and_the_last_state(sdk: SDK) -> None:
    with pytest.raises(StateTimeoutError) as info:
        async with asyncio.timeout(5):
            await sdk.wait_for_state(State.ALLOCATED, timeout=0.3)
    error = info.value
    assert str(error) == (
        "wait_for_state(): the GameServer was not in state Allocated within 0.3 s; last state seen: Ready"
    )
    assert isinstance(error, TimeoutError) and isinstance(error, AgonesError)
    assert error.waited_for == "state Allocated"
    assert error.last is not None and error.last.status.state is State.READY

    def has_players(game_server: GameServer) -> bool:
        return False

    with pytest.raises(StateTimeoutError, match=r"no GameServer matched has_players within 0\.2 s; last state seen"):
        await sdk.wait_for_state(has_players, timeout=0.2)


async def test_closing_the_sdk_ends_the_wait(sdk: SDK, sidecar: LocalSidecar) -> None:
    waiting = asyncio.create_task(sdk.wait_for_state(State.ALLOCATED))
    await until(lambda: "watch" in sidecar.calls)
    await sdk.close()
    with pytest.raises(SDKClosedError, match="closed while waiting for state Allocated"):
        async with asyncio.timeout(5):
            await waiting


@pytest.mark.parametrize(
    ("state", "seconds", "says"),
    [
        ("Alocated", 1, "'Alocated' is not a GameServer state; one of: Scheduled, RequestReady, Ready"),
        (State.READY, 0, r"timeout must be a positive number of seconds or None, not 0"),
        (State.READY, -1, r"timeout must be a positive number of seconds or None, not -1"),
    ],
)
async def test_a_bad_wait_is_refused_with_one_line(sdk: SDK, state: str, seconds: float, says: str) -> None:
    with pytest.raises(InvalidArgumentError, match=says):
        await sdk.wait_for_state(state, timeout=seconds)


@pytest.mark.parametrize("name", ["call_timeout", "connect_timeout"])
def test_zero_and_negative_timeouts_get_one_message(name: str) -> None:
    messages = []
    for value in (-1, 0, float("nan")):
        with pytest.raises(InvalidArgumentError) as info:
            SDK(**{name: value})  # type: ignore[arg-type]
        messages.append(str(info.value))
    assert messages == [f"SDK(): {name} must be a positive number of seconds, not {v!r}" for v in (-1, 0, float("nan"))]


async def test_ready_on_an_unhealthy_game_server_says_what_happened(
    sidecar: LocalSidecar, caplog: pytest.LogCaptureFixture
) -> None:
    async with SDK(sidecar.host, sidecar.port, health_interval=None) as sdk:
        await sidecar.set_state(State.UNHEALTHY)  # once the game is connected, as missed pings would
        await sdk.ready()  # answered as Agones' sidecar does: no error, no change
        assert (await sdk.get_game_server()).status.state is State.UNHEALTHY
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "GameServer 'local' is Unhealthy" in warnings[0]
    assert "agones-local-sidecar reset" in warnings[0]


async def test_ready_on_a_healthy_game_server_warns_of_nothing(sdk: SDK, caplog: pytest.LogCaptureFixture) -> None:
    await sdk.ready()
    await sdk.ready()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
