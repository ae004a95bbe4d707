"""Helpers shared by the test packages: a free port, the local sidecar's command, a one-call fake sidecar."""

from __future__ import annotations

import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import grpc
import grpc.aio

from aioagones._pb import sdk_pb2

GetGameServer = Callable[
    [sdk_pb2.Empty, grpc.aio.ServicerContext[sdk_pb2.Empty, sdk_pb2.GameServer]], Awaitable[sdk_pb2.GameServer]
]


def free_port() -> int:
    """A loopback TCP port that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def sidecar_command(port: int, *extra: str) -> list[str]:
    """`agones-local-sidecar` on 127.0.0.1:`port`, as a separate process, its REST API on a free port.

    Never the default HTTP port: a developer's own sidecar may hold it while the tests run.
    """
    return [
        sys.executable,
        "-m",
        "aioagones.local",
        "--address",
        "127.0.0.1",
        "--grpc-port",
        str(port),
        "--http-port",
        "0",
        *extra,
    ]


@asynccontextmanager
async def fake_sidecar(get_game_server: GetGameServer) -> AsyncIterator[tuple[grpc.aio.Server, int]]:
    """A gRPC server on loopback serving only the SDK's GetGameServer, with `get_game_server`; it and its port."""
    handler = grpc.method_handlers_generic_handler(
        "agones.dev.sdk.SDK",
        {
            "GetGameServer": grpc.unary_unary_rpc_method_handler(
                get_game_server,
                request_deserializer=sdk_pb2.Empty.FromString,
                response_serializer=sdk_pb2.GameServer.SerializeToString,
            )
        },
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield server, port
    finally:
        await server.stop(grace=None)
