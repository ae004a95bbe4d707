"""`sample-game-server --run-local-sidecar` as a new user first runs it: the default GameServer, a busy port."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

from aioagones._constants import format_host_port
from aioagones.local._host import local_addresses

# the caller's PORT, METRICS_PORT or AGONES_* must not change what a new user sees
CLEAN_ENV = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}
COMMAND = [sys.executable, "-m", "sample_server", "--run-local-sidecar", "--loop", "asyncio", "--tcp=false"]


async def _lines_until(stream: asyncio.StreamReader, *marks: str) -> list[str]:
    """Lines of the log up to the first that holds one of `marks` (bounded: the caller's timeout)."""
    seen: list[str] = []
    while not seen or not any(mark in seen[-1] for mark in marks):
        line = (await stream.readline()).decode()
        assert line, "the server exited:\n" + "".join(seen)
        seen.append(line)
    return seen


async def test_the_default_game_server_is_reachable_by_pod_ip_at_once() -> None:
    """Issue 15 (8): without -f the GameServer had no addresses: "no Pod IPs ... watching" for ever."""
    proc = await asyncio.create_subprocess_exec(
        *COMMAND, "--port", "0", env=CLEAN_ENV, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL
    )
    assert proc.stderr is not None
    try:
        async with asyncio.timeout(30):
            seen = await _lines_until(proc.stderr, "reachable by Pod IP at", "no Pod IPs")
    finally:
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            rest = (await proc.stderr.read()).decode()
            code = await proc.wait()
    log = "".join(seen) + rest
    assert "no Pod IPs" not in log
    listening = next(line for line in seen if "listening on UDP" in line)
    port = int(listening.split("]:")[1].split()[0])
    assert f"reachable by Pod IP at {format_host_port(local_addresses()[0], port)}" in seen[-1]
    assert code == 0, log
    assert "Traceback" not in log


async def test_a_busy_metrics_port_is_one_line_naming_its_flag() -> None:
    """Issue 15 (10): a busy --metrics-port said `('0.0.0.0', 9100): address already in use`, no hint."""
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as taken:
        taken.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        taken.bind(("::", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await asyncio.create_subprocess_exec(
            *COMMAND,
            "--port",
            "0",
            "--metrics-port",
            str(port),
            env=CLEAN_ENV,
            stderr=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
        )
        async with asyncio.timeout(30):
            _, err = await proc.communicate()
    log = err.decode()
    assert proc.returncode == 1, log
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert len(errors) == 1, log
    assert errors[0].endswith(f"TCP [::]:{port} is already in use (pick another --metrics-port)"), errors[0]
    assert "0.0.0.0" not in log
    assert "Traceback" not in log
