"""Small helpers of the SDK tests: a free port, the sidecar command, waiting on unsignalled conditions."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable


def free_port() -> int:
    """A loopback TCP port that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def sidecar_command(port: int) -> list[str]:
    """`agones-local-sidecar` on 127.0.0.1:`port`, as a separate process."""
    return [sys.executable, "-m", "aioagones.local", "--address", "127.0.0.1", "--grpc-port", str(port)]


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Return once `predicate()` holds (the sidecar's call log signals nothing); TimeoutError after `timeout` s."""
    async with asyncio.timeout(timeout):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.01)
