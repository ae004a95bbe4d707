"""Waiting on a condition that nothing signals, always under a timeout: shared by the test packages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Return once `predicate()` holds (checked every 10 ms); TimeoutError after `timeout` s."""
    async with asyncio.timeout(timeout):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.01)


async def line_containing(stream: asyncio.StreamReader, text: str, timeout: float = 20.0) -> str:  # noqa: ASYNC109
    """The first line read from `stream` that contains `text`; AssertionError if the stream ends first.

    The end of the stream must fail the wait rather than loop: a `readline()` at the end returns at
    once without yielding to the event loop, so a loop on it would never let the timeout fire.
    """
    seen: list[str] = []
    async with asyncio.timeout(timeout):
        while line := (await stream.readline()).decode():
            if text in line:
                return line
            seen.append(line)
    raise AssertionError(f"the stream ended before a line with {text!r}; it said: {''.join(seen)!r}")
