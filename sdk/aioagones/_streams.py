"""The SDK's two long-lived streams over the transport: the health stream and the watch.

Both reopen by themselves after the sidecar restarts, paced by _backoff, and report outages to
the transport's connection state. Neither touches grpc stubs or the channel: the transport starts
every stream, and its close() cancels them and waits until they ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing

import grpc
import grpc.aio

from ._backoff import Backoff
from ._errors import AgonesError, SDKClosedError, SidecarUnavailableError, from_rpc_error
from ._models import GameServer, State
from ._pb import sdk_pb2
from ._state import ConnectionState
from ._transport import Transport


# Beside the waiting that raises it: _errors must not import the models (_models -> _endpoints -> _errors).
class StateTimeoutError(AgonesError, TimeoutError):
    """`wait_for_state()` saw no GameServer in the state it waited for in time; waiting again may."""

    retriable = True

    def __init__(self, message: str, *, waited_for: str, last: GameServer | None) -> None:
        super().__init__(message)
        self.waited_for = waited_for
        """What was waited for: a state's name, or the predicate's."""
        self.last = last
        """The last GameServer seen, or None if none arrived."""


class HealthStream:
    """The one long-lived Health stream: a ping on demand, and managed pings in a background task."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport
        self._call: grpc.aio.StreamUnaryCall[sdk_pb2.Empty, sdk_pb2.Empty] | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.paused = False
        """While True, the managed pings are skipped (the GameServer will turn Unhealthy)."""

    async def ping(self) -> None:
        """Send one ping, opening the stream first if there is none.

        Raises:
            SidecarUnavailableError: the stream broke; the next ping opens a new one.
        """
        self._t.check_open()
        async with self._lock:
            while True:
                fresh = self._call is None
                if self._call is None:
                    # Started here, under the lock, so a close() meanwhile is an SDKClosedError.
                    self._call = self._t.stream("Health", None)
                try:
                    # Not asyncio.wait_for: on 3.11 it loses a cancellation that lands as the write
                    # completes, and close() would then wait for a health loop that never ends.
                    async with asyncio.timeout(self._t.call_timeout):
                        await self._call.write(sdk_pb2.Empty())
                    break
                except (grpc.aio.AioRpcError, asyncio.InvalidStateError, TimeoutError) as exc:
                    self._call.cancel()
                    self._call = None
                    if self._t.closed:
                        raise SDKClosedError("Health: the SDK was closed during the call") from exc
                    if not fresh:
                        continue  # a stream from before a sidecar restart: only a new one's failure counts
                    if isinstance(exc, grpc.aio.AioRpcError) and exc.code() != grpc.StatusCode.UNAVAILABLE:
                        raise from_rpc_error(exc, "Health") from exc
                    raise SidecarUnavailableError(f"Health: no stream to {self._t.address}; retry") from exc
        if self._t.states.now is ConnectionState.RECONNECTING:
            # A written ping was only handed to the connection (a sidecar shutting down may not have
            # closed this stream yet): only an answer ends an outage.
            try:
                await self._t.unary("GetGameServer", sdk_pb2.Empty(), sdk_pb2.GameServer)
            except SidecarUnavailableError as exc:
                raise SidecarUnavailableError(
                    f"Health: the sidecar at {self._t.address} does not answer; retry"
                ) from exc

    def start(self, interval: float) -> None:
        """Start the managed pings, one every `interval` seconds, on this event loop."""
        self._task = asyncio.create_task(self._run(interval), name="agones-health")

    async def stop(self) -> None:
        """Stop the managed pings and wait until their task ended."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])  # unlike `await task`, a cancellation of stop() itself propagates
        self._call = None  # the transport's close() cancels it

    async def _run(self, interval: float) -> None:
        backoff = Backoff()
        while not self._t.closed:
            if self.paused:
                await asyncio.sleep(interval)
                continue
            try:
                await self.ping()
            except AgonesError as exc:
                if isinstance(exc, SDKClosedError):
                    return
                self._t.states.lost(str(exc))
                await asyncio.sleep(backoff.next())
                continue
            backoff.reset()
            await asyncio.sleep(interval)


async def watch_game_server(transport: Transport) -> AsyncGenerator[GameServer, None]:
    """The current GameServer, then each change (identical neighbours once), until the SDK closes."""
    transport.check_open()
    backoff, last = Backoff(), None
    while not transport.closed:
        call: grpc.aio.UnaryStreamCall[sdk_pb2.Empty, sdk_pb2.GameServer]
        call = transport.stream("WatchGameServer", sdk_pb2.Empty(), wait_for_ready=True)
        try:
            async for pb in call:
                transport.states.restored()
                backoff.reset()
                current = GameServer.from_pb(pb)
                if current != last:
                    last = current
                    yield current
        except grpc.aio.AioRpcError as exc:
            if transport.closed:
                return
            if exc.code() != grpc.StatusCode.UNAVAILABLE:
                raise from_rpc_error(exc, "WatchGameServer") from exc
            transport.states.lost(exc.code().name)
        except asyncio.CancelledError:
            # close() cancels the call, which surfaces here as CancelledError; only a
            # cancellation of the consuming task itself must propagate.
            task = asyncio.current_task()
            if transport.closed and task is not None and not task.cancelling():
                return
            raise
        finally:
            call.cancel()
        if not transport.closed:
            await asyncio.sleep(backoff.next())


async def wait_for_state(
    watch: AsyncGenerator[GameServer, None],
    target: State | Callable[[GameServer], bool],
    timeout: float | None,  # noqa: ASYNC109  # passed on from SDK.wait_for_state
) -> GameServer:
    """The first GameServer from `watch` in state `target` (or that `target` accepts), within `timeout` s."""
    matches: Callable[[GameServer], bool]
    if isinstance(target, State):
        state = target
        wanted, missing = f"state {state}", f"the GameServer was not in state {state}"

        def matches(game_server: GameServer) -> bool:
            return game_server.status.state is state
    else:
        wanted, matches = getattr(target, "__name__", repr(target)), target
        missing = f"no GameServer matched {wanted}"
    last: GameServer | None = None
    try:
        async with asyncio.timeout(timeout) as deadline, aclosing(watch):
            async for game_server in watch:
                last = game_server
                if matches(game_server):
                    return game_server
    except TimeoutError:
        if not deadline.expired():
            raise  # the sidecar's deadline, not ours
        seen = f"last state seen: {last.status.state}" if last is not None else "no GameServer arrived"
        raise StateTimeoutError(
            f"wait_for_state(): {missing} within {timeout:g} s; {seen}", waited_for=wanted, last=last
        ) from None
    raise SDKClosedError(f"wait_for_state(): the SDK was closed while waiting for {wanted}")
