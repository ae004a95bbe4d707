"""`LocalAllocator`: Agones' `AllocationService` (gRPC and REST on one port) over local sidecars."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import shutil
import ssl
import tempfile
from collections.abc import Sequence
from pathlib import Path

import grpc
from aiohttp import web
from google.protobuf import json_format

from aioagones._constants import format_host_port
from aioagones._pb import allocation_pb2 as pb
from aioagones._pb import allocation_pb2_grpc as pb_grpc
from aioagones._reading import ReadError, load_json
from aioagones.local_allocator._mux import FrontDoor, server_ssl_context
from aioagones.local_allocator._select import NO_GAME_SERVER, AllocationError, allocation_response, choose, validate
from aioagones.local_allocator._sidecars import SidecarGone, Sidecars

__all__ = ["DEFAULT_PORT", "LocalAllocator"]

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8443
"""The port the allocator serves on unless told otherwise: 8443, the port Agones' allocator container listens on."""
REST_PATH = "/gameserverallocation"

# gRPC code -> HTTP status, as grpc-gateway maps them (the codes this service answers with).
_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
}


def _json_error(code: grpc.StatusCode, message: str) -> web.Response:
    body = {"code": code.value[0], "message": message, "details": []}
    return web.Response(
        status=_HTTP_STATUS.get(code, 500),
        text=json.dumps(body, separators=(",", ":")),
        content_type="application/json",
    )


def parse_rest_body(data: bytes) -> pb.AllocationRequest:
    """The `AllocationRequest` of a `POST /gameserverallocation` body (grpc-gateway JSON).

    Bounded as `aioagones._reading` says (1 MiB, nested 64 deep); unknown fields are ignored, as
    Agones' allocator ignores them.

    Raises:
        AllocationError: INVALID_ARGUMENT, one line: not UTF-8, not JSON, too deep, or a field of
            the wrong type.
    """
    message = pb.AllocationRequest()
    try:
        body = load_json(data) if data.strip() else {}
    except ReadError as exc:
        raise AllocationError(grpc.StatusCode.INVALID_ARGUMENT, f"the body is {exc}") from None
    if not isinstance(body, dict):
        raise AllocationError(grpc.StatusCode.INVALID_ARGUMENT, "the body must be a JSON object: an AllocationRequest")
    try:
        json_format.ParseDict(body, message, ignore_unknown_fields=True)
    except (json_format.ParseError, TypeError, ValueError, AttributeError) as exc:
        # ParseDict documents ParseError, but a value of the wrong JSON type deep inside can
        # surface as the others.
        raise AllocationError(grpc.StatusCode.INVALID_ARGUMENT, " ".join(str(exc).split())) from None
    return message


class _Servicer(pb_grpc.AllocationServiceServicer):
    def __init__(self, allocator: LocalAllocator) -> None:
        self._allocator = allocator

    async def Allocate(
        self,
        request: pb.AllocationRequest,
        context: grpc.aio.ServicerContext[pb.AllocationRequest, pb.AllocationResponse],
    ) -> pb.AllocationResponse:
        try:
            return await self._allocator.allocate(request)
        except AllocationError as exc:
            await context.abort(exc.code, exc.message)


