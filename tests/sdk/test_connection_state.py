"""`sdk.state` and its changes, against our sidecar being stopped and restarted; the waiting log."""

from __future__ import annotations

import asyncio
import logging

import pytest

from aioagones import SDK, ConnectionState, SidecarUnavailableError
from aioagones.testing import LocalSidecar

from .._commands import free_port
from .._wait import until

CONNECTING, CONNECTED, RECONNECTING, CLOSED = (
    ConnectionState.CONNECTING,
    ConnectionState.CONNECTED,
    ConnectionState.RECONNECTING,
    ConnectionState.CLOSED,
)


async def test_state_follows_the_sidecar_away_and_back() -> None:
    seen: list[ConnectionState] = []
    sidecar = LocalSidecar()
    await sidecar.start()
    port = sidecar.port
    sdk = SDK("127.0.0.1", port, connect_timeout=5, health_interval=0.1, on_state_change=seen.append)
    assert sdk.state is CLOSED  # not connected yet
    try:
        async with sdk:
            assert sdk.state is CONNECTED
            iterated: list[ConnectionState] = []

            async def follow() -> None:
                async for state in sdk.state_changes():
                    iterated.append(state)

            follower = asyncio.create_task(follow())
            await until(lambda: iterated == [CONNECTED])

            await sidecar.stop()  # the managed health pings notice
            await until(lambda: sdk.state is RECONNECTING, timeout=10)
            assert iterated == [CONNECTED, RECONNECTING]

            sidecar = LocalSidecar(port=port)
            await sidecar.start()
            await until(lambda: sdk.state is CONNECTED, timeout=10)
            await sdk.ready()
        assert sdk.state is CLOSED
        async with asyncio.timeout(5):
            await follower  # the iterator ends by itself at CLOSED
    finally:
        await sidecar.stop()
    assert iterated == [CONNECTED, RECONNECTING, CONNECTED, CLOSED]
    assert seen == [CONNECTING, CONNECTED, RECONNECTING, CONNECTED, CLOSED]


async def test_a_failing_call_also_shows_the_outage(sidecar: LocalSidecar) -> None:
    port = sidecar.port
    async with SDK("127.0.0.1", port, connect_timeout=5, health_interval=None) as sdk:
        await sidecar.stop()
        with pytest.raises(SidecarUnavailableError):
            await sdk.get_game_server()
        assert sdk.state is RECONNECTING
        async with LocalSidecar(port=port):
            async with asyncio.timeout(10):
                while True:  # unary calls fail fast while the channel reconnects
                    try:
                        await sdk.get_game_server()
                        break
                    except SidecarUnavailableError:
                        await asyncio.sleep(0.05)
            assert sdk.state is CONNECTED


async def test_a_failed_callback_is_logged_and_the_sdk_goes_on(
    sidecar: LocalSidecar, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(state: ConnectionState) -> None:
        raise RuntimeError(f"game bug on {state}")

    async with SDK(sidecar.host, sidecar.port, health_interval=None, on_state_change=broken) as sdk:
        assert sdk.state is CONNECTED
        await sdk.ready()
    failures = [r for r in caplog.records if r.name.startswith("aioagones") and "on_state_change" in r.getMessage()]
    assert len(failures) == 3  # connecting, connected, closed
    assert failures[0].exc_info is not None and "game bug on connecting" in str(failures[0].exc_info[1])


async def test_connect_says_where_it_waits_after_about_a_second(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aioagones")
    port = free_port()
    seen: list[ConnectionState] = []
    sdk = SDK("127.0.0.1", port, connect_timeout=20, health_interval=None, on_state_change=seen.append)
    loop = asyncio.get_running_loop()
    start = loop.time()
    connecting = asyncio.create_task(sdk.connect())

    def waiting() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "waiting for the Agones sidecar" in r.getMessage()]

    await until(lambda: bool(waiting()), timeout=5)
    assert loop.time() - start >= 0.9
    (record,) = waiting()
    assert record.levelno == logging.INFO
    assert record.name.startswith("aioagones")
    assert f"127.0.0.1:{port}" in record.getMessage()
    assert sdk.state is CONNECTING
    async with LocalSidecar(port=port):
        async with asyncio.timeout(10):
            await connecting
        assert sdk.state is CONNECTED
        await sdk.close()
    assert len(waiting()) == 1  # one line, however long the wait
    assert seen == [CONNECTING, CONNECTED, CLOSED]


async def test_a_quick_connect_says_nothing(sidecar: LocalSidecar, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="aioagones")
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with SDK(sidecar.host, sidecar.port, health_interval=None):
        took = loop.time() - start
        await asyncio.sleep(1.2)  # past the moment the waiting line would have been logged
    if took < 1.0:  # on a machine so loaded that connecting took a second, the line is right
        assert not [r for r in caplog.records if "waiting for the Agones sidecar" in r.getMessage()]


async def test_a_failed_connect_ends_closed() -> None:
    seen: list[ConnectionState] = []
    sdk = SDK("127.0.0.1", free_port(), connect_timeout=0.3, health_interval=None, on_state_change=seen.append)
    with pytest.raises(SidecarUnavailableError):
        async with asyncio.timeout(5):
            await sdk.connect()
    assert sdk.state is CLOSED
    assert seen == [CONNECTING, CLOSED]


async def test_a_ping_ends_an_outage_only_once_the_sidecar_answers(sidecar: LocalSidecar) -> None:
    """A written ping proves little (a sidecar shutting down may not have closed the stream yet): during
    an outage the health ping asks the sidecar something before the SDK says it is back."""
    async with SDK(sidecar.host, sidecar.port, health_interval=None) as sdk:
        await sdk.health()
        sdk._transport.states.lost("a watch saw the sidecar go")  # as a watch does when it breaks
        assert sdk.state is RECONNECTING
        before = len(sidecar.calls)
        await sdk.health()
        assert sdk.state is CONNECTED
        assert "gameserver" in sidecar.calls[before:]  # the answer that ended the outage
        before = len(sidecar.calls)
        await sdk.health()  # once connected, a ping is just a ping
        await until(lambda: len(sidecar.calls) > before)
        assert sidecar.calls[before:] == ["health"]
