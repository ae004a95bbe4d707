"""The SDK: one async context manager that owns the channel and every background task.

Unary calls fail fast while the sidecar is away (a retriable SidecarUnavailableError),
each within a deadline. The two long-lived streams, the health stream and each watch,
reopen by themselves with backoff (see _backoff). Closing cancels the health task and
every open watch, waits for them, and closes the channel.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

import grpc
import grpc.aio
from google.protobuf import wrappers_pb2

from ._backoff import Backoff, Outage
from ._errors import (
    AgonesError,
    InvalidArgumentError,
    SDKClosedError,
    SidecarUnavailableError,
    from_rpc_error,
)
from ._models import Counter, GameServer, List
from ._pb import alpha_pb2, alpha_pb2_grpc, beta_pb2, beta_pb2_grpc, sdk_pb2, sdk_pb2_grpc
from ._validation import annotation_error, label_error

_T = TypeVar("_T")

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 9357
_LIST_CAPACITY_MAX = 1000

# grpc's own reconnect backoff grows to 120 s by default; a sidecar that restarts in a
# second must not leave us waiting minutes, so the channel retries at most every second.
_CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
)


def _target(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


class SDK:
    """An asyncio client of the Agones sidecar beside this game server.

    Use it as `async with SDK() as sdk:`. Connecting waits (up to `connect_timeout`)
    until the sidecar answers a real call, so a sidecar that starts after the game is fine.

    Managed health: unless `health_interval` is None, a background task on the same event
    loop pings the sidecar every `health_interval` seconds. If your code blocks the event
    loop, the pings stop and Agones marks the GameServer Unhealthy: that is the point.

    Args:
        host: sidecar host; default `AGONES_SDK_GRPC_HOST`, else `localhost`.
        port: sidecar gRPC port; default `AGONES_SDK_GRPC_PORT`, else 9357.
        connect_timeout: seconds to wait for the sidecar at connect.
        call_timeout: deadline of every unary call, in seconds.
        health_interval: seconds between managed health pings, or None for none.
    """

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        *,
        connect_timeout: float = 30.0,
        call_timeout: float = 10.0,
        health_interval: float | None = 2.0,
    ) -> None:
        self.host = host or os.environ.get("AGONES_SDK_GRPC_HOST") or DEFAULT_HOST
        self.port = port if port is not None else _env_port()
        if not 0 < self.port < 65536:
            raise InvalidArgumentError(f"sidecar port {self.port} is not in 1-65535")
        for name, value in (("connect_timeout", connect_timeout), ("call_timeout", call_timeout)):
            if not value > 0:
                raise InvalidArgumentError(f"{name} must be a positive number of seconds, not {value!r}")
        if health_interval is not None and not health_interval > 0:
            raise InvalidArgumentError(f"health_interval must be positive or None, not {health_interval!r}")
        self.connect_timeout = connect_timeout
        self.call_timeout = call_timeout
        self.health_interval = health_interval
        self.address = _target(self.host, self.port)
        self.alpha = Alpha(self)
        self.beta = Beta(self)
        self._channel: grpc.aio.Channel | None = None
        self._closed = False
        self._outage = Outage(self.address)
        self._health_call: grpc.aio.StreamUnaryCall[sdk_pb2.Empty, sdk_pb2.Empty] | None = None
        self._health_lock = asyncio.Lock()
        self._health_task: asyncio.Task[None] | None = None
        self._health_paused = False
        self._watches: set[grpc.aio.UnaryStreamCall[sdk_pb2.Empty, sdk_pb2.GameServer]] = set()

    # -- lifecycle -------------------------------------------------------------------

    async def connect(self) -> None:
        """Open the channel and wait until the sidecar answers; start managed health.

        Raises:
            SidecarUnavailableError: no sidecar answered within `connect_timeout`.
        """
        if self._closed:
            raise SDKClosedError("this SDK was closed; create a new SDK() to connect again")
        if self._channel is not None:
            return
        self._channel = grpc.aio.insecure_channel(self.address, options=_CHANNEL_OPTIONS)
        self._sdk = sdk_pb2_grpc.SDKStub(self._channel)
        self._alpha = alpha_pb2_grpc.SDKStub(self._channel)
        self._beta = beta_pb2_grpc.SDKStub(self._channel)
        try:
            await self._wait_for_sidecar()
        except BaseException:
            await self.close()
            raise
        if self.health_interval is not None:
            self._health_task = asyncio.create_task(self._health_loop(self.health_interval), name="agones-health")

    async def _wait_for_sidecar(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.connect_timeout
        while (remaining := deadline - loop.time()) > 0:
            try:
                await self._sdk.GetGameServer(sdk_pb2.Empty(), timeout=remaining, wait_for_ready=True)
                return
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    raise from_rpc_error(exc, "connect") from exc
                await asyncio.sleep(min(0.1, max(0.0, deadline - loop.time())))
        raise SidecarUnavailableError(
            f"no Agones sidecar answered at {self.address} within {self.connect_timeout:g} s; "
            "is it running? (set AGONES_SDK_GRPC_HOST / AGONES_SDK_GRPC_PORT, or start agones-local-sidecar)"
        )

    async def close(self) -> None:
        """Stop managed health and every watch, wait for them, close the channel. Idempotent."""
        self._closed = True
        task, self._health_task = self._health_task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])  # unlike `await task`, a cancellation of close() itself propagates
        for call in list(self._watches):
            call.cancel()
        if self._health_call is not None:
            self._health_call.cancel()
            self._health_call = None
        channel, self._channel = self._channel, None
        if channel is not None:
            await channel.close(grace=None)

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
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise SDKClosedError("the SDK is closed; calls need an open SDK (async with SDK() as sdk: ...)")
        if self._channel is None:
            raise SDKClosedError("the SDK is not connected; use 'async with SDK() as sdk:' or await sdk.connect()")

    async def _unary(self, method: str, call: Callable[..., Awaitable[_T]], request: Any) -> _T:
        """Make one unary call with the deadline, translating errors in this one place."""
        self._check_open()
        try:
            response = await call(request, timeout=self.call_timeout)
        except grpc.aio.AioRpcError as exc:
            if self._closed:
                raise SDKClosedError(f"{method}: the SDK was closed during the call") from exc
            error = from_rpc_error(exc, method)
            if isinstance(error, SidecarUnavailableError):
                self._outage.lost(exc.code().name)
            raise error from exc
        self._outage.restored()
        return response

    # -- core calls ------------------------------------------------------------------

    async def ready(self) -> None:
        """Mark the GameServer Ready to take players."""
        await self._unary("Ready", self._sdk.Ready, sdk_pb2.Empty())

    async def allocate(self) -> None:
        """Mark the GameServer Allocated (self-allocation)."""
        await self._unary("Allocate", self._sdk.Allocate, sdk_pb2.Empty())

    async def shutdown(self) -> None:
        """Mark the GameServer Shutdown; Agones then deletes the Pod."""
        await self._unary("Shutdown", self._sdk.Shutdown, sdk_pb2.Empty())

    async def reserve(self, seconds: float | timedelta) -> None:
        """Mark the GameServer Reserved for `seconds` (0: until something else changes it).

        A positive duration is rounded up to whole seconds, so under 1 s becomes 1 s and
        never the 0 that would mean "forever".

        Raises:
            InvalidArgumentError: a negative or non-finite duration.
        """
        value = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
        if not (math.isfinite(value) and value >= 0):
            raise InvalidArgumentError(f"reserve duration must be 0 or more seconds, not {seconds!r}")
        await self._unary("Reserve", self._sdk.Reserve, sdk_pb2.Duration(seconds=math.ceil(value)))

    async def get_game_server(self) -> GameServer:
        """The current GameServer."""
        pb = await self._unary("GetGameServer", self._sdk.GetGameServer, sdk_pb2.Empty())
        return GameServer.from_pb(pb)

    async def set_label(self, key: str, value: str) -> None:
        """Set the label `agones.dev/sdk-<key>` on the GameServer.

        Raises:
            InvalidArgumentError: the key or value is not one Kubernetes accepts.
        """
        if (error := label_error(key, value)) is not None:
            raise InvalidArgumentError(error)
        await self._unary("SetLabel", self._sdk.SetLabel, sdk_pb2.KeyValue(key=key, value=value))

    async def set_annotation(self, key: str, value: str) -> None:
        """Set the annotation `agones.dev/sdk-<key>` on the GameServer.

        Raises:
            InvalidArgumentError: the key is not one Kubernetes accepts, or the value is too large.
        """
        if (error := annotation_error(key, value)) is not None:
            raise InvalidArgumentError(error)
        await self._unary("SetAnnotation", self._sdk.SetAnnotation, sdk_pb2.KeyValue(key=key, value=value))

    # -- health ----------------------------------------------------------------------

    async def health(self) -> None:
        """Send one health ping on the single long-lived Health stream (opened on first use).

        Raises:
            SidecarUnavailableError: the stream broke; the next ping opens a new one.
        """
        self._check_open()
        async with self._health_lock:
            while True:
                fresh = self._health_call is None
                if self._health_call is None:
                    self._health_call = self._sdk.Health(None)  # written to with .write()
                try:
                    await asyncio.wait_for(self._health_call.write(sdk_pb2.Empty()), self.call_timeout)
                    break
                except (grpc.aio.AioRpcError, asyncio.InvalidStateError, TimeoutError) as exc:
                    self._health_call.cancel()
                    self._health_call = None
                    if self._closed:
                        raise SDKClosedError("Health: the SDK was closed during the call") from exc
                    if not fresh:
                        continue  # a stream from before a sidecar restart: only a new one's failure counts
                    if isinstance(exc, grpc.aio.AioRpcError) and exc.code() != grpc.StatusCode.UNAVAILABLE:
                        raise from_rpc_error(exc, "Health") from exc
                    raise SidecarUnavailableError(f"Health: no stream to {self.address}; retry") from exc
        self._outage.restored()

    def pause_health(self) -> None:
        """Stop the managed pings (the GameServer will turn Unhealthy); resume_health() restarts them."""
        self._health_paused = True

    def resume_health(self) -> None:
        """Restart the managed pings after pause_health()."""
        self._health_paused = False

    async def _health_loop(self, interval: float) -> None:
        backoff = Backoff()
        while True:
            if self._health_paused:
                await asyncio.sleep(interval)
                continue
            try:
                await self.health()
            except AgonesError as exc:
                if isinstance(exc, SDKClosedError):
                    return
                self._outage.lost(str(exc))
                await asyncio.sleep(backoff.next())
                continue
            backoff.reset()
            await asyncio.sleep(interval)

    # -- watch -----------------------------------------------------------------------

    async def watch_game_server(self) -> AsyncIterator[GameServer]:
        """Yield the current GameServer, then each change, until the SDK closes.

        The stream reopens by itself when the sidecar restarts; identical consecutive
        states are yielded once. Breaking out of the loop or cancelling the task ends it.
        """
        self._check_open()
        backoff, last = Backoff(), None
        while not self._closed:
            call = self._sdk.WatchGameServer(sdk_pb2.Empty(), wait_for_ready=True)
            self._watches.add(call)
            try:
                async for pb in call:
                    self._outage.restored()
                    backoff.reset()
                    current = GameServer.from_pb(pb)
                    if current != last:
                        last = current
                        yield current
            except grpc.aio.AioRpcError as exc:
                if self._closed:
                    return
                if exc.code() != grpc.StatusCode.UNAVAILABLE:
                    raise from_rpc_error(exc, "WatchGameServer") from exc
                self._outage.lost(exc.code().name)
            except asyncio.CancelledError:
                # close() cancels the call, which surfaces here as CancelledError; only a
                # cancellation of the consuming task itself must propagate.
                task = asyncio.current_task()
                if self._closed and task is not None and not task.cancelling():
                    return
                raise
            finally:
                call.cancel()
                self._watches.discard(call)
            if not self._closed:
                await asyncio.sleep(backoff.next())


def _env_port() -> int:
    raw = os.environ.get("AGONES_SDK_GRPC_PORT")
    if not raw:
        return DEFAULT_PORT
    try:
        return int(raw)
    except ValueError:
        raise InvalidArgumentError(f"AGONES_SDK_GRPC_PORT={raw!r} is not a port number") from None


class Alpha:
    """Player tracking (Agones alpha): `sdk.alpha`."""

    def __init__(self, sdk: SDK) -> None:
        self._sdk = sdk

    async def player_connect(self, player_id: str) -> bool:
        """Record a player joining: True if added, False if already connected.

        Raises:
            OutOfRangeError: the player capacity is reached.
        """
        s = self._sdk
        return (await s._unary("PlayerConnect", s._alpha.PlayerConnect, alpha_pb2.PlayerID(playerID=player_id))).bool

    async def player_disconnect(self, player_id: str) -> bool:
        """Record a player leaving: True if removed, False if it was not connected."""
        s = self._sdk
        request = alpha_pb2.PlayerID(playerID=player_id)
        return (await s._unary("PlayerDisconnect", s._alpha.PlayerDisconnect, request)).bool

    async def set_player_capacity(self, capacity: int) -> None:
        """Set how many players may be connected at once."""
        if capacity < 0:
            raise InvalidArgumentError(f"player capacity must be 0 or more, not {capacity}")
        s = self._sdk
        await s._unary("SetPlayerCapacity", s._alpha.SetPlayerCapacity, alpha_pb2.Count(count=capacity))

    async def get_player_capacity(self) -> int:
        """How many players may be connected at once."""
        s = self._sdk
        return (await s._unary("GetPlayerCapacity", s._alpha.GetPlayerCapacity, alpha_pb2.Empty())).count

    async def get_player_count(self) -> int:
        """How many players are connected."""
        s = self._sdk
        return (await s._unary("GetPlayerCount", s._alpha.GetPlayerCount, alpha_pb2.Empty())).count

    async def is_player_connected(self, player_id: str) -> bool:
        """Whether `player_id` is connected."""
        s = self._sdk
        request = alpha_pb2.PlayerID(playerID=player_id)
        return (await s._unary("IsPlayerConnected", s._alpha.IsPlayerConnected, request)).bool

    async def get_connected_players(self) -> list[str]:
        """The IDs of the connected players."""
        s = self._sdk
        return list((await s._unary("GetConnectedPlayers", s._alpha.GetConnectedPlayers, alpha_pb2.Empty())).list)


class Beta:
    """Counters and lists (Agones beta): `sdk.beta`."""

    def __init__(self, sdk: SDK) -> None:
        self._sdk = sdk

    async def get_counter(self, name: str) -> Counter:
        """The counter `name`.

        Raises:
            NotFoundError: there is no such counter.
        """
        s = self._sdk
        return Counter.from_pb(await s._unary("GetCounter", s._beta.GetCounter, beta_pb2.GetCounterRequest(name=name)))

    async def _update_counter(self, update: beta_pb2.CounterUpdateRequest) -> Counter:
        s = self._sdk
        request = beta_pb2.UpdateCounterRequest(counterUpdateRequest=update)
        return Counter.from_pb(await s._unary("UpdateCounter", s._beta.UpdateCounter, request))

    async def get_counter_count(self, name: str) -> int:
        """The count of counter `name`."""
        return (await self.get_counter(name)).count

    async def increment_counter(self, name: str, amount: int = 1) -> None:
        """Add `amount` (0 or more) to counter `name`.

        Raises:
            OutOfRangeError: the count would pass the capacity (nothing changes).
        """
        if amount < 0:
            raise InvalidArgumentError(f"increment amount must be 0 or more, not {amount}; use decrement_counter")
        await self._update_counter(beta_pb2.CounterUpdateRequest(name=name, countDiff=amount))

    async def decrement_counter(self, name: str, amount: int = 1) -> None:
        """Subtract `amount` (0 or more) from counter `name`.

        Raises:
            OutOfRangeError: the count would go below 0 (nothing changes).
        """
        if amount < 0:
            raise InvalidArgumentError(f"decrement amount must be 0 or more, not {amount}; use increment_counter")
        await self._update_counter(beta_pb2.CounterUpdateRequest(name=name, countDiff=-amount))

    async def set_counter_count(self, name: str, count: int) -> None:
        """Set the count of counter `name` (0 to its capacity)."""
        await self._update_counter(beta_pb2.CounterUpdateRequest(name=name, count=_int64(count)))

    async def get_counter_capacity(self, name: str) -> int:
        """The capacity of counter `name`."""
        return (await self.get_counter(name)).capacity

    async def set_counter_capacity(self, name: str, capacity: int) -> None:
        """Set the capacity of counter `name` (0 or more)."""
        if capacity < 0:
            raise InvalidArgumentError(f"counter capacity must be 0 or more, not {capacity}")
        await self._update_counter(beta_pb2.CounterUpdateRequest(name=name, capacity=_int64(capacity)))

    async def get_list(self, name: str) -> List:
        """The list `name`.

        Raises:
            NotFoundError: there is no such list.
        """
        s = self._sdk
        return List.from_pb(await s._unary("GetList", s._beta.GetList, beta_pb2.GetListRequest(name=name)))

    async def get_list_capacity(self, name: str) -> int:
        """The capacity of list `name`."""
        return (await self.get_list(name)).capacity

    async def set_list_capacity(self, name: str, capacity: int) -> None:
        """Set the capacity of list `name` (0 to 1000); values past it are dropped by the sidecar."""
        if not 0 <= capacity <= _LIST_CAPACITY_MAX:
            raise InvalidArgumentError(f"list capacity must be 0 to {_LIST_CAPACITY_MAX}, not {capacity}")
        s = self._sdk
        request = beta_pb2.UpdateListRequest(
            list=beta_pb2.List(name=name, capacity=capacity), update_mask={"paths": ["capacity"]}
        )
        await s._unary("UpdateList", s._beta.UpdateList, request)

    async def list_contains(self, name: str, value: str) -> bool:
        """Whether list `name` holds `value`."""
        return value in (await self.get_list(name)).values

    async def get_list_length(self, name: str) -> int:
        """How many values list `name` holds."""
        return len((await self.get_list(name)).values)

    async def get_list_values(self, name: str) -> list[str]:
        """The values of list `name`."""
        return list((await self.get_list(name)).values)

    async def append_list_value(self, name: str, value: str) -> None:
        """Add `value` to list `name`.

        Raises:
            AlreadyExistsError: the value is already there.
            OutOfRangeError: the list is full.
        """
        s = self._sdk
        await s._unary("AddListValue", s._beta.AddListValue, beta_pb2.AddListValueRequest(name=name, value=value))

    async def delete_list_value(self, name: str, value: str) -> None:
        """Remove `value` from list `name`.

        Raises:
            NotFoundError: the value (or the list) is not there.
        """
        s = self._sdk
        request = beta_pb2.RemoveListValueRequest(name=name, value=value)
        await s._unary("RemoveListValue", s._beta.RemoveListValue, request)


def _int64(value: int) -> wrappers_pb2.Int64Value:
    return wrappers_pb2.Int64Value(value=value)
