"""A one-call fake sidecar, for SDK tests that need a sidecar to answer in a way ours never does.

Free ports and our commands' command lines are in `_commands`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import grpc
import grpc.aio

from aioagones._pb import sdk_pb2

GetGameServer = Callable[
    [sdk_pb2.Empty, grpc.aio.ServicerContext[sdk_pb2.Empty, sdk_pb2.GameServer]], Awaitable[sdk_pb2.GameServer]
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
