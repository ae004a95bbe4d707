"""The sample server: the pure core (sessions, lifecycle, command table) behind thin transports.

`SampleServer` wires the parts together and owns what has a lifetime: the UDP and TCP endpoints
(`_udp`, `_tcp`), the GameServer watch, one timer and the shutdown. The timer is armed for the
core's next deadline (the next idle expiry, the lifecycle's next action) and re-armed whenever
that may have moved, instead of polling.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable, Hashable
from typing import Any

from aioagones import GameServer
from aioagones._constants import LAST_ALLOCATED_ANNOTATION
from aioagones._timer import DeadlineTimer

from ._admission import Admission
from ._agones_like import AgonesLike
from ._bind import bind_pair, bind_tcp, bind_udp, stack_note
from ._config import ServerConfig
from ._dispatch import Dispatcher, logged_call, show_address
from ._follow import follow, log_admission, log_reachable
from ._metrics import Metrics
from ._players import NoTracker, PlayerTracker, tracker_for
from ._replies import SHUTDOWN_NOTICE
from ._requests import Parser
from ._sessions import Action, Lifecycle, Session, Sessions
from ._tasks import Tasks
from ._tcp import TcpEndpoint
from ._udp import UdpEndpoint

__all__ = ["SampleServer", "ServerConfig", "bind_pair", "bind_tcp", "bind_udp"]

log = logging.getLogger(__name__)

DEFAULT_CAPACITY = 100
_MIN_SHUTDOWN_WAIT = 1.0  # the Shutdown call's bound when there is no grace period


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
        self.admission = Admission(
            config.join_secret, per_ip=config.max_players_per_ip, per_64=config.max_players_per_64
        )
        self.sessions = Sessions(config.max_players or DEFAULT_CAPACITY, config.idle_timeout, self.admission.sources)
        self.lifecycle = Lifecycle(
            automatic_shutdown_delay=config.automatic_shutdown_delay,
            ready_iterations=config.ready_iterations,
            shutdown_when_empty=config.shutdown_when_empty,
        )
        self.tracker: PlayerTracker = NoTracker()
        self.dispatcher = Dispatcher(sdk, self.sessions, self.tracker, self.metrics, self, wall_ns, self.admission)
        self.dispatcher.cached_reads = not config.insecure_admin
        self._clock = clock
        self._crash = crash
        self._loop: asyncio.AbstractEventLoop | None = None
        self._udp: UdpEndpoint | None = None
        self._tcp: TcpEndpoint | None = None
        self._timer: DeadlineTimer | None = None
        self._tasks = Tasks()
        self._spawn = self._tasks.spawn
        self._stop = asyncio.Event()
        self._stopping = False
        self._shutdown_sent = False
        self._log_events = False
        self._pod_ips: tuple[str, ...] = ()
        self.exit_reason = ""
        self.port = config.port
        self.udp_address: Any = None
        self.tcp_address: Any = None

    @property
    def _inflight(self) -> int:
        return self._udp.inflight if self._udp is not None else 0

    # ------------------------------------------------------------------ Host (for the dispatcher)

    def now(self) -> float:
        """Monotonic seconds."""
        if self._clock is not None:
            return self._clock()
        assert self._loop is not None
        return self._loop.time()

    def send_to(self, peer: Hashable, data: bytes) -> None:
        """Send a notice to a joined peer, over whichever transport it came by."""
        if self._tcp is not None and self._tcp.send(peer, data):
            return
        if self._udp is not None:
            self._udp.send(peer, data)

    def players_changed(self) -> None:
        """Feed the player count to the metrics and the lifecycle; re-arm the timer."""
        self.metrics.players = len(self.sessions)
        self.lifecycle.on_players(len(self.sessions), self.now())
        self._arm()

    def exit(self) -> None:
        """`EXIT`: shut down, then stop."""
        self._spawn(self._exit(), "exit")

    def crash(self, code: int) -> None:
        """`CRASH [code]`: exit at once, no reply."""
        log.warning("CRASH received: exiting with code %d", code)
        logging.shutdown()
        self._crash(code)

    def watch(self) -> None:
        """`WATCH`: log every GameServer change from now on."""
        self._log_events = True

    # ------------------------------------------------------------------ start / stop

    async def start(self, game_server: GameServer) -> None:
        """Bind the sockets and start serving (not yet Ready: `run` does that)."""
        self._loop = asyncio.get_running_loop()
        self._timer = DeadlineTimer(self._loop, self.now, self._on_timer)
        self.tracker = self.dispatcher.tracker = tracker_for(self.config.player_tracking, self.sdk, game_server)
        self._update_capacity(game_server)
        log.info("player tracking: %s, capacity %d", self.tracker.name, self.sessions.capacity)
        self.admission.game_server = game_server.object_meta.name
        log_admission(self.admission)
        self._on_game_server(game_server, first=True)
        cfg = self.config
        sock, tcp_sock = _bind_sockets(cfg)
        if sock is not None:
            self._udp = UdpEndpoint(sock, self.parser, self.dispatcher, self._spawn, self.now)
            self._udp.start()
            self.udp_address = self._udp.address
            self.port = self.udp_address[1]
            log.info("listening on UDP %s%s", show_address(self.udp_address), stack_note(sock))
        if tcp_sock is not None:
            self._tcp = TcpEndpoint(
                self.parser,
                self.dispatcher,
                cfg.tcp_idle_timeout,
                self.now,
                self._left,
                write_timeout=cfg.tcp_write_timeout,
                max_per_source=cfg.tcp_max_per_ip,
            )
            await self._tcp.start(tcp_sock)
            self.tcp_address = self._tcp.address
            self.port = self.tcp_address[1]
            log.info("listening on TCP %s%s", show_address(self.tcp_address), stack_note(tcp_sock))
        self._pod_ips = log_reachable(game_server, self.port)

    def _update_capacity(self, gs: GameServer) -> None:
        capacity = None if self.config.max_players else self.tracker.capacity(gs)
        if capacity is not None:
            self.sessions.capacity = capacity

    async def run(self) -> int:
        """Become Ready (unless configured not to), serve until stopped; the exit code."""
        self._spawn(follow(self.sdk, self.metrics, self._on_game_server), "watch")
        self._arm()
        if self.config.ready:
            self._spawn(self._ready_at_start(), "ready")
        await self._stop.wait()
        await self.close()
        return 0

    async def _ready_at_start(self) -> None:
        if self.config.ready_delay > 0:
            log.info("waiting %g s before marking Ready", self.config.ready_delay)
            await asyncio.sleep(self.config.ready_delay)
        await logged_call(self.metrics, self.sdk.ready(), "marked Ready", "could not mark Ready")

    async def terminate(self, reason: str) -> None:
        """SIGTERM/SIGINT: stop taking players, tell them, shut down, wait the grace delay, stop.

        The whole of it is bounded by the grace period (at least `_MIN_SHUTDOWN_WAIT` for the
        Shutdown call), so a sidecar that hangs cannot hold the exit back.
        """
        if self._stopping:
            return
        log.info("%s: shutting down", reason)
        delay = self.config.graceful_termination_delay
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(max(delay, _MIN_SHUTDOWN_WAIT)):
                await self.shutdown_game_server(reason)
        except TimeoutError:
            log.error("the sidecar did not answer Shutdown in time: exiting anyway")
        remaining = started + delay - loop.time()
        if remaining > 0:
            log.info("waiting %g s before exiting", delay)
            await asyncio.sleep(remaining)
        self._stopping = True
        self.exit_reason = reason
        self._stop.set()

    def request_stop(self, reason: str) -> None:
        """Stop from a signal handler (schedules `terminate`)."""
        if not self._stopping and self.exit_reason == "":
            self.exit_reason = "pending"
            self._spawn(self.terminate(reason), "terminate")

    async def shutdown_game_server(self, reason: str) -> None:
        """Stop taking players, send them `SHUTDOWN`, and tell Agones unless it is Shutdown already.

        "Already" is decided from the GameServer's state now, not from any state seen earlier.
        """
        for session in self.sessions.close():
            self.send_to(session.address, SHUTDOWN_NOTICE)
        if self._shutdown_sent or self.metrics.state == "Shutdown":
            return
        self._shutdown_sent = True
        await logged_call(
            self.metrics, self.sdk.shutdown(), f"told Agones to shut down ({reason})", "could not shut down"
        )

    async def close(self) -> None:
        """Close the sockets, the timer and cancel every task (idempotent)."""
        if self._timer is not None:
            self._timer.cancel()
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            await self._tcp.close()
        await self._tasks.cancel_all()

    async def _exit(self) -> None:
        log.info("EXIT received")
        await self.shutdown_game_server("EXIT")
        self._stopping = True
        self.exit_reason = "EXIT"
        self._stop.set()

    # ------------------------------------------------------------------ the GameServer

    def _on_game_server(self, gs: GameServer, *, first: bool = False) -> None:
        self.dispatcher.game_server = gs
        state = str(gs.status.state)
        if self._log_events or (state != self.metrics.state and not first):
            log.info("GameServer %s is %s", gs.object_meta.name, state)
        self.metrics.state = state
        last = gs.object_meta.annotations.get(LAST_ALLOCATED_ANNOTATION, "")
        self.lifecycle.on_game_server(state, last, self.now())
        self._update_capacity(gs)
        if state == "Shutdown" and self.config.exit_on_shutdown and not first:
            self.request_stop("GameServer is Shutdown")
        if not first and not self._pod_ips and gs.status.pod_ips:
            self._pod_ips = log_reachable(gs, self.port)
        if not first:
            self._arm()

    # ------------------------------------------------------------------ the timer

    def _arm(self) -> None:
        if self._timer is not None and not self._stopping:
            self._timer.arm(self.sessions.next_expiry(), self.lifecycle.next_deadline())

    def _on_timer(self) -> None:
        self.tick()
        self._arm()

    def tick(self) -> None:
        """Expire idle players and run the lifecycle's due action."""
        now = self.now()
        gone = self.sessions.expire(now)
        for session in gone:
            self.metrics.player_timeouts += 1
            log.info("player %s timed out", session.player_id)
            self._spawn(self.dispatcher.tell_leave(session), "leave")
        if gone:
            self.players_changed()
        action = self.lifecycle.due(now)
        if action is Action.READY:
            log.info("back to Ready (ready iterations left)")
            self._spawn(logged_call(self.metrics, self.sdk.ready(), "marked Ready", "could not mark Ready"), "ready")
        elif action is Action.SHUTDOWN:
            self._spawn(self._lifecycle_shutdown(), "shutdown")

    def _left(self, session: Session) -> None:
        """A TCP player's connection closed: the session ends."""
        self.players_changed()
        self._spawn(self.dispatcher.tell_leave(session), "leave")

    async def _lifecycle_shutdown(self) -> None:
        await self.shutdown_game_server("automatic shutdown")
        if self.config.exit_on_shutdown:
            self.request_stop("automatic shutdown")


def _bind_sockets(cfg: ServerConfig) -> tuple[socket.socket | None, socket.socket | None]:
    """The UDP and TCP sockets the configuration asks for, on one port when it asks for both."""
    if cfg.udp and cfg.tcp:
        return bind_pair(cfg.address, cfg.port)
    if cfg.udp:
        return bind_udp(cfg.address, cfg.port), None
    return None, bind_tcp(cfg.address, cfg.port) if cfg.tcp else None
