"""`SidecarServer`: runs the three SDK services on a grpc.aio server (and, if asked, the HTTP/JSON
API on an aiohttp server), plus the core's timer (and, given the manifest file, the task that
reloads it on each write: `_reload`). It is the engine under `aioagones.testing.LocalSidecar` (the
documented in-process class), `agones-local-sidecar` and `sample-game-server --run-local-sidecar`.

A server can be stopped and started again: the GameServer survives (in a cluster it lives in the API
server, not in the sidecar), the health clock waits again for a game's first call, and the same port
is bound again.
"""

from __future__ import annotations

import asyncio
import copy
import errno
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
from aioagones.local._guard import host_name, is_loopback
from aioagones.local._host import AddressInUseError, port_in_use
from aioagones.local._manifest import load_game_server
from aioagones.local._reader import ManifestError
from aioagones.local._reload import ManifestWatcher
from aioagones.local._rules import GameServerRules
from aioagones.local._servicers import add_services
from aioagones.local._state import Allocation, GameServerState

if TYPE_CHECKING:
    from aioagones.local._http import HttpFrontEnd

__all__ = ["DEFAULT_PORT", "AddressInUseError", "SidecarServer"]

logger = logging.getLogger(__name__)

DEFAULT_PORT = DEFAULT_GRPC_PORT
"""The gRPC port the sidecar serves on unless told otherwise: 9357, as Agones' sidecar."""


def _fresh_from(
    game_server: GameServerState, watch_file: str | os.PathLike[str] | None, pod_ips: Sequence[str] | None
) -> Callable[[], GameServerState]:
    first = copy.deepcopy(game_server)

    def fresh() -> GameServerState:
        if watch_file is not None:
            try:
                return load_game_server(os.fspath(watch_file), pod_ips=pod_ips)
            except ManifestError as exc:
                logger.error("%s; starting over from the GameServer it gave at start", exc)
        return copy.deepcopy(first)

    return fresh


class SidecarServer:
    """A local Agones sidecar serving one GameServer over gRPC (and HTTP/JSON): the engine under `LocalSidecar`.

    Games' tests use `aioagones.testing.LocalSidecar`, the documented in-process class; this one takes a
    `GameServerState` and acts as the cluster synchronously, for the commands built on it.

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
        fresh: makes the GameServer that replaces an Unhealthy one (for a new game process, or
            `reset()`); default: `watch_file` read again (or, if it is refused, a copy of `game_server`).
        pod_ips: the Pod IPs `game_server` was loaded with (`load_game_server(pod_ips=...)`), listed
            again at each write to `watch_file` and by the default `fresh`; None: this machine's addresses.
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
        fresh: Callable[[], GameServerState] | None = None,
        pod_ips: Sequence[str] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.http_port = http_port
        self.rules = GameServerRules(game_server)
        self._fresh = fresh or _fresh_from(game_server, watch_file, pod_ips)
        self._clock = clock
        self._wall_clock = wall_clock
        self._core: SidecarCore | None = None
        self._server: grpc.aio.Server | None = None
        self._manifest = ManifestWatcher(watch_file, pod_ips=pod_ips) if watch_file is not None else None
        self._reloader: asyncio.Task[None] | None = None
        self._http: HttpFrontEnd | None = None
        self.calls: list[str] = []
        """The names of the latest calls received, in order, Agones conformance style (`ready`, `health` ...).

        Bounded (`_core.MAX_CALLS` to twice that), so a long run with health pings does not grow it."""

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
            AddressInUseError: the gRPC or HTTP port is taken (checked before binding either).
            OSError: the address cannot be bound (not a local address ...).
        """
        if self._server is not None:
            return
        # Checked first, so a port in use is one clear error, not grpc's own log line about it.
        for front_end, port_number in (("gRPC", self.port), ("HTTP", self.http_port)):
            if port_number is not None and port_in_use(self.host, port_number):
                raise AddressInUseError(format_host_port(self.host, port_number), front_end)
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        core = SidecarCore(self.rules, clock=self._clock, wall_clock=self._wall_clock, fresh=self._fresh)
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
                address = format_host_port(self.host, self.http_port)
                if exc.errno == errno.EADDRINUSE:
                    raise AddressInUseError(address, "HTTP") from None
                raise OSError(f"cannot listen on {address} (HTTP): {exc.strerror or exc}") from exc
            self._http = http
        self.port = port
        self._server = server
        self._core = core
        self.rules.restart(None)  # the health clock starts at the first call of a game
        core.start_timer()
        if self._manifest is not None:
            self._reloader = asyncio.create_task(
                self._manifest.run(self.rules, core.publish, self._clock), name="aioagones.local reload"
            )
        gs = self.rules.game_server
        logger.info("serving GameServer %r (state %s) on %s", gs.name, gs.state, self.address)
        if not is_loopback(host_name(self.host)):
            logger.warning(
                "listening on %s, beyond this host: anyone who reaches it can change, allocate or shut down "
                "the GameServer (there is no authentication); bind localhost unless other machines must reach it",
                self.host or "every interface",
            )
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
        server, core, http, reloader = self._server, self._core, self._http, self._reloader
        self._server = self._core = self._http = self._reloader = None
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
        if reloader is not None:
            reloader.cancel()
            await asyncio.wait([reloader])  # unlike `await reloader`, a cancellation of stop() itself still propagates
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

    def reset(self) -> None:
        """Start over: a fresh GameServer from the same manifest, its health clock waiting for a game.

        Raises:
            RuntimeError: the server is not running.
        """
        self._running_core().reset("reset")

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
