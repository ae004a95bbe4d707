"""The gRPC front end: the three SDK services on a grpc.aio server, built from `OPERATIONS`.

Each unary call decodes its request, runs it on the shared `SidecarCore` and encodes the reply; a
refusal becomes a gRPC error with the rules' code and message. Health (a stream of pings) and
WatchGameServer (a stream of GameServers) keep their streams open until the client leaves or the
sidecar stops; then they end with UNAVAILABLE, as when a sidecar goes away.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import Message

from aioagones._pb import sdk_pb2
from aioagones.local._core import STOPPING, SidecarCore
from aioagones.local._dispatch import dispatch
from aioagones.local._operations import OPERATIONS, Operation, Streaming
from aioagones.local._state import SidecarError

__all__ = ["add_services"]

logger = logging.getLogger(__name__)

_Context = grpc.aio.ServicerContext[Any, Any]


def _unary(core: SidecarCore, op: Operation) -> Callable[[Message, _Context], Awaitable[Message]]:
    async def handle(request: Message, context: _Context) -> Message:
        try:
            return dispatch(core, op, request, context.peer())
        except SidecarError as exc:
            await context.abort(grpc.StatusCode[exc.code.name], exc.message)

    return handle


def _health(
    core: SidecarCore, op: Operation
) -> Callable[[AsyncIterator[sdk_pb2.Empty], _Context], Awaitable[sdk_pb2.Empty]]:
    async def handle(request_iterator: AsyncIterator[sdk_pb2.Empty], context: _Context) -> sdk_pb2.Empty:
        peer = context.peer()
        logger.info("%s() stream opened by %s", op.method, peer)
        core.connect(peer)
        pings = aiter(request_iterator)
        ping: asyncio.Future[sdk_pb2.Empty | None] | None = None
        with core.stream():
            try:
                while True:
                    ping = asyncio.ensure_future(anext(pings, None))
                    await asyncio.wait((ping, core.stopping), return_when=asyncio.FIRST_COMPLETED)
                    if not ping.done():
                        break
                    if ping.result() is None:
                        return sdk_pb2.Empty()
                    core.ping()
                    if logger.isEnabledFor(logging.DEBUG):
                        logger.debug("%s() ping from %s", op.method, peer)
            finally:
                if ping is not None and not ping.done():
                    ping.cancel()
                    await asyncio.gather(ping, return_exceptions=True)
                logger.info("%s() stream closed by %s", op.method, peer)
        await context.abort(grpc.StatusCode.UNAVAILABLE, STOPPING)

    return handle


def _watch(core: SidecarCore, op: Operation) -> Callable[[sdk_pb2.Empty, _Context], AsyncIterator[sdk_pb2.GameServer]]:
    async def handle(request: sdk_pb2.Empty, context: _Context) -> AsyncIterator[sdk_pb2.GameServer]:
        peer = context.peer()
        core.connect(peer, acting=False)
        core.record(op.call)
        logger.info("%s() opened by %s (%d watching)", op.method, peer, core.watching + 1)
        changes = core.changes()
        with core.stream():
            try:
                async for snapshot in changes:
                    yield snapshot
            finally:
                await changes.aclose()
                logger.info("%s() closed by %s (%d watching)", op.method, peer, core.watching)
        await context.abort(grpc.StatusCode.UNAVAILABLE, STOPPING)

    return handle


def _handler(core: SidecarCore, op: Operation) -> grpc.RpcMethodHandler[Any, Any]:
    decode, encode = op.request.FromString, op.reply.SerializeToString
    if op.streaming is Streaming.REQUESTS:
        return grpc.stream_unary_rpc_method_handler(_health(core, op), decode, encode)
    if op.streaming is Streaming.REPLIES:
        return grpc.unary_stream_rpc_method_handler(_watch(core, op), decode, encode)
    return grpc.unary_unary_rpc_method_handler(_unary(core, op), decode, encode)


def add_services(server: grpc.aio.Server, core: SidecarCore) -> None:
    """Serve every operation of `OPERATIONS` on `server`, over `core`."""
    services: dict[str, dict[str, grpc.RpcMethodHandler[Any, Any]]] = {}
    for op in OPERATIONS:
        services.setdefault(op.service, {})[op.method] = _handler(core, op)
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler(name, handlers) for name, handlers in services.items()]
    )
