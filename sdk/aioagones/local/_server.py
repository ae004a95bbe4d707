"""`SidecarServer`: runs the three SDK services on a grpc.aio server (and, if asked, the HTTP/JSON
API on an aiohttp server), plus the timer task (and, given the manifest file, the task that reloads
it on each write: `_reload`).

The timer task sleeps until the rules' next deadline (a Reserve running out, a health check
failing) or until a call may have moved it, then lets the rules apply what is due. A server
can be stopped and started again: the GameServer survives (in a cluster it lives in the API
server, not in the sidecar), the health check's initial delay starts over, and the same port
is bound again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import TYPE_CHECKING, Self

import grpc

from aioagones._constants import DEFAULT_GRPC_PORT, format_host_port
from aioagones._pb import sdk_pb2
from aioagones.local._convert import game_server_pb
from aioagones.local._core import SidecarCore
from aioagones.local._reload import ManifestWatcher
from aioagones.local._rules import GameServerRules
from aioagones.local._servicers import add_services
from aioagones.local._state import Allocation, GameServerState

if TYPE_CHECKING:
    from aioagones.local._http import HttpFrontEnd

__all__ = ["DEFAULT_PORT", "SidecarServer"]

logger = logging.getLogger(__name__)

DEFAULT_PORT = DEFAULT_GRPC_PORT


class SidecarServer:
    """A local Agones sidecar serving one GameServer over gRPC (and HTTP/JSON).

    Args:
        game_server: the starting GameServer (see `load_game_server`).
        host: the address to listen on: `localhost`, `127.0.0.1`, `::` (every interface, dual-stack) ...
        port: the gRPC port; 0 picks a free one at the first start, kept for later starts.
        http_port: the HTTP/JSON port (Agones' REST API and `/local/...`, on the same host); 0 picks
            a free one, kept for later starts; None (the default) serves no HTTP.
        clock: monotonic seconds, for timers (tests may pass their own).
        wall_clock: Unix seconds, for timestamps written into the GameServer.
        watch_file: the manifest `game_server` was loaded from: while serving, each write to it
            is applied to the GameServer and sent to every watcher (see `_reload`).
        pod_ips: the Pod IPs `game_server` was loaded with (`load_game_server(pod_ips=...)`), listed
            again at each write to `watch_file`; None: this machine's addresses.
    """

    def __init__(
        self,
        game_server: GameServerState,
        *,
        host: str = "localhost",
        port: int = DEFAULT_PORT,
        http_port: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        watch_file: str | os.PathLike[str] | None = None,
        pod_ips: Sequence[str] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.http_port = http_port
        self.rules = GameServerRules(game_server, now=clock())
        self._clock = clock
        self._wall_clock = wall_clock
        self._core: SidecarCore | None = None
        self._server: grpc.aio.Server | None = None
        self._timer: asyncio.Task[None] | None = None
        self._manifest = ManifestWatcher(watch_file, pod_ips=pod_ips) if watch_file is not None else None
        self._reloader: asyncio.Task[None] | None = None
        self._http: HttpFrontEnd | None = None
        self.calls: list[str] = []
        """The names of the calls received, in order, Agones conformance style (`ready`, `health` ...)."""

    @property
    def address(self) -> str:
        """`host:port` as a client would dial it."""
        return format_host_port(self.host, self.port)

    @property
    def http_url(self) -> str | None:
        """`http://host:port` of the HTTP/JSON API, or None when it serves no HTTP."""
        if self.http_port is None:
            return None
        host = "localhost" if self.host in ("", "::", "0.0.0.0") else self.host
        return "http://" + format_host_port(host, self.http_port)

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self._server is not None

    @property
    def open_streams(self) -> int:
        """Watch and health streams being served right now (0 when stopped)."""
        return self._core.open_streams if self._core is not None else 0

    async def streams_closed(self) -> None:
        """Return once no watch or health stream is open (at once when stopped)."""
        if self._core is not None:
            await self._core.streams_closed()

    def snapshot(self) -> sdk_pb2.GameServer:
        """The current GameServer as a protobuf message."""
        return game_server_pb(self.rules.game_server)

    async def changes(self) -> AsyncGenerator[sdk_pb2.GameServer]:
        """The current GameServer, then every change while the server runs.

        Raises:
            RuntimeError: the server is not running.
        """
        if self._core is None:
            raise RuntimeError("the local sidecar is not running")
        changes = self._core.changes()
        try:
            async for snapshot in changes:
                yield snapshot
        finally:
            await changes.aclose()

    async def start(self) -> None:
        """Bind and start serving.

        Raises:
            OSError: the address cannot be bound (in use, not a local address ...).
        """
        if self._server is not None:
            return
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        core = SidecarCore(self.rules, clock=self._clock, wall_clock=self._wall_clock)
        core.calls = self.calls
        add_services(server, core)
        try:
            port = server.add_insecure_port(format_host_port(self.host, self.port))
        except RuntimeError as exc:
            await server.stop(None)
            raise OSError(f"cannot listen on {self.address}: {exc}") from exc
        if port == 0:
            await server.stop(None)
            raise OSError(f"cannot listen on {self.address}")
        await server.start()
        if self.http_port is not None:
            # Imported here: only a sidecar that serves HTTP needs aiohttp.
            from aioagones.local._http import HttpFrontEnd

            http = HttpFrontEnd(core)
            try:
                self.http_port = await http.start(self.host, self.http_port)
            except OSError as exc:
                await server.stop(None)
                raise OSError(f"cannot listen on {format_host_port(self.host, self.http_port)} (HTTP): {exc}") from exc
            self._http = http
        self.port = port
        self._server = server
        self._core = core
        self.rules.restart(self._clock())
        self._timer = asyncio.create_task(self._run_timer(core), name="aioagones.local timer")
        if self._manifest is not None:
            self._reloader = asyncio.create_task(
                self._manifest.run(self.rules, core.publish, self._clock), name="aioagones.local reload"
            )
        gs = self.rules.game_server
        logger.info("serving GameServer %r (state %s) on %s", gs.name, gs.state, self.address)
        if self.http_port is not None:
            logger.info("serving the REST API on %s", format_host_port(self.host, self.http_port))
        if logger.isEnabledFor(logging.INFO):
            ports = ", ".join(f"{name}={port}" for name, port in gs.ports) or "none"
            addresses = ", ".join(address for _, address in gs.addresses) or gs.address or "none"
            logger.info("GameServer ports: %s; addresses: %s", ports, addresses)

    async def stop(self, grace: float | None = None) -> None:
        """Stop serving: refuse new calls, end open streams with UNAVAILABLE. Harmless twice.

        Args:
            grace: how long open calls may take to end before they are cancelled (None: 1 s).
        """
        server, timer, core, http = self._server, self._timer, self._core, self._http
        reloader = self._reloader
        self._server = self._timer = self._core = self._http = self._reloader = None
        # Refuse new calls first, as a sidecar that is gone would: a stream opened after the open
        # ones were ended would otherwise look, to a client, like the sidecar coming back. grpc's
        # own grace must outlast core.close(): a grpc server past its grace cancels every open call
        # ("Cancelling all calls"), and a stream it reaches first never gets our UNAVAILABLE. The
        # grace is an upper bound: stop() returns as soon as the last call has ended.
        close_timeout = 1.0 if grace is None else grace
        stopped = asyncio.ensure_future(server.stop(close_timeout + 1.0)) if server is not None else None
        if core is not None:
            await core.close(timeout=close_timeout)
        if http is not None:
            await http.stop()
        for task in (timer, reloader):
            if task is not None:
                task.cancel()
                await asyncio.wait([task])  # unlike `await task`, a cancellation of stop() itself still propagates
        if stopped is not None:
            await stopped
            logger.info("stopped serving on %s", self.address)

    # -- the cluster's hand ----------------------------------------------------------------

    def _running_core(self) -> SidecarCore:
        if self._core is None:
            raise RuntimeError("the local sidecar is not running")
        return self._core

    def set_state(self, state: str) -> None:
        """As the cluster: put the GameServer into `state` (any GameServer state; watchers are told).

        Raises:
            SidecarError: not a GameServer state.
            RuntimeError: the server is not running.
        """
        self._running_core().set_state(state)

    def allocate(self, allocation: Allocation) -> list[str]:
        """As the cluster: a GameServerAllocation, applied as Agones' allocator does; returns its warnings.

        Raises:
            SidecarError: the GameServer is not Ready or Allocated, or the allocation is invalid.
            RuntimeError: the server is not running.
        """
        return self._running_core().allocate(allocation)

    def set_health_checking(self, enabled: bool) -> None:
        """As the cluster: stop (False) or resume (True) health checking.

        Raises:
            RuntimeError: the server is not running.
        """
        self._running_core().set_health_checking(enabled)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _run_timer(self, core: SidecarCore) -> None:
        rules = self.rules
        while True:
            deadline = rules.next_deadline()
            core.changed.clear()
            if deadline is None:
                await core.changed.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, deadline - self._clock())):
                        await core.changed.wait()
            before = rules.game_server.state
            rules.tick(self._clock())
            after = rules.game_server.state
            if after != before and after == "Unhealthy":
                health = rules.game_server.health
                logger.warning(
                    "no health ping for %d s (failureThreshold %d x periodSeconds %d): state %s -> Unhealthy, "
                    "for good (a manifest with spec.health.disabled: true turns health checking off)",
                    health.failure_threshold * health.period_seconds,
                    health.failure_threshold,
                    health.period_seconds,
                    before,
                )
            elif after != before:
                logger.info("reservation ran out: state %s -> %s", before, after)
            core.publish()
