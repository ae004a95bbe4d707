"""An SDK connected to our local sidecar over a real gRPC socket on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from aioagones import SDK
from aioagones.testing import LocalSidecar


@pytest.fixture
async def sidecar() -> AsyncIterator[LocalSidecar]:
    async with LocalSidecar() as running:
        yield running


@pytest.fixture
async def sdk(sidecar: LocalSidecar) -> AsyncIterator[SDK]:
    async with SDK(sidecar.host, sidecar.port, connect_timeout=5, call_timeout=5, health_interval=None) as client:
        yield client


@pytest.fixture
def sidecar_process() -> Iterator[int]:
    """`agones-local-sidecar` in its own process (so this loop holds only the client's tasks); its port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    cmd = [sys.executable, "-m", "aioagones.local", "--address", "127.0.0.1", "--grpc-port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
