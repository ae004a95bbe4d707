"""The SDK: one async context manager that owns the connection and every background task.

Every call goes through one `Transport` (see _transport), made in `SDK.__init__`: it
owns the channel and every RPC by name, the deadline, error translation and the connection
state. Unary calls fail fast while the sidecar is away (a retriable SidecarUnavailableError),
each within a deadline. The two long-lived streams, the health stream and each watch, live
in _streams and reopen by themselves with backoff (see _backoff). Closing stops the health
task, then the transport cancels every open stream and call and waits until they ended.
`sdk.alpha` and `sdk.beta` live in _alpha and _beta, as Agones' Go SDK keeps alpha.go and beta.go.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from types import TracebackType
from typing import Self

from ._alpha import Alpha
from ._beta import Beta
from ._constants import DEFAULT_GRPC_PORT, DEFAULT_HOST, ENV_GRPC_HOST, ENV_GRPC_PORT, format_host_port
from ._errors import InvalidArgumentError
from ._models import GameServer, State
from ._pb import sdk_pb2
from ._state import ConnectionState, StateCallback
from ._streams import HealthStream, wait_for_state, watch_game_server
from ._transport import Transport
from ._validation import (
    annotation_error,
    as_int,
    label_error,
    require_positive_seconds,
    require_seconds,
    require_state,
    require_str,
)

logger = logging.getLogger(__name__)

_STILL_UNHEALTHY = (
    "ready(): GameServer %r is Unhealthy, so it stays Unhealthy and gets no players: Agones deletes an "
    "Unhealthy GameServer (a Fleet replaces it with a new one). Against agones-local-sidecar, run "
    "`agones-local-sidecar reset` (or restart it) to start over with a fresh GameServer."
)


class SDK:
    """An asyncio client of the Agones sidecar beside this game server.

    Use it as `async with SDK() as sdk:`. Connecting waits (up to `connect_timeout`)
    until the sidecar answers a real call, so a sidecar that starts after the game is fine;
    after a second of waiting it logs (INFO) where it is waiting.

    Managed health: unless `health_interval` is None, a background task on the same event
    loop pings the sidecar every `health_interval` seconds. If your code blocks the event
    loop, the pings stop and Agones marks the GameServer Unhealthy: that is the point.

    Connection state: `sdk.state` is a `ConnectionState`; `on_state_change` (called on the
    event loop with each new state) and `sdk.state_changes()` report each change, so a game
    can show "sidecar lost" or stop taking players while it is RECONNECTING.

    Args:
        host: sidecar host; default `AGONES_SDK_GRPC_HOST`, else `localhost`.
        port: sidecar gRPC port; default `AGONES_SDK_GRPC_PORT`, else 9357.
        connect_timeout: seconds to wait for the sidecar at connect.
        call_timeout: deadline of every unary call, in seconds.
        health_interval: seconds between managed health pings, or None for none.
        on_state_change: called with each new `ConnectionState`; it must not block.
    """

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        *,
        connect_timeout: float = 30.0,
        call_timeout: float = 10.0,
        health_interval: float | None = 2.0,
        on_state_change: StateCallback | None = None,
    ) -> None:
        if host is not None:
            require_str("SDK", "host", host)
        self.host = host or os.environ.get(ENV_GRPC_HOST) or DEFAULT_HOST
        self.port = as_int("SDK", "port", port) if port is not None else _env_port()
        if not 0 < self.port < 65536:
            raise InvalidArgumentError(f"SDK(): sidecar port {self.port} is not in 1-65535")
        self.connect_timeout = require_positive_seconds("SDK(): connect_timeout", connect_timeout)
        self.call_timeout = require_positive_seconds("SDK(): call_timeout", call_timeout)
        self.health_interval: float | None = None
        if health_interval is not None:
            self.health_interval = require_positive_seconds("SDK(): health_interval", health_interval, none_ok=True)
        if on_state_change is not None and not callable(on_state_change):
            raise TypeError(f"SDK(): on_state_change must be a callable or None, not {on_state_change!r}")
        self.address = format_host_port(self.host, self.port)
        self._transport = Transport(self.address, self.call_timeout, on_state_change)
        self.alpha = Alpha(self._transport)
        self.beta = Beta(self._transport)
        self._health = HealthStream(self._transport)
        self._ready_checked = False

    # -- lifecycle -------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the channel and wait until the sidecar answers; start managed health.

        Raises:
            SidecarUnavailableError: no sidecar answered within `connect_timeout`.
        """
        if self._transport.is_open:
            return
        await self._transport.open(self.connect_timeout)
        if self.health_interval is not None:
            self._health.start(self.health_interval)

    async def close(self) -> None:
        """Stop managed health and every watch and call, wait until they ended, close the channel. Idempotent."""
        await self._health.stop()
        await self._transport.close()  # cancels the streams and calls in flight, and waits for them

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._transport.closed

    # -- connection state ------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        """The connection to the sidecar now: connecting, connected, reconnecting or closed."""
        return self._transport.states.now

    async def state_changes(self) -> AsyncIterator[ConnectionState]:
        """Yield the current `ConnectionState`, then each change; the last one is CLOSED.

        Raises:
            SDKClosedError: the SDK is not connected (never, or no longer).
        """
        self._transport.check_open()
        async for state in self._transport.states.changes():
            yield state

    # -- core calls ------------------------------------------------------------------

    async def ready(self) -> None:
        """Mark the GameServer Ready to take players.

        An Unhealthy GameServer stays Unhealthy, and the sidecar answers Ready all the same, as
        Agones' does; so the first ready() of an SDK reads the state back and logs a warning
        (naming the way out) if it is Unhealthy.
        """
        await self._transport.unary("Ready", sdk_pb2.Empty(), sdk_pb2.Empty)
        if self._ready_checked:
            return
        self._ready_checked = True
        game_server = await self.get_game_server()
        if game_server.status.state is State.UNHEALTHY:
            logger.warning(_STILL_UNHEALTHY, game_server.object_meta.name)

    async def allocate(self) -> None:
        """Mark the GameServer Allocated (self-allocation)."""
        await self._transport.unary("Allocate", sdk_pb2.Empty(), sdk_pb2.Empty)

    async def shutdown(self) -> None:
        """Mark the GameServer Shutdown; Agones then deletes the Pod."""
        await self._transport.unary("Shutdown", sdk_pb2.Empty(), sdk_pb2.Empty)

    async def reserve(self, seconds: float | timedelta) -> None:
        """Mark the GameServer Reserved for `seconds` (0: until something else changes it).

        A positive duration is rounded up to whole seconds, so under 1 s becomes 1 s and
        never the 0 that would mean "forever".

        Raises:
            TypeError: `seconds` is neither a number nor a timedelta.
            InvalidArgumentError: a negative or non-finite duration.
        """
        value = require_seconds("reserve", "seconds", seconds, what="the reserve duration")
        request = sdk_pb2.Duration(seconds=math.ceil(value))
        await self._transport.unary("Reserve", request, sdk_pb2.Empty)

    async def get_game_server(self) -> GameServer:
        """The current GameServer."""
        pb = await self._transport.unary("GetGameServer", sdk_pb2.Empty(), sdk_pb2.GameServer)
        return GameServer.from_pb(pb)

    async def set_label(self, key: str, value: str) -> None:
        """Set the label `agones.dev/sdk-<key>` on the GameServer.

        Raises:
            TypeError: the key or value is not a str.
            InvalidArgumentError: the key or value is not one Kubernetes accepts.
        """
        key, value = require_str("set_label", "key", key), require_str("set_label", "value", value)
        if (error := label_error(key, value)) is not None:
            raise InvalidArgumentError(f"set_label(): {error}")
        request = sdk_pb2.KeyValue(key=key, value=value)
        await self._transport.unary("SetLabel", request, sdk_pb2.Empty)

    async def set_annotation(self, key: str, value: str) -> None:
        """Set the annotation `agones.dev/sdk-<key>` on the GameServer.

        Raises:
            TypeError: the key or value is not a str.
            InvalidArgumentError: the key is not one Kubernetes accepts, or the value is too large.
        """
        key, value = require_str("set_annotation", "key", key), require_str("set_annotation", "value", value)
        if (error := annotation_error(key, value)) is not None:
            raise InvalidArgumentError(f"set_annotation(): {error}")
        request = sdk_pb2.KeyValue(key=key, value=value)
        await self._transport.unary("SetAnnotation", request, sdk_pb2.Empty)

    # -- health and watch (see _streams) -----------------------------------------------

    async def health(self) -> None:
        """Send one health ping on the single long-lived Health stream (opened on first use).

        Raises:
            SidecarUnavailableError: the stream broke; the next ping opens a new one.
        """
        await self._health.ping()

    def pause_health(self) -> None:
        """Stop the managed pings (the GameServer will turn Unhealthy); resume_health() restarts them."""
        self._health.paused = True

    def resume_health(self) -> None:
        """Restart the managed pings after pause_health()."""
        self._health.paused = False

    async def watch_game_server(self) -> AsyncIterator[GameServer]:
        """Yield the current GameServer, then each change, until the SDK closes.

        The stream reopens by itself when the sidecar restarts; identical consecutive
        states are yielded once. Breaking out of the loop or cancelling the task ends it.
        """
        watch = watch_game_server(self._transport)
        try:
            async for game_server in watch:
                yield game_server
        finally:
            await watch.aclose()  # closing this generator closes the stream now, not at garbage collection

    async def wait_for_state(
        self,
        state: State | str | Callable[[GameServer], bool],
        *,
        timeout: float | None = None,  # noqa: ASYNC109  # the name users know from asyncio.wait_for
    ) -> GameServer:
        """Wait, over the watch, for the GameServer to be in `state` (or to satisfy a predicate); return it.

        `state` is a `State` (or its name, "Allocated") or a function of the GameServer, as in
        `wait_for_state(lambda gs: gs.status.players is not None)`. `timeout` is in seconds; None waits
        for as long as it takes. The current GameServer counts: an Allocated one returns at once.

        Raises:
            StateTimeoutError: `timeout` passed first (it names the last state seen).
            SDKClosedError: the SDK closed while waiting.
        """
        target = state if isinstance(state, State) or callable(state) else require_state("wait_for_state", state)
        seconds = None
        if timeout is not None:
            seconds = require_positive_seconds("wait_for_state(): timeout", timeout, none_ok=True)
        self._transport.check_open()
        return await wait_for_state(watch_game_server(self._transport), target, seconds)


def _env_port() -> int:
    raw = os.environ.get(ENV_GRPC_PORT)
    if not raw:
        return DEFAULT_GRPC_PORT
    try:
        return int(raw)
    except ValueError:
        raise InvalidArgumentError(f"{ENV_GRPC_PORT}={raw!r} is not a port number") from None
