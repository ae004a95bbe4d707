"""The sample server: dual-stack UDP (and optional TCP) around the sans-IO protocol.

I/O strategy: one non-blocking UDP socket, watched with `loop.add_reader`. Each readiness
callback reads the socket until it is empty (at most `_BATCH` datagrams, so other tasks still
run) and answers with a non-blocking `sendto`; a reply that would block is dropped and counted,
as the network may drop any datagram anyway. Echoes and refusals are answered inline; commands
that need the sidecar run as tasks, at most `_MAX_INFLIGHT` at once (beyond that the datagram
is dropped and counted), so a flood cannot queue unbounded work. Nothing per-datagram is logged
above DEBUG, and `handle_datagram` never raises.

TCP, when enabled, serves the same commands as newline-delimited lines with upstream's
`ACK TCP:` replies; lines of one connection are answered in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from aioagones import AgonesError, AlreadyExistsError, GameServer, NotFoundError, OutOfRangeError

from . import protocol as p
from ._commands import ACKNOWLEDGED, AgonesLike, execute
from ._metrics import Metrics
from ._sessions import Action, JoinResult, Lifecycle, Session, Sessions
from .protocol import _CONTROL_RE, Call, Echo, Join, Leave, Parser, Reply, Request, echo_text

log = logging.getLogger(__name__)

_BATCH = 512
_MAX_INFLIGHT = 256
_MAX_TCP_CLIENTS = 256
_TCP_LINE_LIMIT = 64 * 1024  # bufio.Scanner's default token size, as upstream
_RECV_SIZE = p.MAX_DATAGRAM + 1  # one byte more tells an oversize datagram
_RCVBUF = 4 * 1024 * 1024
_NO_IPV6 = (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT)
PLAYERS_LIST = "players"
DEFAULT_CAPACITY = 100

ReplyFn = Callable[[bytes], None]


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """How the server behaves (the CLI builds one from flags and environment)."""

    port: int = 7654
    address: str | None = None
    udp: bool = True
    tcp: bool = False
    tcp_idle_timeout: float = 30.0
    ready: bool = True
    ready_delay: float = 0.0
    automatic_shutdown_delay: float = 0.0
    ready_iterations: int = 0
    graceful_termination_delay: float = 0.0
    player_tracking: str = "list"
    max_players: int = 0
    idle_timeout: float = 10.0
    shutdown_when_empty: float = 0.0
    admin_token: str | None = None
    insecure_admin: bool = False
    exit_on_shutdown: bool = False


def bind_udp(address: str | None, port: int) -> socket.socket:
    """A non-blocking UDP socket: `[::]` dual-stack, else `0.0.0.0`, or exactly `address`."""
    sock = _bind(socket.SOCK_DGRAM, address, port)
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
    return sock


def bind_tcp(address: str | None, port: int) -> socket.socket:
    """A listening TCP socket on the same terms as `bind_udp`."""
    return _bind(socket.SOCK_STREAM, address, port)


def _bind(kind: socket.SocketKind, address: str | None, port: int) -> socket.socket:
    if address is not None:
        infos = socket.getaddrinfo(address, port, type=kind, flags=socket.AI_NUMERICHOST | socket.AI_PASSIVE)
        family, _, _, _, sockaddr = infos[0]
        sock = socket.socket(family, kind)
        _prepare(sock, kind)
        try:
            sock.bind(sockaddr)
        except BaseException:
            sock.close()
            raise
        return sock
    try:
        sock = socket.socket(socket.AF_INET6, kind)
    except OSError as exc:
        if exc.errno not in _NO_IPV6:
            raise
        log.warning("IPv6 is not available here (%s): listening on 0.0.0.0 (IPv4 only)", exc.strerror)
        return _bind(kind, "0.0.0.0", port)
    try:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        _prepare(sock, kind)
        sock.bind(("::", port))
    except OSError as exc:
        sock.close()
        if exc.errno in _NO_IPV6:
            log.warning("IPv6 is disabled here (%s): listening on 0.0.0.0 (IPv4 only)", exc.strerror)
            return _bind(kind, "0.0.0.0", port)
        raise
    return sock


def _prepare(sock: socket.socket, kind: socket.SocketKind) -> None:
    sock.setblocking(False)
    if kind == socket.SOCK_STREAM:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)


def _show(sockname: Any) -> str:
    host, port = sockname[0], sockname[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class SampleServer:
    """The dedicated server: sockets, sessions, lifecycle and the SDK calls behind commands.

    Args:
        sdk: a connected `aioagones.SDK` (or anything `AgonesLike`).
        config: the behaviour.
        clock: monotonic seconds (injected for tests); default the event loop's.
        wall_ns: Unix time in nanoseconds.
        crash: what `CRASH [code]` calls; default `os._exit`, so a crash is a real crash.
    """

    def __init__(
        self,
        sdk: AgonesLike,
        config: ServerConfig,
        *,
        clock: Callable[[], float] | None = None,
        wall_ns: Callable[[], int] = time.time_ns,
        crash: Callable[[int], None] = os._exit,
    ) -> None:
        self.sdk = sdk
        self.config = config
        self.metrics = Metrics()
        self.parser = Parser(config.admin_token, insecure_admin=config.insecure_admin)
        self.sessions = Sessions(config.max_players or DEFAULT_CAPACITY, config.idle_timeout)
        self.lifecycle = Lifecycle(
            automatic_shutdown_delay=config.automatic_shutdown_delay,
            ready_iterations=config.ready_iterations,
            shutdown_when_empty=config.shutdown_when_empty,
        )
        self.tracking = config.player_tracking
        self._clock = clock
        self._wall_ns = wall_ns
        self._crash = crash
        self._loop: asyncio.AbstractEventLoop | None = None
        self._udp: socket.socket | None = None
        self._tcp: asyncio.Server | None = None
        self._tcp_writers: dict[Hashable, asyncio.StreamWriter] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._inflight = 0
        self._stop = asyncio.Event()
        self._stopping = False
        self._shutdown_sent = False
        self._agones_shutdown = False
        self._log_events = False
        self._pod_ips: tuple[str, ...] = ()
        self.exit_reason = ""
        self.port = config.port
        self.udp_address: Any = None
        self.tcp_address: Any = None

    # ------------------------------------------------------------------ start / stop

    def now(self) -> float:
        """Monotonic seconds."""
        if self._clock is not None:
            return self._clock()
        assert self._loop is not None
        return self._loop.time()

    async def start(self, game_server: GameServer) -> None:
        """Bind the sockets and start serving (not yet Ready: `run` does that)."""
        self._loop = asyncio.get_running_loop()
        self._configure_players(game_server)
        self._on_game_server(game_server, first=True)
        cfg = self.config
        if cfg.udp:
            self._udp = bind_udp(cfg.address, cfg.port)
            self.udp_address = self._udp.getsockname()
            self.port = self.udp_address[1]
            self._loop.add_reader(self._udp.fileno(), self._on_udp_readable)
            log.info("listening on UDP %s%s", _show(self.udp_address), self._stack_note(self._udp))
        if cfg.tcp:
            tcp_sock = bind_tcp(cfg.address, self.port)
            self._tcp = await asyncio.start_server(
                self._on_tcp_client, sock=tcp_sock, limit=_TCP_LINE_LIMIT, backlog=128
            )
            self.tcp_address = tcp_sock.getsockname()
            self.port = self.tcp_address[1]
            log.info("listening on TCP %s%s", _show(self.tcp_address), self._stack_note(tcp_sock))
        self._log_reachable(game_server)

    @staticmethod
    def _stack_note(sock: socket.socket) -> str:
        if sock.family == socket.AF_INET6 and sock.getsockname()[0] == "::":
            return " (dual-stack: IPv6 and IPv4)"
        return ""

    def _configure_players(self, gs: GameServer) -> None:
        """Pick the capacity, and fall back to no tracking when the GameServer cannot hold it."""
        status = gs.status
        if self.tracking == "list":
            players = status.lists.get(PLAYERS_LIST)
            if players is None:
                log.warning(
                    "the GameServer has no %r list: player tracking is off (set spec.lists.%s)",
                    PLAYERS_LIST,
                    PLAYERS_LIST,
                )
                self.tracking = "off"
        if not self.config.max_players:
            self._update_capacity(gs)
        log.info("player tracking: %s, capacity %d", self.tracking, self.sessions.capacity)

    def _update_capacity(self, gs: GameServer) -> None:
        if self.config.max_players:
            return
        status = gs.status
        if self.tracking == "list" and PLAYERS_LIST in status.lists:
            self.sessions.capacity = status.lists[PLAYERS_LIST].capacity
        elif self.tracking == "alpha" and status.players is not None and status.players.capacity > 0:
            self.sessions.capacity = status.players.capacity

    def _log_reachable(self, gs: GameServer) -> None:
        ips = gs.status.pod_ips
        if not ips:
            log.info("no Pod IPs in the GameServer status yet: watching for them")
            return
        self._pod_ips = ips
        where = ", ".join(f"[{ip}]:{self.port}" if ":" in ip else f"{ip}:{self.port}" for ip in ips)
        log.info("reachable by Pod IP at %s", where)

    async def run(self) -> int:
        """Become Ready (unless configured not to), serve until stopped; the exit code."""
        self._spawn(self._watch(), "watch")
        self._spawn(self._tick(), "tick")
        if self.config.ready:
            self._spawn(self._ready_at_start(), "ready")
        await self._stop.wait()
        await self.close()
        return 0

    async def _ready_at_start(self) -> None:
        if self.config.ready_delay > 0:
            log.info("waiting %g s before marking Ready", self.config.ready_delay)
            await asyncio.sleep(self.config.ready_delay)
        try:
            await self.sdk.ready()
            log.info("marked Ready")
        except AgonesError as exc:
            log.error("could not mark Ready: %s", exc)

    async def terminate(self, reason: str) -> None:
        """SIGTERM/SIGINT: stop taking players, tell them, shut down, wait the grace delay, stop."""
        if self._stopping:
            return
        log.info("%s: shutting down", reason)
        await self.shutdown_game_server(reason)
        delay = self.config.graceful_termination_delay
        if delay > 0:
            log.info("waiting %g s before exiting", delay)
            await asyncio.sleep(delay)
        self._stopping = True
        self.exit_reason = reason
        self._stop.set()

    def request_stop(self, reason: str) -> None:
        """Stop from a signal handler (schedules `terminate`)."""
        if not self._stopping and self.exit_reason == "":
            self.exit_reason = "pending"
            self._spawn(self.terminate(reason), "terminate")

    async def shutdown_game_server(self, reason: str) -> None:
        """Stop taking players, send them `SHUTDOWN`, and tell Agones unless already done."""
        for session in self.sessions.close():
            self._send_to(session.address, p.SHUTDOWN_NOTICE)
        if self._shutdown_sent or self._agones_shutdown:
            return
        self._shutdown_sent = True
        try:
            await self.sdk.shutdown()
            log.info("told Agones to shut down (%s)", reason)
        except AgonesError as exc:
            log.error("could not tell Agones to shut down: %s", exc)

    async def close(self) -> None:
        """Close the sockets and cancel every task (idempotent)."""
        if self._udp is not None:
            if self._loop is not None:
                self._loop.remove_reader(self._udp.fileno())
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            for writer in list(self._tcp_writers.values()):
                writer.close()
            await self._tcp.wait_closed()
            self._tcp = None
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coro: Awaitable[Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        task.set_name(f"sample-server-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("task %s failed", task.get_name(), exc_info=exc)

    # ------------------------------------------------------------------ background

    async def _watch(self) -> None:
        while True:
            try:
                async for gs in self.sdk.watch_game_server():
                    self._on_game_server(gs)
            except AgonesError as exc:
                log.warning("watching the GameServer failed: %s; retrying", exc)
            await asyncio.sleep(1.0)

    def _on_game_server(self, gs: GameServer, *, first: bool = False) -> None:
        state = str(gs.status.state)
        if self._log_events or (state != self.metrics.state and not first):
            log.info("GameServer %s is %s", gs.object_meta.name, state)
        self.metrics.state = state
        last = gs.object_meta.annotations.get("agones.dev/last-allocated", "")
        self.lifecycle.on_game_server(state, last, self.now())
        self._update_capacity(gs)
        if state == "Shutdown":
            self._agones_shutdown = True
            if self.config.exit_on_shutdown and not first:
                self.request_stop("GameServer is Shutdown")
        if not first and not self._pod_ips and gs.status.pod_ips:
            self._log_reachable(gs)

    async def _tick(self) -> None:
        interval = 0.1 if 0 < self.config.idle_timeout < 2 else 0.5
        while True:
            await asyncio.sleep(interval)
            self.tick()

    def tick(self) -> None:
        """Expire idle players and run the lifecycle's due action (called periodically)."""
        now = self.now()
        gone = self.sessions.expire(now)
        for session in gone:
            self.metrics.player_timeouts += 1
            log.info("player %s timed out", session.player_id)
            self._spawn(self._tell_leave(session), "leave")
        if gone:
            self._players_changed()
        action = self.lifecycle.due(now)
        if action is Action.READY:
            log.info("back to Ready (ready iterations left)")
            self._spawn(self._sdk_call(self.sdk.ready(), "Ready"), "ready")
        elif action is Action.SHUTDOWN:
            self._spawn(self._lifecycle_shutdown(), "shutdown")

    async def _lifecycle_shutdown(self) -> None:
        await self.shutdown_game_server("automatic shutdown")
        if self.config.exit_on_shutdown:
            self.request_stop("automatic shutdown")

    async def _sdk_call(self, call: Awaitable[None], what: str) -> None:
        try:
            await call
        except AgonesError as exc:
            log.error("%s failed: %s", what, exc)

    def _players_changed(self) -> None:
        self.metrics.players = len(self.sessions)
        self.lifecycle.on_players(len(self.sessions), self.now())

    # ------------------------------------------------------------------ UDP

    def _on_udp_readable(self) -> None:
        sock = self._udp
        if sock is None:
            return
        recv, send, handle, m = sock.recvfrom, sock.sendto, self.handle_datagram, self.metrics
        now = self.now()
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

    def _udp_send(self, addr: Any, reply: bytes) -> None:
        if self._udp is None or not reply:
            return
        try:
            self._udp.sendto(reply, addr)
        except OSError:
            self.metrics.send_errors += 1
            return
        self.metrics.datagrams_out += 1
        self.metrics.bytes_out += len(reply)

    def handle_datagram(self, data: bytes, addr: Any, now: float) -> bytes | None:
        """Answer one datagram: the reply to send now, or None (none, or a task will reply)."""
        m = self.metrics
        n = len(data)
        m.datagrams_in += 1
        m.bytes_in += n
        try:
            session = self.sessions.by_address.get(addr)
            if session is not None:
                session.last_seen = now
            if n > p.MAX_DATAGRAM or n == 0 or not data.isascii() or _CONTROL_RE.search(data) is not None:
                kind = p.malformation(data)
                if kind is not None:
                    m.malformed[kind] += 1
            text = echo_text(data)
            if text is not None:
                if not text and n:
                    m.malformed[p.Malformed.EMPTY] += 1  # white space only
                return b"ACK: " + text + b"\n"
            req = self.parser.parse(data)
            trusted = session is not None or self.parser.insecure_admin
            result = self._dispatch(req, addr, now, tcp=False)
            if result is None or isinstance(result, bytes):
                if result is None:
                    return None
                return self._limit(result, n, trusted)

            def reply(data: bytes) -> None:
                self._udp_send(addr, self._limit(data, n, trusted))

            # JOIN and LEAVE work is bounded by the capacity (a slot or a session each); calls are not
            if isinstance(req, Call) and self._inflight >= _MAX_INFLIGHT:
                m.dropped_busy += 1
                result.close()
                return None
            self._inflight += 1
            self._spawn(self._finish(result, reply), "call")
            return None
        except Exception:  # never let one datagram break the receive loop
            log.exception("unexpected error handling a datagram")
            return None

    def _limit(self, reply: bytes, n: int, trusted: bool) -> bytes:
        limited = p.limit_reply(reply, n, trusted=trusted)
        if limited is not reply:
            self.metrics.too_long += 1
        return limited

    async def _finish(self, work: Any, reply: ReplyFn) -> None:
        try:
            data = await work
        finally:
            self._inflight -= 1
        if data:
            reply(data)

    # ------------------------------------------------------------------ dispatch (UDP and TCP)

    def _dispatch(self, req: Request, peer: Hashable, now: float, *, tcp: bool) -> Any:
        """bytes to send now, None for no reply, or a coroutine that returns the reply bytes."""
        ack = p.ack_tcp if tcp else p.ack
        if isinstance(req, Echo):
            return ack(req.text)
        if isinstance(req, Reply):
            if req.refused:
                self.metrics.refused += 1
            return req.data
        if isinstance(req, Join):
            return self._join(req, peer, now, ack)
        if isinstance(req, Leave):
            session = self.sessions.leave(peer)
            if session is None:
                return ack(req.text)
            self.metrics.player_leaves += 1
            log.info("player %s left", session.player_id)
            self._players_changed()
            return self._finish_leave(session, ack(req.text))
        return self._call(req, ack)

    def _join(self, req: Join, peer: Hashable, now: float, ack: Callable[[bytes], bytes]) -> Any:
        decision = self.sessions.begin_join(peer, req.player_id, now)
        if decision is JoinResult.NEW:
            return self._finish_join(req, peer, ack)
        if decision is JoinResult.ALREADY:
            return ack(req.text)
        return {
            JoinResult.FULL: b"ERROR: server full\n",
            JoinResult.ID_IN_USE: b"ERROR: id in use\n",
            JoinResult.CLOSED: b"ERROR: shutting down\n",
            JoinResult.BUSY: b"ERROR: busy\n",
        }[decision]

    async def _finish_join(self, req: Join, peer: Hashable, ack: Callable[[bytes], bytes]) -> bytes:
        ok, reply = False, b"ERROR: join failed\n"
        try:
            await self._tell_join(req.player_id)
            ok = True
        except AlreadyExistsError:
            ok = True  # already listed (e.g. added by an admin): that is what we wanted
        except OutOfRangeError:
            reply = b"ERROR: server full\n"
        except AgonesError as exc:
            log.warning("could not record player %s with Agones: %s", req.player_id, exc)
        finally:
            session = self.sessions.finish_join(peer, ok, self.now())
        if session is None:
            return reply
        self.metrics.player_joins += 1
        log.info("player %s joined from %s", req.player_id, _peer_text(peer))
        self._players_changed()
        if self.sessions.closed:
            self._send_to(peer, p.SHUTDOWN_NOTICE)
        return ack(req.text)

    async def _finish_leave(self, session: Session, reply: bytes) -> bytes:
        await self._tell_leave(session)  # reply once Agones knows, so the slot is free for the next
        return reply

    async def _tell_join(self, player_id: str) -> None:
        if self.tracking == "list":
            await self.sdk.beta.append_list_value(PLAYERS_LIST, player_id)
        elif self.tracking == "alpha":
            await self.sdk.alpha.player_connect(player_id)

    async def _tell_leave(self, session: Session) -> None:
        try:
            if self.tracking == "list":
                await self.sdk.beta.delete_list_value(PLAYERS_LIST, session.player_id)
            elif self.tracking == "alpha":
                await self.sdk.alpha.player_disconnect(session.player_id)
        except NotFoundError:
            pass
        except AgonesError as exc:
            log.warning("could not tell Agones that player %s left: %s", session.player_id, exc)

    def _call(self, call: Call, ack: Callable[[bytes], bytes]) -> Any:
        word = call.word
        if word == "EXIT":
            if not call.args:  # upstream exits only on exactly "EXIT"
                self._spawn(self._exit(), "exit")
            return ack(call.text)
        if word == "CRASH":
            log.warning("CRASH received: exiting with code %d", call.number)
            logging.shutdown()
            self._crash(call.number if call.number is not None else 1)
            return None
        if word == "UNHEALTHY":
            log.warning("UNHEALTHY received: health pings stop")
            self.sdk.pause_health()
            return ack(call.text)
        if word == "WATCH":
            self._log_events = True
            return ack(call.text)
        return self._run_call(call, ack)

    async def _run_call(self, call: Call, ack: Callable[[bytes], bytes]) -> bytes:
        reply = await execute(self.sdk, call, wall_ns=self._wall_ns)
        if reply == ACKNOWLEDGED:
            return ack(call.text)
        if reply.startswith(b"ERROR: "):
            self.metrics.command_errors += 1
        return reply

    async def _exit(self) -> None:
        log.info("EXIT received")
        await self.shutdown_game_server("EXIT")
        self._stopping = True
        self.exit_reason = "EXIT"
        self._stop.set()

    def _send_to(self, peer: Hashable, data: bytes) -> None:
        writer = self._tcp_writers.get(peer)
        if writer is not None:
            if not writer.is_closing():
                writer.write(data + b"\n")
            return
        self._udp_send(peer, data)

    # ------------------------------------------------------------------ TCP

    async def _on_tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer: Hashable = ("tcp", *writer.get_extra_info("peername"))
        if len(self._tcp_writers) >= _MAX_TCP_CLIENTS:
            writer.close()
            return
        self.metrics.tcp_connections += 1
        self._tcp_writers[peer] = writer
        try:
            while True:
                try:
                    line = await reader.readuntil(b"\n")
                except asyncio.IncompleteReadError as exc:
                    line = exc.partial
                    if not line:
                        break
                except asyncio.LimitOverrunError:
                    break  # upstream's scanner gives up on a line this long too
                line = line.removesuffix(b"\n").removesuffix(b"\r")
                await self._tcp_line(line, peer, writer)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            self._tcp_writers.pop(peer, None)
            session = self.sessions.leave(peer)
            if session is not None:
                self._players_changed()
                self._spawn(self._tell_leave(session), "leave")
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _tcp_line(self, line: bytes, peer: Hashable, writer: asyncio.StreamWriter) -> None:
        m = self.metrics
        now = self.now()
        self.sessions.touch(peer, now)
        req = self.parser.parse(line)
        if isinstance(req, Echo | Join | Leave):
            # upstream echoes the line as read, untrimmed
            req = dataclasses.replace(req, text=line)
        result = self._dispatch(req, peer, now, tcp=True)
        if result is not None and not isinstance(result, bytes):
            result = await result
        if not result:
            return
        if not result.startswith(b"ACK TCP: "):
            result += b"\n"  # upstream writes every TCP reply plus a newline
        writer.write(result)
        m.bytes_out += len(result)


def _peer_text(peer: Any) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        if peer[0] == "tcp":
            return "tcp " + _show(peer[1:])
        return _show(peer)
    return str(peer)
