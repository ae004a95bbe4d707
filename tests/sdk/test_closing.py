"""Closing the SDK: it ends the watch, the health stream and calls in flight, and waits until they ended."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from aioagones import SDK, SDKClosedError, State

from .._wait import until
from .conftest import StuckSidecar


async def test_leaving_the_context_ends_watch_and_health(sidecar_process: int) -> None:
    before = asyncio.all_tasks()
    results: list[State] = []
    async with SDK("127.0.0.1", sidecar_process, health_interval=0.05) as sdk:
        assert len(asyncio.all_tasks()) == len(before) + 1  # the managed health task

        async def watch() -> None:
            async for gs in sdk.watch_game_server():
                results.append(gs.status.state)

        watcher = asyncio.create_task(watch())
        await until(lambda: bool(results))
        await asyncio.sleep(0.2)  # a few health pings go out meanwhile
    # The watch loop ended by itself (no CancelledError in the consumer), and nothing is left running.
    async with asyncio.timeout(5):
        await watcher
    assert asyncio.all_tasks() == before
    assert sdk.closed
    with pytest.raises(SDKClosedError):
        await sdk.ready()
    with pytest.raises(SDKClosedError):
        await anext(sdk.watch_game_server())
    with pytest.raises(SDKClosedError):
        await sdk.connect()
    await sdk.close()  # twice is harmless


# A game that closes the SDK and returns at once. Before close() waited for grpc's own tasks of
# the calls it cancelled, one was still pending here (then destroyed pending, were the loop closed).
_CLOSE_AND_RETURN = """
import asyncio, sys
from aioagones import SDK

async def main() -> None:
    sdk = SDK("127.0.0.1", int(sys.argv[1]), connect_timeout=10, health_interval=HEALTH)
    await sdk.connect()
    first = asyncio.Event()

    async def watch() -> None:
        async for _ in sdk.watch_game_server():
            first.set()

    watcher = asyncio.create_task(watch())
    await asyncio.wait_for(first.wait(), 10)
    await sdk.close()
    left = asyncio.all_tasks() - {asyncio.current_task(), watcher}
    if left:
        print("still pending after close():", *left, file=sys.stderr)

asyncio.run(main())
"""


@pytest.mark.parametrize("health", [None, 0.05])
def test_closing_and_returning_at_once_leaves_nothing_behind(sidecar_process: int, health: float | None) -> None:
    program = _CLOSE_AND_RETURN.replace("HEALTH", repr(health))
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", program, str(sidecar_process)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")


async def test_close_ends_a_unary_call_in_flight(stuck_sidecar: StuckSidecar) -> None:
    sdk = SDK("127.0.0.1", stuck_sidecar.port, call_timeout=30, health_interval=None)
    await sdk.connect()
    before = asyncio.all_tasks()
    call = asyncio.create_task(sdk.get_game_server())
    async with asyncio.timeout(5):
        await stuck_sidecar.stuck.wait()
        await sdk.close()
    assert call.done()  # close() waited for the call it cancelled
    with pytest.raises(SDKClosedError, match="closed during the call"):
        await call
    # The stuck server's tasks live on in this loop; grpc's client tasks of the call must not.
    left = {getattr(t.get_coro(), "__qualname__", "") for t in asyncio.all_tasks() - before}
    assert not {name for name in left if "Call" in name}, left
