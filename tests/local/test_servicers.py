"""The three services over real gRPC on loopback, through the raw generated stubs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import grpc
import grpc.aio
import pytest
from google.protobuf import field_mask_pb2, wrappers_pb2

from aioagones._pb import alpha_pb2, beta_pb2, sdk_pb2, sdk_pb2_grpc
from aioagones.local import default_game_server
from aioagones.local._server import SidecarServer

from .conftest import Stubs

E = sdk_pb2.Empty()
AE = alpha_pb2.Empty()


async def _code(call: object) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async with asyncio.timeout(5):
            await call  # type: ignore[misc]
    return info.value.code(), info.value.details() or ""


async def test_lifecycle_calls_and_the_call_log(stubs: Stubs, server: SidecarServer) -> None:
    s = stubs.sdk
    async with asyncio.timeout(5):
        assert (await s.GetGameServer(E)).status.state == "Ready"
        await s.Allocate(E)
        gs = await s.GetGameServer(E)
        assert gs.status.state == "Allocated"
        assert gs.object_meta.annotations["agones.dev/last-allocated"].endswith("Z")
        await s.Reserve(sdk_pb2.Duration(seconds=0))
        assert (await s.GetGameServer(E)).status.state == "Reserved"
        await s.Shutdown(E)
        assert (await s.GetGameServer(E)).status.state == "Shutdown"
        await s.Ready(E)
        assert (await s.GetGameServer(E)).status.state == "Ready"
        await s.SetLabel(sdk_pb2.KeyValue(key="mode", value="ctf"))
        await s.SetAnnotation(sdk_pb2.KeyValue(key="note", value="anything ✓"))
        meta = (await s.GetGameServer(E)).object_meta
    assert meta.labels["agones.dev/sdk-mode"] == "ctf"
    assert meta.annotations["agones.dev/sdk-note"] == "anything ✓"
    assert server.calls == [
        "gameserver",
        "allocate",
        "gameserver",
        "reserve",
        "gameserver",
        "shutdown",
        "gameserver",
        "ready",
        "gameserver",
        "setlabel",
        "setannotation",
        "gameserver",
    ]


@pytest.mark.parametrize(
    ("method", "request_"),
    [
        ("SetLabel", sdk_pb2.KeyValue(key="bad key", value="v")),
        ("SetLabel", sdk_pb2.KeyValue(key="ok", value="bad value")),
        ("SetAnnotation", sdk_pb2.KeyValue(key="", value="v")),
        ("Reserve", sdk_pb2.Duration(seconds=-1)),
    ],
)
async def test_invalid_arguments(stubs: Stubs, server: SidecarServer, method: str, request_: object) -> None:
    before = server.snapshot()
    code, details = await _code(getattr(stubs.sdk, method)(request_))
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert details
    assert server.snapshot() == before


async def test_health_stream_counts_pings(stubs: Stubs, server: SidecarServer) -> None:
    async def pings() -> AsyncIterator[sdk_pb2.Empty]:
        for _ in range(3):
            yield E

    async with asyncio.timeout(5):
        await stubs.sdk.Health(pings())
    assert server.calls.count("health") == 3


async def test_players(stubs: Stubs, server: SidecarServer) -> None:
    a = stubs.alpha
    pid = alpha_pb2.PlayerID
    async with asyncio.timeout(5):
        code, details = await _code(a.PlayerConnect(pid(playerID="p1")))
        assert (code, details) == (grpc.StatusCode.OUT_OF_RANGE, "players are already at capacity")
        await a.SetPlayerCapacity(alpha_pb2.Count(count=1))
        assert (await a.GetPlayerCapacity(AE)).count == 1
        assert (await a.PlayerConnect(pid(playerID="p1"))).bool is True
        assert (await a.PlayerConnect(pid(playerID="p1"))).bool is False
        assert (await a.IsPlayerConnected(pid(playerID="p1"))).bool is True
        assert list((await a.GetConnectedPlayers(AE)).list) == ["p1"]
        assert (await a.GetPlayerCount(AE)).count == 1
        assert (await a.PlayerDisconnect(pid(playerID="p1"))).bool is True
        assert (await a.PlayerDisconnect(pid(playerID="p1"))).bool is False
        code, _ = await _code(a.SetPlayerCapacity(alpha_pb2.Count(count=-1)))
        assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert set(server.calls) == {
        "playerconnect",
        "setplayercapacity",
        "getplayercapacity",
        "isplayerconnected",
        "getconnectedplayers",
        "getplayercount",
        "playerdisconnect",
    }


def _update(
    name: str, count: int | None = None, capacity: int | None = None, diff: int = 0
) -> beta_pb2.UpdateCounterRequest:
    return beta_pb2.UpdateCounterRequest(
        counterUpdateRequest=beta_pb2.CounterUpdateRequest(
            name=name,
            count=None if count is None else wrappers_pb2.Int64Value(value=count),
            capacity=None if capacity is None else wrappers_pb2.Int64Value(value=capacity),
            countDiff=diff,
        )
    )


async def test_counters(stubs: Stubs, server: SidecarServer) -> None:
    b = stubs.beta
    async with asyncio.timeout(5):
        assert await b.GetCounter(beta_pb2.GetCounterRequest(name="rooms")) == beta_pb2.Counter(
            name="rooms", count=1, capacity=10
        )
        assert (await b.UpdateCounter(_update("rooms", diff=9))).count == 10
        code, details = await _code(b.UpdateCounter(_update("rooms", diff=1)))
        assert code is grpc.StatusCode.OUT_OF_RANGE
        assert details == "out of range. Count must be within range [0,Capacity]. Found Count: 11, Capacity: 10"
        counter = await b.UpdateCounter(_update("rooms", count=3, capacity=4))
        assert (counter.count, counter.capacity) == (3, 4)
        code, details = await _code(b.GetCounter(beta_pb2.GetCounterRequest(name="nope")))
        assert (code, details) == (grpc.StatusCode.NOT_FOUND, "counter not found: nope")
        code, details = await _code(b.UpdateCounter(_update("nope", diff=1)))
        assert (code, details) == (grpc.StatusCode.NOT_FOUND, "not found. nope Counter not found")
    assert server.snapshot().status.counters["rooms"].count == 3
    assert {"getcounter", "updatecounter", "setcountcounter", "setcapacitycounter"} == set(server.calls)


async def test_lists(stubs: Stubs, server: SidecarServer) -> None:
    b = stubs.beta
    async with asyncio.timeout(5):
        assert list((await b.GetList(beta_pb2.GetListRequest(name="players"))).values) == ["test0", "test1", "test2"]
        added = await b.AddListValue(beta_pb2.AddListValueRequest(name="players", value="test3"))
        assert list(added.values) == ["test0", "test1", "test2", "test3"]
        code, details = await _code(b.AddListValue(beta_pb2.AddListValueRequest(name="players", value="test3")))
        assert (code, details) == (
            grpc.StatusCode.ALREADY_EXISTS,
            "already exists. Value: test3 already in List: players",
        )
        removed = await b.RemoveListValue(beta_pb2.RemoveListValueRequest(name="players", value="test2"))
        assert list(removed.values) == ["test0", "test1", "test3"]
        code, _ = await _code(b.RemoveListValue(beta_pb2.RemoveListValueRequest(name="players", value="test2")))
        assert code is grpc.StatusCode.NOT_FOUND
        updated = await b.UpdateList(
            beta_pb2.UpdateListRequest(
                list=beta_pb2.List(name="players", capacity=2), update_mask=field_mask_pb2.FieldMask(paths=["capacity"])
            )
        )
        assert (updated.capacity, list(updated.values)) == (2, ["test0", "test1"])
        code, details = await _code(b.AddListValue(beta_pb2.AddListValueRequest(name="players", value="x")))
        assert code is grpc.StatusCode.OUT_OF_RANGE
        code, _ = await _code(b.UpdateList(beta_pb2.UpdateListRequest(list=beta_pb2.List(name="players"))))
        assert code is grpc.StatusCode.INVALID_ARGUMENT
        code, _ = await _code(
            b.UpdateList(
                beta_pb2.UpdateListRequest(
                    list=beta_pb2.List(name="players", capacity=1001),
                    update_mask=field_mask_pb2.FieldMask(paths=["capacity"]),
                )
            )
        )
        assert code is grpc.StatusCode.OUT_OF_RANGE
        code, details = await _code(b.GetList(beta_pb2.GetListRequest(name="nope")))
        assert (code, details) == (grpc.StatusCode.NOT_FOUND, "list not found: nope")
    status = server.snapshot().status.lists["players"]
    assert (status.capacity, list(status.values)) == (2, ["test0", "test1"])


async def test_an_update_list_mask_may_name_the_name_as_the_real_sidecar_allows(
    stubs: Stubs, server: SidecarServer
) -> None:
    """Issue 15 (14): the mask is checked against List's fields, `name` among them; the name is not changed."""
    async with asyncio.timeout(5):
        updated = await stubs.beta.UpdateList(
            beta_pb2.UpdateListRequest(
                list=beta_pb2.List(name="players", capacity=7, values=["x"]),
                update_mask=field_mask_pb2.FieldMask(paths=["name"]),
            )
        )
        assert (updated.name, updated.capacity, list(updated.values)) == ("players", 100, ["test0", "test1", "test2"])
        code, details = await _code(
            stubs.beta.UpdateList(
                beta_pb2.UpdateListRequest(
                    list=beta_pb2.List(name="players"), update_mask=field_mask_pb2.FieldMask(paths=["nmae"])
                )
            )
        )
        assert code is grpc.StatusCode.INVALID_ARGUMENT and "nmae" in details
    status = server.snapshot().status.lists["players"]
    assert (status.capacity, list(status.values)) == (100, ["test0", "test1", "test2"])


