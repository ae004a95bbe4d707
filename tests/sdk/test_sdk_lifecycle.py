"""Connecting, surviving the sidecar, deadlines, cancellation and closing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import grpc
import grpc.aio
import pytest

from aioagones import (
    SDK,
    GameServer,
    InvalidArgumentError,
    SDKClosedError,
    SidecarTimeoutError,
    SidecarUnavailableError,
    State,
)
from aioagones._pb import sdk_pb2
from aioagones.testing import LocalSidecar

from .._commands import free_port, sidecar_command
from .._support import fake_sidecar
from .._wait import until
from .conftest import StuckSidecar


async def test_connect_waits_for_a_sidecar_that_starts_late() -> None:
    port = free_port()
    sdk = SDK("127.0.0.1", port, connect_timeout=10, health_interval=None)
    connecting = asyncio.create_task(sdk.connect())
    await asyncio.sleep(1.5)  # the sidecar comes up 1.5 s after the game starts waiting
    assert not connecting.done()
    async with LocalSidecar(port=port):
        async with asyncio.timeout(8):
            await connecting
        assert (await sdk.get_game_server()).object_meta.name == "local"
        await sdk.close()


@pytest.fixture
async def dying_sidecar() -> AsyncIterator[tuple[int, asyncio.Event, grpc.aio.Server]]:
    """A sidecar going away: GetGameServer ends CANCELLED, as calls cut off by an exiting sidecar were seen
    to; the test then stops it."""
    called = asyncio.Event()

    async def get_game_server(
        request: sdk_pb2.Empty, context: grpc.aio.ServicerContext[sdk_pb2.Empty, sdk_pb2.GameServer]
    ) -> sdk_pb2.GameServer:
        called.set()
        await context.abort(grpc.StatusCode.CANCELLED, "the sidecar is shutting down")
        raise AssertionError("unreachable")

    async with fake_sidecar(get_game_server) as (server, port):
        yield port, called, server


async def test_connect_waits_for_a_sidecar_that_dies_during_connect(
    dying_sidecar: tuple[int, asyncio.Event, grpc.aio.Server],
) -> None:
    """A sidecar that goes away during connect (its port taken, say) is waited for like a late one."""
    port, called, server = dying_sidecar
    sdk = SDK("127.0.0.1", port, connect_timeout=10, health_interval=None)
    connecting = asyncio.create_task(sdk.connect())
    async with asyncio.timeout(5):
        await called.wait()
    await server.stop(grace=None)
    async with LocalSidecar(port=port):
        async with asyncio.timeout(8):
            await connecting
        assert (await sdk.get_game_server()).object_meta.name == "local"
        await sdk.close()


async def test_connect_timeout_names_the_address_and_the_wait() -> None:
    port = free_port()
    sdk = SDK("127.0.0.1", port, connect_timeout=0.5, health_interval=None)
    with pytest.raises(SidecarUnavailableError) as info:
        async with asyncio.timeout(5):
            await sdk.connect()
    assert f"127.0.0.1:{port}" in str(info.value)
    assert "0.5 s" in str(info.value)
    assert info.value.retriable
    with pytest.raises(SDKClosedError):
        await sdk.get_game_server()


async def test_address_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    async with LocalSidecar() as sidecar:
        monkeypatch.setenv("AGONES_SDK_GRPC_HOST", sidecar.host)
        monkeypatch.setenv("AGONES_SDK_GRPC_PORT", str(sidecar.port))
        async with SDK(connect_timeout=5, health_interval=None) as sdk:
            assert sdk.address == f"{sidecar.host}:{sidecar.port}"
            await sdk.ready()
        assert "ready" in sidecar.calls


@pytest.mark.parametrize(
    ("kwargs", "env", "says"),
    [
        ({"port": 0}, None, "not in 1-65535"),
        ({"port": 70000}, None, "not in 1-65535"),
        ({}, "nine", "AGONES_SDK_GRPC_PORT='nine'"),
        ({"connect_timeout": 0}, None, "connect_timeout"),
        ({"call_timeout": -1}, None, "call_timeout"),
        ({"health_interval": 0}, None, "health_interval"),
    ],
)
def test_bad_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, float], env: str | None, says: str
) -> None:
    if env is not None:
        monkeypatch.setenv("AGONES_SDK_GRPC_PORT", env)
    with pytest.raises(InvalidArgumentError, match=says):
        SDK(**kwargs)  # type: ignore[arg-type]


async def test_ipv6_literal_host() -> None:
    async with LocalSidecar(host="::1") as sidecar, SDK("::1", sidecar.port, health_interval=None) as sdk:
        assert sdk.address == f"[::1]:{sidecar.port}"
        assert (await sdk.get_game_server()).object_meta.name == "local"


async def test_sidecar_restart_mid_session(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aioagones")
    sidecar = LocalSidecar()
    await sidecar.start()
    port = sidecar.port
    seen: asyncio.Queue[GameServer] = asyncio.Queue()
    try:
        async with SDK("127.0.0.1", port, connect_timeout=5, health_interval=0.1) as sdk:

            async def watch() -> None:
                async for gs in sdk.watch_game_server():
                    seen.put_nowait(gs)

            watcher = asyncio.create_task(watch())
            async with asyncio.timeout(5):
                assert (await seen.get()).status.state is State.READY
            await sidecar.stop()

            with pytest.raises(SidecarUnavailableError) as info:
                await sdk.ready()
            assert info.value.retriable

            sidecar = LocalSidecar(port=port)
            await sidecar.start()
            restarted = sidecar
            await until(lambda: "health" in restarted.calls, timeout=10)  # the managed health stream came back
            await until(lambda: "watch" in restarted.calls, timeout=10)  # and so did the watch
            await sdk.allocate()
            async with asyncio.timeout(5):
                while (await seen.get()).status.state is not State.ALLOCATED:
                    pass
            assert not watcher.done()
            watcher.cancel()
            with pytest.raises(asyncio.CancelledError):
                await watcher
    finally:
        await sidecar.stop()
    lost = [r for r in caplog.records if "unavailable" in r.getMessage()]
    back = [r for r in caplog.records if "is back" in r.getMessage()]
    assert (len(lost), len(back)) == (1, 1), [r.getMessage() for r in caplog.records]


async def test_breaking_out_of_a_watch_and_cancelling_it(sdk: SDK) -> None:
    async for gs in sdk.watch_game_server():
        assert gs.status.state is State.READY
        break

    async def forever() -> None:
        async for _ in sdk.watch_game_server():
            pass

    task = asyncio.create_task(forever())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await sdk.allocate()  # the SDK is still fine
    assert (await sdk.get_game_server()).status.state is State.ALLOCATED


async def test_watch_first_item_is_current_then_changes(sdk: SDK) -> None:
    await sdk.allocate()
    states: list[State] = []
    async with asyncio.timeout(5):
        async for gs in sdk.watch_game_server():
            states.append(gs.status.state)
            if len(states) == 1:
                await sdk.set_label("round", "2")
            elif gs.object_meta.labels.get("agones.dev/sdk-round") == "2":
                break
    assert states[0] is State.ALLOCATED


async def test_every_unary_call_has_a_deadline(stuck_sidecar: StuckSidecar) -> None:
    async with SDK("127.0.0.1", stuck_sidecar.port, call_timeout=0.3, health_interval=None) as sdk:
        with pytest.raises(SidecarTimeoutError) as info:
            async with asyncio.timeout(5):
                await sdk.get_game_server()
        assert info.value.retriable
        assert isinstance(info.value, TimeoutError)


async def test_unhealthy_after_missed_pings_and_not_before() -> None:
    manifest = {
        "apiVersion": "agones.dev/v1",
        "kind": "GameServer",
        "metadata": {"name": "health-check"},
        "spec": {
            "ports": [{"name": "default", "portPolicy": "None", "containerPort": 7777}],
            "health": {"periodSeconds": 1, "failureThreshold": 1, "initialDelaySeconds": 0},
        },
    }
    async with LocalSidecar(manifest=manifest) as sidecar:
        async with SDK(sidecar.host, sidecar.port, health_interval=0.2) as sdk:
            await sdk.ready()
            await asyncio.sleep(2.5)  # more than two health periods with managed pings running
            assert (await sdk.get_game_server()).status.state is State.READY
            sdk.pause_health()
            async with asyncio.timeout(6):
                async for gs in sdk.watch_game_server():
                    if gs.status.state is State.UNHEALTHY:
                        break
            await sdk.ready()  # no call moves it out of Unhealthy
            assert (await sdk.get_game_server()).status.state is State.UNHEALTHY


async def _start_sidecar_process(port: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *sidecar_command("--grpc-port", str(port)), stderr=asyncio.subprocess.PIPE
    )  # its call log


async def _read_until(proc: asyncio.subprocess.Process, *texts: str) -> None:
    """Read the process's log until every one of `texts` has appeared, in any order."""
    assert proc.stderr is not None
    missing = {t.encode() for t in texts}
    async with asyncio.timeout(10):
        while missing:
            line = await proc.stderr.readline()
            missing = {t for t in missing if t not in line}


