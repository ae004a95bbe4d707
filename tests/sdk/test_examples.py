"""The README's example game loop runs against the local sidecar."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from aioagones import State
from aioagones.testing import LocalSidecar

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "game_loop.py"


async def test_game_loop_example() -> None:
    async with LocalSidecar() as sidecar:
        env = {**os.environ, "AGONES_SDK_GRPC_HOST": sidecar.host, "AGONES_SDK_GRPC_PORT": str(sidecar.port)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(EXAMPLE), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        async with asyncio.timeout(30):
            # It waits to be allocated, as in a cluster: allocate once it watches, as a developer would.
            while "watch" not in sidecar.calls:  # noqa: ASYNC110 (a call is recorded, not signalled)
                await asyncio.sleep(0.01)
            await sidecar.allocate()
            output, _ = await proc.communicate()
        assert proc.returncode == 0, output.decode()
        gs = sidecar.game_server
        assert gs.status.state is State.SHUTDOWN
        assert gs.object_meta.labels["agones.dev/sdk-round"] == "1"
        assert gs.status.counters["rooms"].count == 2
        assert {"ready", "watch", "playerconnect", "playerdisconnect", "shutdown"} <= set(sidecar.calls)
