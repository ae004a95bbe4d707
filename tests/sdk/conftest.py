"""An SDK connected to our local sidecar over a real gRPC socket on loopback."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator

import pytest

from aioagones import SDK
from aioagones.testing import LocalSidecar

from .._commands import free_port, sidecar_command


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
    port = free_port()
    proc = subprocess.Popen(
        sidecar_command("--grpc-port", str(port)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
