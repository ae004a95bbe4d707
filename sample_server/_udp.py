"""The UDP transport: a thin adapter between one non-blocking socket and the dispatcher.

I/O strategy: the socket is watched with `loop.add_reader`. Each readiness callback reads the
socket until it is empty (at most `_BATCH` datagrams, so other tasks still run) and answers with
a non-blocking `sendto`; a reply that would block is dropped and counted, as the network may drop
any datagram anyway. Echoes and refusals are answered inline; what needs the sidecar runs as a
task, at most `_MAX_INFLIGHT` command calls at once (beyond that the datagram is dropped and
counted), so a flood cannot queue unbounded work. Nothing per datagram is logged above DEBUG, and
`handle_datagram` never raises.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from ._dispatch import Dispatcher, Later
from ._entry import Call
from ._replies import ACK_PREFIX, ack, limit_reply
from ._requests import MAX_DATAGRAM, Parser, Reply, classify

log = logging.getLogger(__name__)

_BATCH = 512
_MAX_INFLIGHT = 256
_RECV_SIZE = MAX_DATAGRAM + 1  # one byte more tells an oversize datagram

_MAY_BE_TRUSTED = (Call, Reply)  # the requests that carry the admin token's verdict

Spawn = Callable[[Awaitable[Any], str], object]


class UdpEndpoint:
    """Serves one bound UDP socket."""

    def __init__(
        self,
        sock: socket.socket,
        parser: Parser,
        dispatcher: Dispatcher,
        spawn: Spawn,
        now: Callable[[], float],
    ) -> None:
        self.sock: socket.socket | None = sock
        self.address: Any = sock.getsockname()
        self._parser = parser
        self._dispatcher = dispatcher
        self._metrics = dispatcher.metrics
        self._sessions = dispatcher.sessions
        self._spawn = spawn
        self._now = now
        self._loop: asyncio.AbstractEventLoop | None = None
        self.inflight = 0

    def start(self) -> None:
        """Start reading (from the running loop)."""
        assert self.sock is not None
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.sock.fileno(), self._on_readable)

    def close(self) -> None:
        """Stop reading and close the socket (idempotent)."""
        if self.sock is None:
            return
        if self._loop is not None:
            self._loop.remove_reader(self.sock.fileno())
        self.sock.close()
        self.sock = None

    def send(self, addr: Any, reply: bytes) -> None:
        """Send one datagram now, or drop it (counted) when the socket would block."""
        if self.sock is None or not reply:
            return
        try:
            self.sock.sendto(reply, addr)
        except OSError:
            self._metrics.send_errors += 1
            return
        self._metrics.datagrams_out += 1
        self._metrics.bytes_out += len(reply)

    def _on_readable(self) -> None:
        sock = self.sock
        if sock is None:
            return
        recv, send, handle, m = sock.recvfrom, sock.sendto, self.handle_datagram, self._metrics
        now = self._now()
        for _ in range(_BATCH):
            try:
                data, addr = recv(_RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                m.receive_errors += 1
                continue
            reply = handle(data, addr, now)
            if reply:
                try:
                    send(reply, addr)
                except OSError:
                    m.send_errors += 1
                    continue
                m.datagrams_out += 1
                m.bytes_out += len(reply)

    def handle_datagram(self, data: bytes, addr: Any, now: float) -> bytes | None:
        """Answer one datagram: the reply to send now, or None (none, or a task will reply)."""
        m = self._metrics
        n = len(data)
        m.datagrams_in += 1
        m.bytes_in += n
        try:
            session = self._sessions.by_address.get(addr)
            if session is not None:
                if session.secret in data:  # proven: the sender knows the session's secret
                    session.last_seen = now
                else:
                    session = None  # from the address but not proven: it could be spoofed
            text, bad = classify(data)
            if bad is not None:
                m.malformed[bad] += 1
            if text is not None:
                return ACK_PREFIX + text + b"\n"
            req = self._parser.parse(data)
            # trust lifts the amplification limit: a proven session or the admin token (never --insecure-admin:
            # anyone may send its bare commands, so they prove nothing about the source address)
            trusted = session is not None or (isinstance(req, Call | Reply) and req.trusted)
            outcome = self._dispatcher.dispatch(req, addr, now, ack)
            if not isinstance(outcome, Later):
                short = req.short if isinstance(req, Reply) else None
                return None if outcome is None else self._limit(outcome, n, trusted, short)
            if outcome.bounded and self.inflight >= _MAX_INFLIGHT:
                m.dropped_busy += 1
                outcome.work.close()
                return None
            self.inflight += 1
            self._spawn(self._finish(outcome, addr, n, trusted), "call")
            return None
        except Exception:  # never let one datagram break the receive loop
            log.exception("unexpected error handling a datagram")
            return None

    def _limit(self, reply: bytes, n: int, trusted: bool, short: bytes | None = None) -> bytes:
        limited = limit_reply(reply, n, trusted=trusted, short=short)
        if limited is not reply:
            self._metrics.too_long += 1
        return limited

    async def _finish(self, later: Later, addr: Any, n: int, trusted: bool) -> None:
        try:
            data = await later.work
        finally:
            self.inflight -= 1
        if data:
            self.send(addr, self._limit(data, n, trusted))
