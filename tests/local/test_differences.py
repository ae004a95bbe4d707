"""Each row of the table of deliberate differences from `sdk-server --local` (docs/local-sidecar.md).

One case per row, named after it, over a real gRPC socket. Where Agones' in-cluster SDK server
and its local one disagree, the in-cluster one is the reference; the table says which is which.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest
from google.protobuf import field_mask_pb2, wrappers_pb2

from aioagones._pb import alpha_pb2, beta_pb2, sdk_pb2
from aioagones.local import GameServerState, default_game_server, load_game_server
from aioagones.local._server import SidecarServer
from aioagones.local._state import HealthSpec

from .conftest import Stubs

E = sdk_pb2.Empty()
DOC = Path(__file__).parents[2] / "docs" / "local-sidecar.md"
WALL_CLOCK = 1_700_000_000.0


class Clock:
    """A monotonic clock the test moves by hand: timers fire when the sidecar next wakes up."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def sidecar(
    game_server: GameServerState | None = None, *, clock: Clock | None = None, watch_file: Path | None = None
) -> AsyncIterator[tuple[SidecarServer, Stubs]]:
    from aioagones._pb import alpha_pb2_grpc, beta_pb2_grpc, sdk_pb2_grpc

    server = SidecarServer(
        game_server or default_game_server(WALL_CLOCK),
        host="127.0.0.1",
        port=0,
        clock=clock or Clock(),
        wall_clock=lambda: WALL_CLOCK,
        watch_file=watch_file,
    )
    async with server, grpc.aio.insecure_channel(server.address) as channel:
        stubs = Stubs(sdk_pb2_grpc.SDKStub(channel), alpha_pb2_grpc.SDKStub(channel), beta_pb2_grpc.SDKStub(channel))
        async with asyncio.timeout(10):
            yield server, stubs


async def refused(call: Awaitable[Any]) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    return info.value.code(), info.value.details() or ""


async def watch_until(stubs: Stubs, done: Callable[[sdk_pb2.GameServer], bool]) -> sdk_pb2.GameServer:
    call = stubs.sdk.WatchGameServer(E)
    try:
        while True:
            gs = await call.read()
            assert isinstance(gs, sdk_pb2.GameServer)
            if done(gs):
                return gs
    finally:
        call.cancel()


Row = Callable[[], Awaitable[None]]
ROWS: dict[str, Row] = {}


def row(name: str) -> Callable[[Row], Row]:
    def register(case: Row) -> Row:
        ROWS[name] = case
        return case

    return register


@row("label-keys-and-values-are-validated")
async def _() -> None:
    async with sidecar() as (server, stubs):
        code, details = await refused(stubs.sdk.SetLabel(sdk_pb2.KeyValue(key="bad key", value="v")))
        assert code is grpc.StatusCode.INVALID_ARGUMENT
        assert "bad key" in details
        code, _ = await refused(stubs.sdk.SetLabel(sdk_pb2.KeyValue(key="ok", value="not a label value!")))
        assert code is grpc.StatusCode.INVALID_ARGUMENT
        assert dict(server.snapshot().object_meta.labels) == {"islocal": "true"}


@row("annotation-keys-are-validated")
async def _() -> None:
    async with sidecar() as (server, stubs):
        code, _ = await refused(stubs.sdk.SetAnnotation(sdk_pb2.KeyValue(key="bad key", value="v")))
        assert code is grpc.StatusCode.INVALID_ARGUMENT
        await stubs.sdk.SetAnnotation(sdk_pb2.KeyValue(key="note", value="any text, even this!"))
        assert server.snapshot().object_meta.annotations["agones.dev/sdk-note"] == "any text, even this!"


@row("a-negative-reserve-is-refused")
async def _() -> None:
    async with sidecar() as (server, stubs):
        code, details = await refused(stubs.sdk.Reserve(sdk_pb2.Duration(seconds=-1)))
        assert code is grpc.StatusCode.INVALID_ARGUMENT
        assert details == "invalid argument. Duration must be 0 or more seconds, got -1"
        assert server.snapshot().status.state == "Ready"


