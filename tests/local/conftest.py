"""A local sidecar on a free loopback port, and the raw generated stubs on a grpc.aio channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc.aio
import pytest

from aioagones._pb import alpha_pb2_grpc, beta_pb2_grpc, sdk_pb2_grpc
from aioagones.local import default_game_server
from aioagones.local._server import SidecarServer


@dataclass
class Stubs:
    sdk: sdk_pb2_grpc.SDKAsyncStub
    alpha: alpha_pb2_grpc.SDKAsyncStub
    beta: beta_pb2_grpc.SDKAsyncStub


@pytest.fixture
async def server() -> AsyncIterator[SidecarServer]:
    async with SidecarServer(default_game_server(1_700_000_000), host="127.0.0.1", port=0) as running:
        yield running


@pytest.fixture
async def stubs(server: SidecarServer) -> AsyncIterator[Stubs]:
    async with grpc.aio.insecure_channel(server.address) as channel:
        yield Stubs(
            sdk_pb2_grpc.SDKStub(channel),
            alpha_pb2_grpc.SDKStub(channel),
            beta_pb2_grpc.SDKStub(channel),
        )