class LocalAllocator:
    """Agones' allocator service over local sidecars: `Allocate` by gRPC, `POST /gameserverallocation` by REST.

    Both are served on one port, plaintext, TLS (`cert` and `key`) or mutual TLS (also `client_ca`:
    a client certificate it did not sign fails the TLS handshake). Allocations run one at a time,
    so two requests never get the same Ready GameServer.
    """

    def __init__(
        self,
        sidecars: Sequence[str] = ("localhost:9358",),
        *,
        host: str = "localhost",
        port: int = DEFAULT_PORT,
        cert: str | None = None,
        key: str | None = None,
        client_ca: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """Set it up (nothing is read or bound until `start`).

        Raises:
            ValueError: a sidecar is not HOST:PORT, or the TLS files are incomplete or unreadable.
        """
        if (cert is None) != (key is None):
            raise ValueError("--cert and --key go together: give both for TLS, or neither for plaintext")
        if client_ca is not None and cert is None:
            raise ValueError("--client-ca needs --cert and --key: mutual TLS is TLS with client certificates")
        self.sidecars = Sidecars(sidecars)
        self.host = host
        self.port = port
        self._ssl: ssl.SSLContext | None = (
            None if cert is None or key is None else server_ssl_context(cert, key, client_ca)
        )
        self._rng = rng or random.Random()
        self._lock = asyncio.Lock()
        self._dir: Path | None = None
        self._grpc: grpc.aio.Server | None = None
        self._rest: web.ServerRunner | None = None
        self._door: FrontDoor | None = None

    async def allocate(self, request: pb.AllocationRequest) -> pb.AllocationResponse:
        """Allocate one GameServer as Agones' allocator would, and return the reply it would give.

        Raises:
            AllocationError: RESOURCE_EXHAUSTED when no GameServer matches; INVALID_ARGUMENT for a
                request Agones refuses; UNIMPLEMENTED for multi-cluster allocation.
        """
        validate(request)
        async with self._lock:
            gone: set[str] = set()
            while True:
                game_servers = await self.sidecars.read_all(exclude=gone)
                chosen = choose(request, game_servers, self._rng)
                if chosen is None:
                    logger.info("Allocate(namespace=%r) -> RESOURCE_EXHAUSTED", request.namespace)
                    raise AllocationError(grpc.StatusCode.RESOURCE_EXHAUSTED, NO_GAME_SERVER)
                try:
                    after = await self.sidecars.allocate(chosen.sidecar, request)
                except SidecarGone:
                    gone.add(chosen.sidecar)  # it went away or changed state since it was read
                    continue
                logger.info(
                    "Allocate(namespace=%r) -> %s (was %s) on sidecar %s",
                    request.namespace,
                    after.name,
                    chosen.state,
                    chosen.sidecar,
                )
                return allocation_response(after)

    async def start(self) -> int:
        """Serve on `host`:`port` (0: a free port); returns the port.

        Raises:
            OSError: the address cannot be bound.
        """
        self._dir = Path(tempfile.mkdtemp(prefix="agones-local-allocator-"))  # mode 0700: ours only
        grpc_socket, http_socket = str(self._dir / "grpc.sock"), str(self._dir / "rest.sock")
        try:
            self._grpc = grpc.aio.server()
            pb_grpc.add_AllocationServiceServicer_to_server(_Servicer(self), self._grpc)
            self._grpc.add_insecure_port(f"unix:{grpc_socket}")
            await self._grpc.start()
            self._rest = web.ServerRunner(web.Server(self._handle_rest, access_log=None), shutdown_timeout=1.0)
            await self._rest.setup()
            await web.UnixSite(self._rest, http_socket).start()
            self._door = FrontDoor(grpc_socket, http_socket, self._ssl)
            self.port = await self._door.start(self.host, self.port)
        except BaseException:
            await self.stop()
            raise
        mode = "plaintext" if self._ssl is None else "mTLS" if self._ssl.verify_mode == ssl.CERT_REQUIRED else "TLS"
        logger.info(
            "serving AllocationService (gRPC and REST POST %s, %s) on %s over sidecars %s",
            REST_PATH,
            mode,
            format_host_port(self.host, self.port),
            ", ".join(self.sidecars.addresses),
        )
        return self.port

    async def stop(self, grace: float = 1.0) -> None:
        """Stop serving; open calls get `grace` seconds."""
        server, self._grpc = self._grpc, None
        if server is not None:
            await server.stop(grace)  # before the front door: calls under way may finish through it
        door, self._door = self._door, None
        if door is not None:
            await door.stop()
        rest, self._rest = self._rest, None
        if rest is not None:
            await rest.cleanup()
        await self.sidecars.close()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    async def __aenter__(self) -> LocalAllocator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _handle_rest(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.path != REST_PATH:
            return _json_error(grpc.StatusCode.NOT_FOUND, "Not Found")
        if request.method != "POST":
            return _json_error(grpc.StatusCode.UNIMPLEMENTED, "Method Not Allowed")
        try:
            reply = await self.allocate(parse_rest_body(await request.read()))
        except AllocationError as exc:
            return _json_error(exc.code, exc.message)
        out = json_format.MessageToDict(reply, always_print_fields_with_no_presence=True)
        # In declaration order, as grpc-gateway writes it (json_format puts empty fields last).
        body = {f.json_name: out[f.json_name] for f in reply.DESCRIPTOR.fields if f.json_name in out}
        return web.Response(text=json.dumps(body, separators=(",", ":")), content_type="application/json")
