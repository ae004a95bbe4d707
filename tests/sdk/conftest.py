"""An SDK connected to our local sidecar over a real gRPC socket on loopback."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import grpc
import grpc.aio
import pytest

from aioagones import SDK
from aioagones._pb import sdk_pb2
from aioagones.testing import LocalSidecar

from .._commands import free_port, sidecar_command
from .._support import fake_sidecar


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


@dataclass
class StuckSidecar:
    port: int
    stuck: asyncio.Event
    """Set once a call is stuck."""


@pytest.fixture
async def stuck_sidecar() -> AsyncIterator[StuckSidecar]:
    """A gRPC server whose GetGameServer answers once, then never again."""
    answered = False
    stuck = asyncio.Event()

    async def get_game_server(
        request: sdk_pb2.Empty, context: grpc.aio.ServicerContext[sdk_pb2.Empty, sdk_pb2.GameServer]
    ) -> sdk_pb2.GameServer:
        nonlocal answered
        if answered:
            stuck.set()
            await asyncio.Event().wait()
        answered = True
        return sdk_pb2.GameServer()

    async with fake_sidecar(get_game_server) as (_, port):
        yield StuckSidecar(port, stuck)
