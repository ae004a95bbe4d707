"""`SidecarCore`: what both front ends (gRPC and HTTP/JSON) share, so they can never disagree.

It holds the rules, the names of the calls received, the watchers, and the timer (`start_timer`:
one `DeadlineTimer` armed for the rules' next deadline, a Reserve running out or a health check
failing, and armed again whenever a call may have moved it). It knows nothing of the calls' table:
`_dispatch` runs an operation against the rules and then `publish()` sends the GameServer (if it
changed) to every watcher. `connect(peer)` is where a game's first call starts the health clock and
a new game process gets a fresh GameServer for an Unhealthy one (`reset`).

Watchers: each open watch has a short backlog of snapshots. Publishing appends to every backlog
without waiting, so nobody waits for a slow client; a backlog that overflows drops its oldest
snapshots, so a slow watcher skips ahead to the latest states.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime
import logging
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import TypeVar

from aioagones._models import State
from aioagones._pb import sdk_pb2
from aioagones._timer import DeadlineTimer
from aioagones.local import _cluster
from aioagones.local._cluster import RESET_COMMAND
from aioagones.local._convert import game_server_pb
from aioagones.local._rules import GameServerRules
from aioagones.local._state import Allocation, GameServerState, SidecarError, printable

__all__ = ["MAX_CALLS", "STOPPING", "WATCH_BACKLOG", "SidecarCore", "rfc3339"]

logger = logging.getLogger(__name__)

WATCH_BACKLOG = 32
"""Snapshots kept for a watcher that has not caught up; beyond that it skips to the newest."""

STOPPING = "the local sidecar is stopping"

_T = TypeVar("_T")


def rfc3339(unix: float) -> str:
    """A Unix time as the cluster writes timestamps (`2026-01-01T00:00:00.000001Z`)."""
    moment = datetime.datetime.fromtimestamp(unix, datetime.UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


class _Watcher:
    def __init__(self, first: sdk_pb2.GameServer) -> None:
        self._backlog: collections.deque[sdk_pb2.GameServer] = collections.deque([first], WATCH_BACKLOG)
        self._ready = asyncio.Event()
        self._ready.set()
        self.closed = False

    def put(self, snapshot: sdk_pb2.GameServer) -> None:
        self._backlog.append(snapshot)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def get(self) -> sdk_pb2.GameServer | None:
        """The next snapshot, or None once closed."""
        while not self._backlog and not self.closed:
            self._ready.clear()
            await self._ready.wait()
        return None if self.closed else self._backlog.popleft()


MAX_CALLS = 10_000
"""How many of the latest call names `SidecarCore.calls` keeps (at most twice as many between trims)."""


class SidecarCore:
    """The state shared by the servicers and the server: rules, calls received, watchers."""

    def __init__(
        self,
        rules: GameServerRules,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        fresh: Callable[[], GameServerState] | None = None,
    ) -> None:
        self.rules = rules
        self._fresh = fresh
        self._peers: set[str] = set()
        self.clock = clock
        self.wall_clock = wall_clock
        self.calls: list[str] = []
        self._timer: DeadlineTimer | None = None
        self.stopping: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        """Done after `close()`: long-lived streams end with UNAVAILABLE, as when a sidecar goes away."""
        self._watchers: set[_Watcher] = set()
        self._streams = 0
        self._streams_done = asyncio.Event()
        self._streams_done.set()
        self._published = rules.version

    @property
    def open_streams(self) -> int:
        """Watch and health streams being served right now."""
        return self._streams

    async def streams_closed(self) -> None:
        """Return once no watch or health stream is open."""
        await self._streams_done.wait()

    def publish(self) -> None:
        """Send the GameServer to every watcher if it changed since the last time (and re-arm the timer)."""
        self._arm()
        if self.rules.version == self._published:
            return
        self._published = self.rules.version
        snapshot = game_server_pb(self.rules.game_server)
        for watcher in self._watchers:
            watcher.put(snapshot)

    async def close(self, timeout: float) -> None:  # noqa: ASYNC109
        """End every watch and health stream (clients see UNAVAILABLE); wait up to `timeout` s for them.

        Ending them here, rather than letting the grpc server cancel them, lets each handler finish
        normally, so grpc logs no error for it.
        """
        if not self.stopping.done():
            self.stopping.set_result(None)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for watcher in self._watchers:
            watcher.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._streams_done.wait()

    @contextlib.contextmanager
    def stream(self) -> Iterator[None]:
        """Count a watch or health stream as open while inside."""
        self._streams += 1
        self._streams_done.clear()
        try:
            yield
        finally:
            self._streams -= 1
            if not self._streams:
                self._streams_done.set()

    def connect(self, peer: str | None, *, acting: bool = True) -> None:
        """A game called from `peer` (its connection; None: unknown): start the health clock, and replace
        an Unhealthy GameServer when a peer not seen before it turned Unhealthy acts on it (a health
        ping, a call that changes something), as a Fleet replaces one for a new game process. A look
        (`acting=False`) replaces nothing."""
        if peer is not None and peer not in self._peers:
            unhealthy = self.rules.game_server.state == State.UNHEALTHY
            if unhealthy and acting and self._fresh is not None:
                self.reset(f"a new game process connected ({peer}) to an Unhealthy GameServer")
            if acting or not unhealthy:  # one who only looks at an Unhealthy one may be the next game
                self._peers.add(peer)
        if self.rules.connected(self.clock()):
            self._arm()  # a health deadline now exists
            gs = self.rules.game_server
            health = gs.health
            if health.disabled or not self.rules.health_checking:
                logger.info("a game connected: health checking is off for GameServer %r", gs.name)
            else:
                logger.info(
                    "a game connected: health checking starts (Unhealthy after %d s, then %d s, without a ping)",
                    health.initial_delay_seconds + health.failure_threshold * health.period_seconds,
                    health.failure_threshold * health.period_seconds,
                )

    def reset(self, why: str) -> None:
        """Start over with a fresh GameServer from the same manifest (health clock waiting for a game)."""
        if self._fresh is None:
            raise RuntimeError("this sidecar has no manifest to start over from")  # pragma: no cover
        old = self.rules.game_server
        self.rules.reset(self._fresh())
        new = self.rules.game_server
        logger.warning(
            "cluster: %s: GameServer %r (state %s) replaced by a fresh GameServer %r (state %s) from the same "
            "manifest, as a Fleet would replace it",
            why,
            old.name,
            old.state,
            new.name,
            new.state,
        )
        self.publish()

    def record(self, *calls: str) -> None:
        """Note calls received, by the names Agones' conformance test expects (`ready`, `health` ...).

        Only the last `MAX_CALLS` are kept: a sidecar runs for days and a game pings every few
        seconds. The list is trimmed in place (others hold it) and in batches, so a call costs O(1).
        """
        self.calls += calls
        if len(self.calls) > 2 * MAX_CALLS:
            del self.calls[:-MAX_CALLS]

    def _cluster(self, what: str, change: Callable[[], _T]) -> _T:
        try:
            result = change()
        except SidecarError as exc:
            logger.info("cluster: %s -> %s: %s", printable(what), exc.code.name, printable(exc.message))
            raise
        logger.info("cluster: %s -> state %s", printable(what), self.rules.game_server.state)
        self.publish()
        return result

    def set_state(self, state: str) -> None:
        """As the cluster: put the GameServer into `state` (see `GameServerRules.set_state`)."""
        self._cluster(f"set state {state}", lambda: _cluster.set_state(self.rules, state))

    def allocate(self, allocation: Allocation) -> list[str]:
        """As the cluster: a GameServerAllocation (see `_cluster.apply_allocation`); returns its warnings."""
        warnings = self._cluster(
            "GameServerAllocation",
            lambda: _cluster.apply_allocation(self.rules, allocation, timestamp=rfc3339(self.wall_clock())),
        )
        for warning in warnings:
            logger.warning("cluster: GameServerAllocation: %s", printable(warning))
        return warnings

    def set_health_checking(self, enabled: bool) -> None:
        """As the cluster: stop or resume health checking."""
        self._cluster(
            "health checking " + ("resumed" if enabled else "stopped"),
            lambda: self.rules.set_health_checking(enabled, self.clock()),
        )

    def ping(self) -> None:
        """One health ping."""
        self.record("health")
        self.rules.health(self.clock())
        self.publish()

    async def changes(self) -> AsyncGenerator[sdk_pb2.GameServer]:
        """The current GameServer, then every change (skipping ahead if the consumer lags).

        Ends when the sidecar stops.
        """
        if self.stopping.done():
            return
        watcher = _Watcher(game_server_pb(self.rules.game_server))
        self._watchers.add(watcher)
        try:
            while (snapshot := await watcher.get()) is not None:
                yield snapshot
        finally:
            self._watchers.discard(watcher)

    @property
    def watching(self) -> int:
        """Watchers open right now."""
        return len(self._watchers)

    def start_timer(self) -> None:
        """From now until `close`: apply what falls due (a Reserve running out, missed pings) and publish it."""
        self._timer = DeadlineTimer(asyncio.get_running_loop(), self.clock, self._on_timer)
        self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.arm(self.rules.next_deadline())

    def _on_timer(self) -> None:
        rules = self.rules
        before = rules.game_server.state
        rules.tick(self.clock())
        after = rules.game_server.state
        if after != before and after == State.UNHEALTHY:
            health = rules.game_server.health
            logger.warning(
                "no health ping for %d s (failureThreshold %d x periodSeconds %d): state %s -> Unhealthy, "
                "for good for this game; the next game process to connect gets a fresh GameServer, as a "
                "Fleet would replace it, or run `%s` (a manifest with spec.health.disabled: true turns "
                "health checking off)",
                health.failure_threshold * health.period_seconds,
                health.failure_threshold,
                health.period_seconds,
                before,
                RESET_COMMAND,
            )
        elif after != before:
            logger.info("reservation ran out: state %s -> %s", before, after)
        self.publish()
