"""Watch (many watchers, a slow one), Reserve expiry and health checking, over real gRPC."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc.aio
import pytest

from aioagones._pb import sdk_pb2, sdk_pb2_grpc
from aioagones.local import load_game_server
from aioagones.local._server import SidecarServer

from .conftest import Stubs

E = sdk_pb2.Empty()
Watch = grpc.aio.UnaryStreamCall[sdk_pb2.Empty, sdk_pb2.GameServer]


async def read(call: Watch) -> sdk_pb2.GameServer:
    """The next GameServer on a watch (the stream never ends by itself)."""
    message = await call.read()
    assert isinstance(message, sdk_pb2.GameServer), message
    return message


async def _states_until(call: Watch, final: str, seen: list[str]) -> None:
    while gs := await read(call):
        seen.append(gs.status.state)
        if gs.status.state == final:
            return


async def test_watch_sends_the_current_state_then_every_change(stubs: Stubs) -> None:
    s = stubs.sdk
    async with asyncio.timeout(5):
        call = s.WatchGameServer(E)
        first = await read(call)
        assert first.status.state == "Ready"
        await s.Allocate(E)
        await s.Reserve(sdk_pb2.Duration(seconds=0))
        await s.Shutdown(E)
        seen: list[str] = []
        await _states_until(call, "Shutdown", seen)
        call.cancel()
    assert seen == ["Allocated", "Reserved", "Shutdown"]


async def test_watch_sees_counters_lists_labels(stubs: Stubs) -> None:
    from aioagones._pb import beta_pb2

    async with asyncio.timeout(5):
        call = stubs.sdk.WatchGameServer(E)
        await read(call)
        await stubs.beta.AddListValue(beta_pb2.AddListValueRequest(name="players", value="p9"))
        assert "p9" in (await read(call)).status.lists["players"].values
        await stubs.sdk.SetLabel(sdk_pb2.KeyValue(key="k", value="v"))
        assert (await read(call)).object_meta.labels["agones.dev/sdk-k"] == "v"
        call.cancel()


async def test_many_watchers_each_see_every_change(stubs: Stubs) -> None:
    async with asyncio.timeout(10):
        calls = [stubs.sdk.WatchGameServer(E) for _ in range(20)]
        for call in calls:
            assert (await read(call)).status.state == "Ready"
        await stubs.sdk.Allocate(E)
        await stubs.sdk.Shutdown(E)
        results: list[list[str]] = [[] for _ in calls]
        await asyncio.gather(*(_states_until(c, "Shutdown", r) for c, r in zip(calls, results, strict=True)))
        for call in calls:
            call.cancel()
    assert results == [["Allocated", "Shutdown"]] * 20


async def test_a_slow_watcher_blocks_nobody_and_skips_to_the_latest(server: SidecarServer, stubs: Stubs) -> None:
    big = "x" * 100_000  # ~100 kB per snapshot: the slow stream's flow-control window fills quickly
    changes = 200
    async with asyncio.timeout(30):
        slow = stubs.sdk.WatchGameServer(E)
        await read(slow)  # then it stops reading
        fast = stubs.sdk.WatchGameServer(E)
        await read(fast)
        fast_seen: list[int] = []

        async def read_fast() -> None:
            while gs := await read(fast):
                n = int(gs.object_meta.labels.get("agones.dev/sdk-n", "-1"))
                fast_seen.append(n)
                if n == changes - 1:
                    return

        reader = asyncio.create_task(read_fast())
        for n in range(changes):
            await stubs.sdk.SetAnnotation(sdk_pb2.KeyValue(key="big", value=f"{n}{big}"))
            await stubs.sdk.SetLabel(sdk_pb2.KeyValue(key="n", value=str(n)))
        await reader
        assert fast_seen == sorted(fast_seen) and fast_seen[-1] == changes - 1
        # The slow watcher catches up at its own pace and ends on the latest state, having skipped.
        received = 0
        while gs := await read(slow):
            received += 1
            if gs.object_meta.labels.get("agones.dev/sdk-n") == str(changes - 1):
                break
        slow.cancel()
        fast.cancel()
    assert received < 2 * changes, received


async def test_watchers_that_go_away_are_forgotten(server: SidecarServer) -> None:
    async with grpc.aio.insecure_channel(server.address) as channel, asyncio.timeout(5):
        stub = sdk_pb2_grpc.SDKStub(channel)
        for _ in range(5):
            call = stub.WatchGameServer(E)
            await read(call)
            call.cancel()
        # Each cancelled stream's handler ends; a new one still works.
        call = stub.WatchGameServer(E)
        assert (await read(call)).status.state == "Ready"
        await stub.Allocate(E)
        assert (await read(call)).status.state == "Allocated"
        call.cancel()


async def test_reserve_returns_to_ready_after_the_duration(stubs: Stubs, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aioagones.local")
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(5):
        call = stubs.sdk.WatchGameServer(E)
        await read(call)
        start = loop.time()
        await stubs.sdk.Reserve(sdk_pb2.Duration(seconds=1))
        assert (await read(call)).status.state == "Reserved"
        assert (await read(call)).status.state == "Ready"
        call.cancel()
    assert loop.time() - start >= 0.9
    assert "reservation ran out: state Reserved -> Ready" in caplog.messages


def _health_manifest(**health: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "health"},
        "spec": {
            "ports": [{"name": "default", "portPolicy": "None", "containerPort": 7777}],
            "health": {"periodSeconds": 1, "failureThreshold": 1, "initialDelaySeconds": 1, **health},
        },
    }


@pytest.fixture
async def health_server() -> AsyncIterator[SidecarServer]:
    async with SidecarServer(load_game_server(_health_manifest()), host="127.0.0.1", port=0) as running:
        yield running


async def test_unhealthy_after_missed_pings_and_not_before(health_server: SidecarServer) -> None:
    loop = asyncio.get_running_loop()
    async with grpc.aio.insecure_channel(health_server.address) as channel, asyncio.timeout(10):
        stub = sdk_pb2_grpc.SDKStub(channel)
        watch = stub.WatchGameServer(E)
        assert (await read(watch)).status.state == "Scheduled"
        await stub.Ready(E)
        assert (await read(watch)).status.state == "Ready"

        async def pings(seconds: float) -> AsyncIterator[sdk_pb2.Empty]:
            until = loop.time() + seconds
            while loop.time() < until:
                yield E
                await asyncio.sleep(0.2)  # the game's ping interval, well under the 1 s period

        states: asyncio.Queue[str] = asyncio.Queue()

        async def read_states() -> None:
            while gs := await read(watch):
                states.put_nowait(gs.status.state)

        reader = asyncio.create_task(read_states())
        start = loop.time()
        await stub.Health(pings(3.0))  # more than initial delay + threshold * period, with pings
        assert states.empty()  # still Ready
        stopped = loop.time()
        assert await states.get() == "Unhealthy"
        assert loop.time() - stopped >= 0.5
        assert loop.time() - start >= 3
        await stub.Ready(E)  # no call moves it out of Unhealthy
        assert (await stub.GetGameServer(E)).status.state == "Unhealthy"
        watch.cancel()
        await asyncio.gather(reader, return_exceptions=True)


async def test_no_pings_at_all_goes_unhealthy_after_the_initial_delay(
    health_server: SidecarServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aioagones.local")
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with grpc.aio.insecure_channel(health_server.address) as channel, asyncio.timeout(10):
        watch = sdk_pb2_grpc.SDKStub(channel).WatchGameServer(E)
        assert (await read(watch)).status.state == "Scheduled"
        assert (await read(watch)).status.state == "Unhealthy"
        watch.cancel()
    assert loop.time() - start >= 1.5  # initial delay 1 + threshold 1 * period 1 = 2 s
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "no health ping for 1 s (failureThreshold 1 x periodSeconds 1): state Scheduled -> Unhealthy, for good"
    )


async def test_health_disabled_stays_put() -> None:
    game_server = load_game_server(_health_manifest(disabled=True))
    async with SidecarServer(game_server, host="127.0.0.1", port=0) as server:
        assert server.rules.next_deadline() is None
        assert server.snapshot().status.state == "Scheduled"