@row("a-negative-player-capacity-is-refused")
async def _() -> None:
    async with sidecar() as (server, stubs):
        code, _ = await refused(stubs.alpha.SetPlayerCapacity(alpha_pb2.Count(count=-1)))
        assert code is grpc.StatusCode.INVALID_ARGUMENT
        assert server.snapshot().status.players.capacity == 0


@row("allocate-sets-last-allocated")
async def _() -> None:
    async with sidecar() as (server, stubs):
        await stubs.sdk.Allocate(E)
        stamp = server.snapshot().object_meta.annotations["agones.dev/last-allocated"]
    moment = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert moment.timestamp() == WALL_CLOCK


@row("list-values-stay-unique")
async def _() -> None:
    async with sidecar() as (_, stubs):
        reply = await stubs.beta.UpdateList(
            beta_pb2.UpdateListRequest(
                list=beta_pb2.List(name="players", values=["a", "b", "a"]),
                update_mask=field_mask_pb2.FieldMask(paths=["values"]),
            )
        )
    assert list(reply.values) == ["a", "b"]


@row("list-capacity-up-to-1000")
async def _() -> None:
    manifest = {"metadata": {"name": "gs"}, "spec": {"lists": {"maps": {"capacity": 3}}}}  # no "players" list
    async with sidecar(load_game_server(manifest)) as (_, stubs):
        reply = await stubs.beta.UpdateList(
            beta_pb2.UpdateListRequest(
                list=beta_pb2.List(name="maps", capacity=1000), update_mask=field_mask_pb2.FieldMask(paths=["capacity"])
            )
        )
        assert reply.capacity == 1000
        code, _ = await refused(
            stubs.beta.UpdateList(
                beta_pb2.UpdateListRequest(
                    list=beta_pb2.List(name="maps", capacity=1001),
                    update_mask=field_mask_pb2.FieldMask(paths=["capacity"]),
                )
            )
        )
        assert code is grpc.StatusCode.OUT_OF_RANGE


async def _go_unhealthy(clock: Clock, stubs: Stubs) -> None:
    await stubs.sdk.GetGameServer(E)  # the game's first call starts the health clock (if none did)
    clock.now = 1000.0  # the default GameServer: 10 s initial delay + 5 x 3 s without a ping
    await stubs.sdk.GetGameServer(E)  # any call wakes the timer
    await watch_until(stubs, lambda gs: gs.status.state == "Unhealthy")


@row("unhealthy-without-health-pings")
async def _() -> None:
    clock = Clock()
    async with sidecar(clock=clock) as (server, stubs):
        clock.now = 24.0
        await stubs.sdk.GetGameServer(E)
        assert server.snapshot().status.state == "Ready"
        await _go_unhealthy(clock, stubs)


@row("unhealthy-is-final")
async def _() -> None:
    clock = Clock()
    async with sidecar(clock=clock) as (server, stubs):
        await _go_unhealthy(clock, stubs)
        await stubs.sdk.Ready(E)
        await stubs.sdk.Allocate(E)
        assert server.snapshot().status.state == "Unhealthy"


@row("reserve-0-cancels-a-pending-reserve")
async def _() -> None:
    game_server = default_game_server(WALL_CLOCK)
    game_server.health = HealthSpec(disabled=True)
    async with sidecar(game_server) as (server, stubs):
        await stubs.sdk.Reserve(sdk_pb2.Duration(seconds=5))
        assert server.rules.next_deadline() == 5.0
        await stubs.sdk.Reserve(sdk_pb2.Duration(seconds=0))
        assert server.rules.next_deadline() is None  # reserved until something else changes it
        assert server.snapshot().status.state == "Reserved"


@row("counter-and-list-changes-reach-watchers")
async def _() -> None:
    async with sidecar() as (_, stubs):
        call = stubs.sdk.WatchGameServer(E)
        await call.read()
        update = beta_pb2.CounterUpdateRequest(name="rooms", countDiff=2)
        await stubs.beta.UpdateCounter(beta_pb2.UpdateCounterRequest(counterUpdateRequest=update))
        gs = await call.read()
        assert isinstance(gs, sdk_pb2.GameServer)
        assert gs.status.counters["rooms"].count == 3
        await stubs.beta.AddListValue(beta_pb2.AddListValueRequest(name="players", value="p"))
        gs = await call.read()
        assert isinstance(gs, sdk_pb2.GameServer)
        assert list(gs.status.lists["players"].values)[-1] == "p"
        call.cancel()


