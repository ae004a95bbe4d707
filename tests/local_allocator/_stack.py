"""The seed on one machine, each piece its own process: a local sidecar, the sample server, the allocator.

The sidecar serves one `portPolicy: None` GameServer and lists `::1` and `127.0.0.1` as its Pod
IPs (`--pod-ip`), so the endpoints an allocation hands out are loopback: a player's datagram never
leaves the machine. `Player` refuses any other address before sending.

A JOIN is the sample server's whole admission (docs/sample-server.md): `JOIN <id> [<ticket>]` is
answered `RETRY <cookie>` (proof of address), the same JOIN with the cookie as its last word gets
`ACK: JOIN <id> <session-secret>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import secrets
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import grpc.aio

from aioagones._pb import sdk_pb2, sdk_pb2_grpc

from .._wait import line_matching

POD_IPS = ("::1", "127.0.0.1")
PYTHON = sys.executable
# A variable of the test runner's own environment (AGONES_*, PORT, ...) must not steer a child.
_OURS = ("AGONES_", "PORT", "ADDRESS", "READY", "JOIN_SECRET")
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}


def free_udp_port() -> int:
    """A UDP port free on `[::]` dual-stack, where the sample server binds it."""
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(("::", 0))
        return int(sock.getsockname()[1])


def free_tcp_port() -> int:
    """A TCP port free on 127.0.0.1 (the sidecar's --http-port: 0 there turns HTTP off)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manifest(name: str, port: int, labels: dict[str, str]) -> dict[str, object]:
    """A GameServer like deploy/gameserver.yaml: one `None` port, a `players` list the server fills."""
    return {
        "apiVersion": "agones.dev/v1",
        "kind": "GameServer",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "ports": [{"name": "default", "portPolicy": "None", "containerPort": port, "protocol": "UDP"}],
            # The server pings, but a loaded test machine must not turn it Unhealthy mid-test.
            "health": {"disabled": True},
            "lists": {"players": {"capacity": 4}},
        },
    }


class Child:
    """A child process whose stderr is kept (for the failure message) once its start lines are read."""

    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.process = process
        self.lines: list[str] = []
        self._drain: asyncio.Task[None] | None = None

    @classmethod
    async def start(cls, name: str, *argv: str, env: dict[str, str] | None = None) -> Child:
        process = await asyncio.create_subprocess_exec(
            *argv, env={**CLEAN_ENV, **(env or {})}, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        return cls(name, process)

    async def line(self, pattern: str) -> str:
        """The first group of the first stderr line that matches `pattern` (bounded wait)."""
        assert self.process.stderr is not None
        return (await line_matching(self.process.stderr, pattern, timeout=30))[1]

    def keep_reading(self) -> None:
        """Read stderr in the background from now on, so the child never blocks on a full pipe."""

        async def drain() -> None:
            assert self.process.stderr is not None
            while line := await self.process.stderr.readline():
                self.lines.append(line.decode(errors="replace"))

        self._drain = asyncio.create_task(drain())

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                async with asyncio.timeout(10):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._drain is not None:
            async with asyncio.timeout(5):
                await self._drain


@dataclass
class Seed:
    """The running seed: where the allocator listens, the GameServer's name and its sidecar's ports."""

    name: str
    udp_port: int
    allocator: str
    sidecar_grpc: int
    sidecar_http: int
    admin_token: str
    children: list[Child]

    def logs(self) -> str:
        """Every child's stderr read so far, for an assertion message."""
        return "\n".join(f"--- {c.name}\n{''.join(c.lines)}" for c in self.children)

    async def game_server_until(
        self,
        holds: Callable[[sdk_pb2.GameServer], bool],
        timeout: float = 20.0,  # noqa: ASYNC109
    ) -> sdk_pb2.GameServer:
        """The sidecar's GameServer once `holds(it)`, read from its watch (each change is pushed)."""
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.sidecar_grpc}") as channel:
            watch = sdk_pb2_grpc.SDKStub(channel).WatchGameServer(sdk_pb2.Empty())
            try:
                async with asyncio.timeout(timeout):
                    while True:
                        gs = await watch.read()
                        assert isinstance(gs, sdk_pb2.GameServer), f"the watch ended: {gs!r}"
                        if holds(gs):
                            return gs
            finally:
                watch.cancel()