async def test_each_call_is_logged_in_one_line(
    stubs: Stubs, server: SidecarServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aioagones.local")
    async with asyncio.timeout(5):
        await stubs.sdk.SetLabel(sdk_pb2.KeyValue(key="mode", value="ctf"))
        await _code(stubs.beta.GetCounter(beta_pb2.GetCounterRequest(name="nope")))
        await stubs.beta.UpdateCounter(_update("rooms", diff=2))
    lines = [r.getMessage() for r in caplog.records]
    assert "SetLabel(key='mode', value='ctf') -> ok" in lines
    assert "GetCounter(name='nope') -> NOT_FOUND: counter not found: nope" in lines
    assert "UpdateCounter(name='rooms', countDiff=+2) -> rooms 3/10" in lines
    assert not any("\n" in line for line in lines)


async def test_restart_on_the_same_port_keeps_the_game_server(server: SidecarServer) -> None:
    port = server.port
    async with grpc.aio.insecure_channel(server.address) as channel, asyncio.timeout(10):
        stub = sdk_pb2_grpc.SDKStub(channel)
        await stub.Allocate(E)
        await server.stop()
        assert not server.running
        code, _ = await _code(stub.Ready(E))
        assert code is grpc.StatusCode.UNAVAILABLE
        await server.start()
        assert server.port == port
        gs = await stub.GetGameServer(E, wait_for_ready=True)
        assert gs.status.state == "Allocated"
    await server.stop()
    await server.stop()  # twice is harmless


async def test_a_busy_port_is_refused(server: SidecarServer) -> None:
    other = SidecarServer(server.rules.game_server, host="127.0.0.1", port=server.port)
    with pytest.raises(OSError, match=f"127.0.0.1:{server.port}"):
        await other.start()
    assert not other.running


async def test_ipv6_loopback() -> None:
    async with SidecarServer(default_game_server(0), host="::1", port=0) as server:
        assert server.address == f"[::1]:{server.port}"
        async with grpc.aio.insecure_channel(server.address) as channel, asyncio.timeout(5):
            assert (await sdk_pb2_grpc.SDKStub(channel).GetGameServer(E)).object_meta.name == "local"


async def test_localhost_serves_ipv4_and_ipv6() -> None:
    async with SidecarServer(default_game_server(0), host="localhost", port=0) as server:
        for address in (f"127.0.0.1:{server.port}", f"[::1]:{server.port}"):
            async with grpc.aio.insecure_channel(address) as channel, asyncio.timeout(5):
                assert (await sdk_pb2_grpc.SDKStub(channel).GetGameServer(E)).object_meta.name == "local"


async def test_stop_ends_open_streams_with_unavailable(server: SidecarServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    stopped = asyncio.Event()

    async def pings() -> AsyncIterator[sdk_pb2.Empty]:
        yield E
        await stopped.wait()

    async with grpc.aio.insecure_channel(server.address) as channel, asyncio.timeout(10):
        stub = sdk_pb2_grpc.SDKStub(channel)
        watch = stub.WatchGameServer(E)
        assert isinstance(await watch.read(), sdk_pb2.GameServer)
        health = stub.Health(pings())
        while server.open_streams < 2:  # noqa: ASYNC110 (the health stream has no answer to await)
            await asyncio.sleep(0.01)
        await server.stop()
        stopped.set()
        code, details = await _code(watch.read())
        assert (code, details) == (grpc.StatusCode.UNAVAILABLE, "the local sidecar is stopping")
        code, details = await _code(health)
        assert (code, details) == (grpc.StatusCode.UNAVAILABLE, "the local sidecar is stopping")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
