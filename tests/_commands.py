"""Our commands as tests start them, and a free port: shared by the test packages.

Every command gets its ports (0: it picks free ones) unless the test gives them, so no test reaches
for 9357/9358 or 7777, where a developer's own `agones-local-sidecar` or `sample-game-server` may
be running; and `CLEAN_ENV` keeps the developer's AGONES_* settings out of a test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

SIDECAR = [sys.executable, "-m", "aioagones.local"]
"""`agones-local-sidecar`, run by the interpreter of the tests."""

SAMPLE_SERVER = [sys.executable, "-m", "sample_server"]
"""`sample-game-server`, run by the interpreter of the tests."""

LOAD_CLIENT = [sys.executable, "-m", "udp_loadtest"]
"""`udp-loadtest`, run by the interpreter of the tests."""

CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("AGONES_")}
"""The environment without AGONES_* variables, so the developer's settings do not leak into a test."""


def free_port() -> int:
    """A loopback TCP port nothing listens on right now, below the kernel's ephemeral range.

    A port from that range (what binding port 0 gives) can become the local port of any outgoing
    connection between this call and the test binding it; one below the range is only ever bound
    on purpose.
    """
    low = _ephemeral_low()
    for _ in range(64):
        port = _RANDOM.randrange(_LOWEST, low) if low > _LOWEST + 1000 else 0
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            chosen: int = sock.getsockname()[1]
            return chosen
    raise RuntimeError(f"no free loopback TCP port found in {_LOWEST}..{low - 1}")


_RANDOM = random.SystemRandom()
"""Not the `random` module's own state, which a test may seed."""

_LOWEST = 20000
"""Where `free_port` starts looking: above the ports well-known services are configured on."""


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


@contextlib.asynccontextmanager
async def reaped(process: asyncio.subprocess.Process) -> AsyncIterator[asyncio.subprocess.Process]:
    """Kill and wait for `process` on the way out if the test left it running (a failed assertion)."""
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def sidecar_command(*args: str, address: str | None = "127.0.0.1") -> list[str]:
    """`agones-local-sidecar` on free ports unless `args` give them.

    `address` is passed as `--address` unless `args` give one; None leaves it to the environment.
    """
    ports = [flag for flag in ("--grpc-port", "--http-port") if not any(a.startswith(flag) for a in args)]
    defaults = [item for flag in ports for item in (flag, "0")]
    given = address is None or any(a.startswith("--address") for a in args)
    return [*SIDECAR, *([] if given else ["--address", str(address)]), *defaults, *args]
