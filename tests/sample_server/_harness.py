"""A sample server on loopback against an in-process local sidecar, and a UDP client for it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any

from aioagones import SDK
from aioagones.testing import LocalSidecar, Manifest
from sample_server._server import SampleServer, ServerConfig

TOKEN = "t0ken"
ADMIN = b"ADMIN " + TOKEN.encode() + b" "
"""The prefix of an admin command with `TOKEN`."""


@dataclass
class Running:
    """A started server, its sidecar and the task running it."""

    server: SampleServer
    sidecar: LocalSidecar
    task: asyncio.Task[int]

    @property
    def port(self) -> int:
        return self.server.port


@contextlib.asynccontextmanager
async def running(
    config: ServerConfig | None = None,
    manifest: Manifest = None,
    crash: Callable[[int], None] | None = None,
    sidecar: LocalSidecar | None = None,
) -> AsyncIterator[Running]:
    """Start a sidecar (unless given a running one), an SDK and a server on an ephemeral port; stop them after."""
    config = config or ServerConfig()
    config = replace(config, port=0)
    async with contextlib.AsyncExitStack() as stack:
        if sidecar is None:
            sidecar = await stack.enter_async_context(LocalSidecar(manifest))
        sdk = await stack.enter_async_context(SDK(sidecar.host, sidecar.port, health_interval=0.5))
        kw: dict[str, Any] = {} if crash is None else {"crash": crash}
        server = SampleServer(sdk, config, **kw)
        await server.start(await sdk.get_game_server())
        task = asyncio.create_task(server.run())
        try:
            yield Running(server, sidecar, task)
        finally:
            if not task.done():
                server.request_stop("test over")
            async with asyncio.timeout(5):
                await task


class Client:
    """A UDP client socket (IPv4 or IPv6) with bounded waits."""

    def __init__(self, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
        self.target = (host, port)
        self.secret = b""

    async def send(self, data: bytes) -> None:
        await asyncio.get_running_loop().sock_sendto(self.sock, data, self.target)

    async def recv(self, timeout: float = 5.0) -> bytes:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            data, _ = await asyncio.get_running_loop().sock_recvfrom(self.sock, 65535)
        return data

    async def ask(self, data: bytes) -> bytes:
        await self.send(data)
        return await self.recv()

    async def cookie(self, player_id: bytes = b"p") -> bytes:
        """The server's cookie for this socket (the first half of a JOIN)."""
        reply = await self.ask(b"JOIN " + player_id)
        assert reply.startswith(b"RETRY "), reply
        return reply.split()[1]

    async def join(self, player_id: bytes, ticket: bytes | None = None) -> bytes:
        """JOIN with the cookie round trip; the reply without the session secret (kept in `secret`)."""
        words = b"JOIN " + player_id + (b" " + ticket if ticket is not None else b"")
        reply = await self.ask(words)
        if reply.startswith(b"RETRY "):
            reply = await self.ask(words + b" " + reply.split()[1])
        parts = reply.split()
        if reply.startswith(b"ACK: JOIN ") and len(parts) == 4:
            self.secret = parts[3]
            return b" ".join(parts[:3]) + b"\n"
        return reply

    async def leave(self) -> bytes:
        """LEAVE with the session secret."""
        return await self.ask(b"LEAVE " + self.secret)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
