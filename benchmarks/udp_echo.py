"""The servers that ``udp_server.py`` and ``loadtest_loop.py`` measure, and how to start and stop them.

The baselines (a blocking raw-socket echo, a stock ``asyncio.DatagramProtocol`` echo on the default
loop and on uvloop) run as ``python udp_server.py --serve KIND``; the sample server as
``python -m sample_server``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

HOST = "::1"
#: The script whose ``--serve KIND`` runs a baseline (the documented command).
SERVE_SCRIPT = str(Path(__file__).with_name("udp_server.py"))


# --- the baseline servers, run as `python udp_server.py --serve KIND` -------------------------------


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((HOST, port))
    return sock


def serve_raw(port: int, lifetime: float) -> None:
    """The blocking loop: recvfrom, build the reply, sendto. Python's ceiling for an echo."""
    sock = _bind(port)
    sock.settimeout(0.5)
    print(sock.getsockname()[1], flush=True)
    recv, send = sock.recvfrom, sock.sendto
    end = time.monotonic() + lifetime
    while time.monotonic() < end:
        for _ in range(4096):  # check the clock now and then, not per datagram
            try:
                data, addr = recv(2048)
            except TimeoutError:
                break
            send(b"ACK: " + data.strip() + b"\n", addr)


def serve_asyncio(port: int, lifetime: float, use_uvloop: bool) -> None:
    """A stock DatagramProtocol echo, the way the asyncio documentation writes one."""
    import asyncio

    class Echo(asyncio.DatagramProtocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = cast(asyncio.DatagramTransport, transport)

        def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
            self.transport.sendto(b"ACK: " + data.strip() + b"\n", addr)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(Echo, sock=_bind(port))
        print(transport.get_extra_info("sockname")[1], flush=True)
        await asyncio.sleep(lifetime)
        transport.close()

    if use_uvloop:
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())


# --- the harness ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A server to measure: how to start it and what to call it."""

    name: str
    key: str
    command: Callable[[int], list[str]]
    prints_port: bool


def _self(kind: str) -> Callable[[int], list[str]]:
    return lambda lifetime: [sys.executable, SERVE_SCRIPT, "--serve", kind, "--lifetime", str(lifetime)]


def _sample(loop: str, port: int) -> Callable[[int], list[str]]:
    return lambda lifetime: [
        sys.executable, "-m", "sample_server", "--run-local-sidecar", "--insecure-admin",
        "--address", HOST, "--port", str(port), "--loop", loop, "--log-level", "WARNING",
    ]  # fmt: skip


def _free_port() -> int:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def sample_server_available() -> bool:
    """Whether ``python -m sample_server`` exists in this checkout yet."""
    import importlib.util

    return importlib.util.find_spec("sample_server.__main__") is not None


def targets(include: set[str] | None) -> list[Target]:
    """The servers to measure, in print order (``include``: keys to keep)."""
    out = [
        Target("raw socket loop (blocking)", "raw", _self("raw"), True),
        Target("asyncio DatagramProtocol, default loop", "asyncio", _self("asyncio"), True),
        Target("asyncio DatagramProtocol, uvloop", "asyncio-uvloop", _self("uvloop"), True),
    ]
    if sample_server_available():
        out.append(Target("sample server, default loop", "sample", _sample("asyncio", _free_port()), False))
        out.append(Target("sample server, uvloop", "sample-uvloop", _sample("uvloop", _free_port()), False))
    return [t for t in out if include is None or t.key in include]


def cores() -> tuple[set[int] | None, set[int] | None]:
    """One core for the server and another for the client, when there are two or more."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None, None
    if len(cpus) < 2:
        return None, None
    return {cpus[0]}, {cpus[1]}


def _probe(port: int, deadline: float) -> None:
    """Wait until something on ``port`` answers a datagram with ``ACK:``, or raise after ``deadline``."""
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.connect((HOST, port))
        s.settimeout(0.2)
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                s.send(b"probe")
                if s.recv(2048).startswith(b"ACK:"):
                    return
            time.sleep(0.1)
    raise RuntimeError(f"the server on port {port} did not answer in time")


@contextlib.contextmanager
def running(target: Target, server_cpu: set[int] | None, lifetime: int) -> Iterator[int]:
    """Start ``target``, pinned to ``server_cpu``; yield its port; stop it (bounded) on exit."""
    cmd = target.command(lifetime)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if server_cpu is not None:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(proc.pid, server_cpu)
        if target.prints_port:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line.strip().isdigit():
                raise RuntimeError(f"{target.name} did not start: {proc.stderr.read() if proc.stderr else ''}")
            port = int(line)
        else:
            port = int(cmd[cmd.index("--port") + 1])
        _probe(port, time.monotonic() + 30)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
