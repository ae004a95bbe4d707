"""When the sample server tells Agones to shut down, and that a hung sidecar cannot hold its exit."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

from aioagones import SDK
from aioagones.testing import LocalSidecar
from sample_server._config import ServerConfig

from .._wait import line_matching, until
from ._harness import running


async def test_shutdown_is_sent_on_sigterm_even_if_the_first_state_seen_was_shutdown() -> None:
    async with LocalSidecar() as sidecar:
        async with SDK(sidecar.host, sidecar.port) as sdk:
            await sdk.shutdown()  # a sidecar reused after a restart: Shutdown before we start
        async with running(ServerConfig(), sidecar=sidecar) as r:
            await r.sidecar.wait_for(lambda gs: gs.status.state == "Ready")  # marked Ready at start
            await until(lambda: r.server.metrics.state == "Ready")
            r.server.request_stop("SIGTERM")
            async with asyncio.timeout(5):
                await r.task
        assert sidecar.calls.count("shutdown") == 2
        assert sidecar.game_server.status.state == "Shutdown"


_SIDECAR_PROCESS = """
import asyncio, sys
from aioagones.testing import LocalSidecar

async def main():
    server = LocalSidecar(http_port=None)
    await server.start()
    print("sidecar on port", server.port, file=sys.stderr, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_a_hung_sidecar_does_not_delay_exit_beyond_the_grace_period() -> None:
    # a sidecar in a process of its own, so that SIGSTOP can hang it
    sidecar = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _SIDECAR_PROCESS, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL
    )
    server: asyncio.subprocess.Process | None = None
    assert sidecar.stderr is not None
    try:
        m = await line_matching(sidecar.stderr, r"sidecar on port (\d+)")
        env = {**os.environ, "AGONES_SDK_GRPC_HOST": "127.0.0.1", "AGONES_SDK_GRPC_PORT": m.group(1)}
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sample_server",
            "--port",
            "0",
            "--graceful-termination-delay-sec",
            "2",
            env=env,
            stderr=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
        )
        assert server.stderr is not None
        await line_matching(server.stderr, "marked Ready")
        sidecar.send_signal(signal.SIGSTOP)
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            err = await server.stderr.read()
            assert await server.wait() == 0
        elapsed = time.monotonic() - started
        assert 2.0 <= elapsed < 8.0, (elapsed, err.decode())  # 12 s and more before: Shutdown waited its deadline
        assert b"Traceback" not in err
    finally:
        for proc in (server, sidecar):
            if proc is not None and proc.returncode is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
                await proc.wait()
