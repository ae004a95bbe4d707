"""Waiting on a condition that nothing signals, always under a timeout: shared by the test packages."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Return once `predicate()` holds (checked every 10 ms); TimeoutError after `timeout` s."""
    async with asyncio.timeout(timeout):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.01)


async def line_matching(stream: asyncio.StreamReader, pattern: str, timeout: float = 20.0) -> re.Match[str]:  # noqa: ASYNC109
    """The match in the first line read from `stream` that `pattern` (a regex) matches.

    AssertionError if the stream ends first: a `readline()` at the end returns at once without
    yielding to the event loop, so a loop on it would never let the timeout fire.
    """
    seen: list[str] = []
    async with asyncio.timeout(timeout):
        while line := (await stream.readline()).decode():
            if match := re.search(pattern, line):
                return match
            seen.append(line)
    raise AssertionError(f"the stream ended before a line matching {pattern!r}; it said: {''.join(seen)!r}")
