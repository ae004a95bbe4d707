"""One port for gRPC and REST, as Agones' allocator serves them: a front door that sorts connections.

Agones' allocator hands HTTP/2 `application/grpc` requests to its gRPC server and everything else
to its grpc-gateway, on one TLS port. grpc.aio cannot share a port with an HTTP/1.1 server, so the
front door terminates TLS itself (mTLS: a client certificate the client CA did not sign fails the
handshake) and passes each connection, byte for byte, to one of two servers listening on Unix
sockets in a private directory: HTTP/2 (ALPN `h2`, or the HTTP/2 preface in plaintext) to the gRPC
server, HTTP/1.x to the REST server. Unix sockets, not loopback ports, so that nothing can reach
either server without passing the front door's TLS check.

REST therefore takes HTTP/1.1 only. Over TLS the front door prefers ALPN `http/1.1`, so a client
that offers both (curl) gets HTTP/1.1 and a gRPC client (which offers only `h2`) gets HTTP/2; a REST
client that offers only `h2` lands on the gRPC server, where Agones' mux would answer it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
from pathlib import Path

from aioagones._constants import format_host_port

__all__ = ["FrontDoor", "server_ssl_context"]

logger = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT_SECONDS = 10.0
_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_CHUNK = 65536


def _ca_files(client_ca: str) -> list[str]:
    # A directory is read as Agones reads its client-CA Secret: every *.crt and *.pem in it.
    if not os.path.isdir(client_ca):
        return [client_ca]
    found = sorted(str(p) for p in Path(client_ca).iterdir() if p.suffix in (".crt", ".pem") and p.is_file())
    if not found:
        raise ValueError(f"--client-ca {client_ca}: no *.crt or *.pem file in this directory")
    return found


def server_ssl_context(cert: str, key: str, client_ca: str | None) -> ssl.SSLContext:
    """TLS for the front door: `cert`/`key` served; with `client_ca`, a client certificate it signed is required.

    `client_ca` is a PEM file of CA certificates, or a directory whose `*.crt` and `*.pem` files are.

    Raises:
        ValueError: a file cannot be read or is not what it should be (naming the file).
    """
    for flag, path in (("--cert", cert), ("--key", key), ("--client-ca", client_ca)):
        if path is not None and not (os.path.isfile(path) or (flag == "--client-ca" and os.path.isdir(path))):
            raise ValueError(f"{flag} {path}: no such file")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    # http/1.1 preferred: a client that offers both (curl) is a REST client; gRPC clients offer only h2.
    ctx.set_alpn_protocols(["http/1.1", "h2"])
    try:
        ctx.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise ValueError(
            f"--cert {cert} --key {key}: not a PEM certificate and its private key ({exc.strerror or exc})"
        ) from None
    if client_ca is not None:
        ctx.verify_mode = ssl.CERT_REQUIRED
        for ca_file in _ca_files(client_ca):
            try:
                ctx.load_verify_locations(cafile=ca_file)
            except (ssl.SSLError, OSError) as exc:
                raise ValueError(f"--client-ca {ca_file}: not PEM CA certificates ({exc})") from None
    return ctx


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        else:
            writer.close()
    except (ConnectionError, OSError, RuntimeError):
        writer.close()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, OSError, ssl.SSLError):
        await writer.wait_closed()


class FrontDoor:
    """Listens on one TCP port and hands each connection to the gRPC or the REST Unix socket."""

    def __init__(self, grpc_socket: str, http_socket: str, ssl_context: ssl.SSLContext | None) -> None:
        self._grpc_socket = grpc_socket
        self._http_socket = http_socket
        self._ssl = ssl_context
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen on every address of `host` at `port` (0: a free one); returns the port.

        `::` (or an empty host) is every interface, IPv6 and IPv4: asyncio binds IPv6 sockets
        IPv6-only, so it gets one socket per family.

        Raises:
            OSError: the address cannot be bound.
        """
        bind: str | None = host.strip("[]") or None
        if bind == "::":
            bind = None
        self._server = await asyncio.start_server(self._accept, bind, port, reuse_address=True)
        bound: int = self._server.sockets[0].getsockname()[1]
        if port == 0 and len({s.getsockname()[1] for s in self._server.sockets}) > 1:
            # Each address got its own free port: bind them all again on the first one's.
            self._server.close()
            await self._server.wait_closed()
            self._server = await asyncio.start_server(self._accept, bind, bound, reuse_address=True)
        return bound

    async def stop(self) -> None:
        """Stop listening and cut every open connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)
        try:
            await self._handle(reader, writer)
        except asyncio.CancelledError:
            # `stop` cut it. Ending normally: on Python 3.11 asyncio's stream callback logs a
            # connection task that ends cancelled as an "Exception in callback".
            return

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        where = format_host_port(peer[0], peer[1]) if isinstance(peer, tuple) else str(peer)
        try:
            if self._ssl is not None:
                try:
                    async with asyncio.timeout(HANDSHAKE_TIMEOUT_SECONDS):
                        await writer.start_tls(self._ssl)
                except (ssl.SSLError, ConnectionError, OSError, TimeoutError) as exc:
                    reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
                    logger.warning("refused a TLS connection from %s: %s", where, reason)
                    return
                ssl_object = writer.get_extra_info("ssl_object")
                is_h2 = ssl_object is not None and ssl_object.selected_alpn_protocol() == "h2"
                head = b""
            else:
                head = b""
                while len(head) < len(_PREFACE) and _PREFACE.startswith(head):
                    data = await reader.read(len(_PREFACE) - len(head))
                    if not data:
                        return
                    head += data
                is_h2 = head == _PREFACE
            target = self._grpc_socket if is_h2 else self._http_socket
            back_reader, back_writer = await asyncio.open_unix_connection(target)
            try:
                back_writer.write(head)
                await asyncio.gather(_pipe(reader, back_writer), _pipe(back_reader, writer))
            finally:
                await _close(back_writer)
        except (ConnectionError, OSError) as exc:
            logger.debug("connection from %s ended: %s", where, exc)
        finally:
            await _close(writer)
