"""The TCP transport: newline-delimited commands with upstream's `ACK TCP:` replies.

Lines of one connection are answered in order. A connection is a session of its own and ends on
close. At most `_MAX_TCP_CLIENTS` connections at once and `max_per_source` from one source (an
IP, or an IPv6 /64: `_limits.source_of`), so one host cannot take every slot. A connection that
sends no complete line for the idle timeout is closed and counted, so silent sockets cannot hold
slots; one whose replies are not read within the write timeout (the reply cannot leave the
buffers) is aborted and counted, so a peer that sends lines and never reads cannot hold its
handler either.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from collections.abc import Callable, Hashable
from typing import Any

from ._dispatch import Dispatcher, Later, show_address
from ._limits import source_of
from ._replies import ack_tcp
from ._requests import Echo, Join, Leave, Parser
from ._sessions import Session

log = logging.getLogger(__name__)

_MAX_TCP_CLIENTS = 256
_TCP_LINE_LIMIT = 64 * 1024  # bufio.Scanner's default token size, as upstream


class TcpEndpoint:
    """Serves one listening TCP socket."""

    def __init__(
        self,
        parser: Parser,
        dispatcher: Dispatcher,
        idle_timeout: float,
        now: Callable[[], float],
        on_leave: Callable[[Session], None],
        *,
        write_timeout: float = 10.0,
        max_per_source: int = 16,
    ) -> None:
        self._parser = parser
        self._dispatcher = dispatcher
        self._metrics = dispatcher.metrics
        self._idle_timeout = idle_timeout
        self._now = now
        self._on_leave = on_leave
        self._write_timeout = write_timeout
        self._max_per_source = max_per_source
        self._per_source: dict[str, int] = {}  # at most _MAX_TCP_CLIENTS keys
        self._server: asyncio.Server | None = None
        self._writers: dict[Hashable, asyncio.StreamWriter] = {}
        self.address: Any = None

    async def start(self, sock: socket.socket) -> None:
        """Start accepting on a bound socket."""
        self.address = sock.getsockname()
        self._server = await asyncio.start_server(self._on_client, sock=sock, limit=_TCP_LINE_LIMIT, backlog=128)

    async def close(self) -> None:
        """Stop accepting and close every connection (idempotent)."""
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers.values()):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    def send(self, peer: Hashable, data: bytes) -> bool:
        """Write a notice to a TCP peer; False when `peer` is not one of ours."""
        writer = self._writers.get(peer)
        if writer is None:
            return False
        if not writer.is_closing():
            writer.write(data + b"\n")
        return True

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer: Hashable = ("tcp", *writer.get_extra_info("peername"))
        source = source_of(peer)
        held = self._per_source.get(source, 0)
        if len(self._writers) >= _MAX_TCP_CLIENTS or 0 < self._max_per_source <= held:
            self._metrics.tcp_refused += 1
            writer.close()
            return
        self._per_source[source] = held + 1
        self._metrics.tcp_connections += 1
        self._writers[peer] = writer
        try:
            while True:
                line = await self._read_line(reader, peer)
                if line is None:
                    break
                await self._line(line, peer, writer)
                if not await self._drain(writer, peer):
                    break
        except ConnectionError:
            pass
        finally:
            self._writers.pop(peer, None)
            if (left := self._per_source.pop(source, 1) - 1) > 0:
                self._per_source[source] = left
            session = self._dispatcher.sessions.leave(peer)
            if session is not None:
                self._on_leave(session)
            writer.close()
            try:
                # a close waits for unsent replies to leave; one the peer never reads must not hold us
                async with asyncio.timeout(self._write_timeout if self._write_timeout > 0 else None):
                    await writer.wait_closed()
            except TimeoutError:
                writer.transport.abort()
            except ConnectionError:
                pass

    async def _drain(self, writer: asyncio.StreamWriter, peer: Hashable) -> bool:
        """Wait for the reply to leave; False (the connection aborted) when the peer does not read it in time."""
        try:
            async with asyncio.timeout(self._write_timeout if self._write_timeout > 0 else None):
                await writer.drain()
        except TimeoutError:
            self._metrics.tcp_write_timeouts += 1
            log.debug("aborting TCP connection from %s: it does not read its replies", show_address(peer[1:]))  # type: ignore[index]
            writer.transport.abort()  # close() would wait for the unread buffer to flush
            return False
        return True

    async def _read_line(self, reader: asyncio.StreamReader, peer: Hashable) -> bytes | None:
        """The next line without its newline; None at the end, on an overlong line or when idle."""
        try:
            async with asyncio.timeout(self._idle_timeout if self._idle_timeout > 0 else None):
                line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            line = exc.partial
            if not line:
                return None
        except asyncio.LimitOverrunError:
            return None  # upstream's scanner gives up on a line this long too
        except TimeoutError:
            self._metrics.tcp_idle_closed += 1
            log.debug("closing idle TCP connection from %s", show_address(peer[1:]))  # type: ignore[index]
            return None
        return line.removesuffix(b"\n").removesuffix(b"\r")

    async def _line(self, line: bytes, peer: Hashable, writer: asyncio.StreamWriter) -> None:
        now = self._now()
        self._dispatcher.sessions.touch(peer, now)
        req = self._parser.parse(line)
        if isinstance(req, Echo | Join | Leave):
            req = dataclasses.replace(req, text=line)  # upstream echoes the line as read, untrimmed
        outcome = self._dispatcher.dispatch(req, peer, now, ack_tcp, stream=True)
        result = await outcome.work if isinstance(outcome, Later) else outcome
        if not result:
            return
        if not result.startswith(b"ACK TCP: "):
            result += b"\n"  # upstream writes every TCP reply plus a newline
        writer.write(result)
        self._metrics.bytes_out += len(result)
