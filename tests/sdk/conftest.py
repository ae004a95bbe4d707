"""An SDK connected to our local sidecar over a real gRPC socket on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

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
