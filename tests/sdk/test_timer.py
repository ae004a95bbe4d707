"""`aioagones._timer.DeadlineTimer`: the one timer of the local sidecar's core and the sample server."""

from __future__ import annotations

import asyncio

from aioagones._timer import DeadlineTimer


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _fired(timer_fired: asyncio.Event) -> None:
    async with asyncio.timeout(5):
        await timer_fired.wait()


async def test_it_fires_at_the_earliest_deadline_and_a_later_one_does_not_delay_it() -> None:
    loop = asyncio.get_running_loop()
    fired = asyncio.Event()
    timer = DeadlineTimer(loop, loop.time, fired.set)
    start = loop.time()
    timer.arm(start + 3600, None, start + 0.05)
    timer.arm(start + 7200)  # later: the armed firing comes first
    await _fired(fired)
    assert loop.time() - start >= 0.05


async def test_an_earlier_deadline_replaces_the_armed_one() -> None:
    loop = asyncio.get_running_loop()
    fired = asyncio.Event()
    timer = DeadlineTimer(loop, loop.time, fired.set)
    timer.arm(loop.time() + 3600)
    timer.arm(loop.time() + 0.01)
    await _fired(fired)


async def test_a_deadline_due_by_a_clock_moved_by_hand_fires_at_once() -> None:
    clock = Clock()
    fired = asyncio.Event()
    timer = DeadlineTimer(asyncio.get_running_loop(), clock, fired.set)
    timer.arm(25.0)  # 25 s away by the clock: armed on the event loop for then
    timer.arm(25.0)
    clock.now = 1000.0
    timer.arm(25.0)  # now long due: it must not wait for the firing armed at 25 s
    await _fired(fired)
    timer.cancel()


async def test_nothing_armed_fires_nothing_and_cancel_disarms() -> None:
    loop = asyncio.get_running_loop()
    calls: list[str] = []
    timer = DeadlineTimer(loop, loop.time, lambda: calls.append("fired"))
    timer.arm(None)
    timer.arm(loop.time())
    timer.cancel()
    timer.cancel()
    after = asyncio.Event()
    loop.call_later(0.05, after.set)  # past the timer's own slack
    async with asyncio.timeout(5):
        await after.wait()
    assert calls == []