@contextlib.asynccontextmanager
async def seed(
    tmp_path: Path, name: str, labels: dict[str, str], join_secret: bytes | None = None
) -> AsyncIterator[Seed]:
    """Sidecar, sample server (Ready) and `agones-local-allocator`, each a process; stopped after.

    With `join_secret` the sample server admits only players with a ticket signed with it.
    """
    udp_port = free_udp_port()
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(manifest(name, udp_port, labels)))
    admin_token = secrets.token_hex(16)
    token_file = tmp_path / f"{name}.admin-token"
    token_file.write_text(admin_token)
    sample_args: list[str] = []
    if join_secret is not None:
        secret_file = tmp_path / f"{name}.join-secret"
        secret_file.write_bytes(join_secret)
        sample_args += ["--join-secret-file", str(secret_file)]
    children: list[Child] = []
    try:
        pod_ips = [arg for ip in POD_IPS for arg in ("--pod-ip", ip)]
        sidecar = await Child.start(
            "agones-local-sidecar",
            *(PYTHON, "-m", "aioagones.local", "-f", str(path), "--address", "127.0.0.1"),
            *("--grpc-port", "0", "--http-port", str(free_tcp_port()), *pod_ips),
        )
        children.append(sidecar)
        grpc_port = int(await sidecar.line(r"serving GameServer .* on 127\.0\.0\.1:(\d+)"))
        http_port = int(await sidecar.line(r"serving the REST API on 127\.0\.0\.1:(\d+)"))
        sidecar.keep_reading()

        sdk_env = {"AGONES_SDK_GRPC_HOST": "127.0.0.1", "AGONES_SDK_GRPC_PORT": str(grpc_port)}
        sample = await Child.start(
            "sample-game-server",
            *(PYTHON, "-m", "sample_server", "--port-name", "default", "--loop", "asyncio"),
            *("--admin-token-file", str(token_file), *sample_args),
            env=sdk_env,
        )
        children.append(sample)
        listening = await sample.line(r"listening on UDP \[::\]:(\d+)")
        assert int(listening) == udp_port, f"the sample server took port {listening}, not the GameServer's {udp_port}"
        sample.keep_reading()

        allocator = await Child.start(
            "agones-local-allocator",
            *(PYTHON, "-m", "aioagones.local_allocator", "--address", "127.0.0.1", "--port", "0"),
            *("--sidecar", f"127.0.0.1:{http_port}"),
        )
        children.append(allocator)
        allocator_port = int(await allocator.line(r"serving AllocationService .* on 127\.0\.0\.1:(\d+)"))
        allocator.keep_reading()

        running = Seed(name, udp_port, f"127.0.0.1:{allocator_port}", grpc_port, http_port, admin_token, children)
        # The sample server marks its GameServer Ready once its socket is bound.
        await running.game_server_until(lambda gs: gs.status.state == "Ready")
        yield running
    finally:
        for child in reversed(children):
            await child.stop()


def checked_loopback(host: str) -> str:
    """`host` if it is a loopback address; else an AssertionError: the test sends nowhere else."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    assert loopback, (
        f"the allocation handed out {host!r}, not a loopback address: the test will not send there. "
        f"The sidecar must list only {', '.join(POD_IPS)} as Pod IPs (agones-local-sidecar --pod-ip)"
    )
    return host


class Player:
    """A UDP socket of the endpoint's family, aimed at one loopback endpoint."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (checked_loopback(host), port)
        family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.bind((host, 0))

    async def try_join(self, player_id: str, ticket: str | None = None) -> str:
        """`JOIN`, the cookie round trip, `JOIN` with the cookie; the server's answer to the latter."""
        join = f"JOIN {player_id}" + (f" {ticket}" if ticket else "")
        retry = await self.ask(join)
        assert retry.startswith("RETRY ") and len(retry.split()) == 2, f"{join!r} got {retry!r}, not RETRY <cookie>"
        return await self.ask(f"{join} {retry.split()[1]}")

    async def join(self, player_id: str, ticket: str | None = None) -> str:
        """Join as `player_id`; the session secret of the ACK. AssertionError naming any refusal."""
        ack = await self.try_join(player_id, ticket)
        words = ack.split()
        assert words[:3] == ["ACK:", "JOIN", player_id] and len(words) == 4, f"JOIN {player_id} got {ack!r}"
        return words[3]

    async def ask(self, text: str, timeout: float = 10.0) -> str:  # noqa: ASYNC109
        """Send `text`, return the first reply from the endpoint (bounded)."""
        loop = asyncio.get_running_loop()
        await loop.sock_sendto(self.sock, text.encode(), self.target)
        async with asyncio.timeout(timeout):
            data, source = await loop.sock_recvfrom(self.sock, 2048)
        assert tuple(source[:2]) == self.target, f"a reply from {source[:2]}, not from {self.target}"
        return data.decode()

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