@row("precise-status-codes")
async def _() -> None:
    async with sidecar() as (_, stubs):
        b = stubs.beta
        assert await refused(b.GetCounter(beta_pb2.GetCounterRequest(name="x"))) == (
            grpc.StatusCode.NOT_FOUND,
            "counter not found: x",
        )
        over = beta_pb2.CounterUpdateRequest(name="rooms", count=wrappers_pb2.Int64Value(value=11))
        code, details = await refused(b.UpdateCounter(beta_pb2.UpdateCounterRequest(counterUpdateRequest=over)))
        assert (code, details.split(".")[0]) == (grpc.StatusCode.OUT_OF_RANGE, "out of range")
        code, details = await refused(b.AddListValue(beta_pb2.AddListValueRequest(name="players", value="test0")))
        assert (code, details) == (
            grpc.StatusCode.ALREADY_EXISTS,
            "already exists. Value: test0 already in List: players",
        )
        code, _ = await refused(stubs.alpha.PlayerConnect(alpha_pb2.PlayerID(playerID="p")))  # capacity 0
        assert code is grpc.StatusCode.OUT_OF_RANGE


@row("a-manifest-is-read-as-a-cluster-reads-it")
async def _() -> None:
    manifest = {
        "metadata": {"name": "gs"},
        "spec": {
            "ports": [{"name": "default", "portPolicy": "None", "containerPort": 7777}],
            "counters": {"rooms": {"count": 1, "capacity": 4}},
            "health": {"periodSeconds": 0},
        },
        "status": {"state": "Allocated", "ports": [{"name": "x", "port": 1}]},
    }
    async with sidecar(load_game_server(manifest)) as (_, stubs):
        gs = await stubs.sdk.GetGameServer(E)
    assert gs.status.state == "Scheduled"
    assert [(p.name, p.port) for p in gs.status.ports] == [("default", 7777)]
    assert gs.status.addresses and all(a.type == "PodIP" for a in gs.status.addresses)
    assert (gs.status.counters["rooms"].count, gs.status.counters["rooms"].capacity) == (1, 4)
    assert (gs.spec.health.period_seconds, gs.spec.health.failure_threshold) == (5, 3)  # Agones' defaults


@row("a-reload-keeps-what-the-file-leaves-out")
async def _() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gs.yaml"
        path.write_text("metadata: {name: gs}\nspec:\n  counters: {rooms: {capacity: 9}}\n  health: {disabled: true}\n")
        async with sidecar(load_game_server(path), watch_file=path) as (_, stubs):
            update = beta_pb2.CounterUpdateRequest(name="rooms", countDiff=2)
            await stubs.beta.UpdateCounter(beta_pb2.UpdateCounterRequest(counterUpdateRequest=update))
            path.write_text(
                "metadata: {name: gs, labels: {mode: ctf}}\nspec:\n  counters: {rooms: {capacity: 9}}\n"
                "  health: {disabled: true}\nstatus: {state: Allocated, ports: [{name: x, port: 1}]}\n"
            )
            gs = await watch_until(stubs, lambda gs: gs.object_meta.labels.get("mode") == "ctf")
    assert gs.status.state == "Allocated"
    assert gs.status.counters["rooms"].count == 2  # the game's change survives the edit
    assert list(gs.status.ports) == []  # derived from spec.ports (none), not copied from the file


@pytest.mark.parametrize("name", list(ROWS))
async def test_difference(name: str) -> None:
    await ROWS[name]()


def test_every_row_of_the_table_is_a_case() -> None:
    table = DOC.read_text(encoding="utf-8").split("## Deliberate differences", 1)[1].split("\n## ", 1)[0]
    names = re.findall(r"^\| `([a-z0-9-]+)` \|", table, flags=re.MULTILINE)
    assert names == list(ROWS)