async def test_sidecar_process_killed_and_restarted() -> None:
    """A sidecar that dies without a word (SIGKILL) and comes back: health and watch resume."""
    port = free_port()
    first = await _start_sidecar_process(port)
    seen: asyncio.Queue[GameServer] = asyncio.Queue()
    try:
        async with SDK("127.0.0.1", port, connect_timeout=10, health_interval=0.1) as sdk:

            async def watch() -> None:
                async for gs in sdk.watch_game_server():
                    seen.put_nowait(gs)

            watcher = asyncio.create_task(watch())
            async with asyncio.timeout(5):
                await sdk.allocate()
                while (await seen.get()).status.state is not State.ALLOCATED:
                    pass
            first.kill()
            await first.wait()
            with pytest.raises(SidecarUnavailableError):
                await sdk.get_game_server()

            second = await _start_sidecar_process(port)
            try:
                await _read_until(second, "Health() stream opened", "WatchGameServer() opened")
                async with asyncio.timeout(5):
                    # The new sidecar starts from its default GameServer (Ready); the watch shows it.
                    while (await seen.get()).status.state is not State.READY:
                        pass
                    await sdk.allocate()
                    while (await seen.get()).status.state is not State.ALLOCATED:
                        pass
                watcher.cancel()
                await asyncio.wait([watcher])
            finally:
                second.kill()
                await second.wait()
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
