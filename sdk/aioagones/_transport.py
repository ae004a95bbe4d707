"""The SDK's one connection to the sidecar: channel, stubs, deadline, errors, state.

`SDK`, `Alpha` and `Beta` reach the sidecar only through a `Transport`. It exists from
`SDK.__init__` on, but its stubs exist only while the channel is open, so any call on an
SDK that is not connected (never, or no longer) raises `SDKClosedError` by construction.
It also keeps the connection state: each change is logged once, passed to the optional
callback, and put on every `changes()` iterator.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
import grpc.aio

from ._constants import ENV_GRPC_HOST, ENV_GRPC_PORT
from ._errors import SDKClosedError, SidecarUnavailableError, from_rpc_error
from ._pb import alpha_pb2_grpc, beta_pb2_grpc, sdk_pb2, sdk_pb2_grpc

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_C = TypeVar("_C", bound=grpc.aio.Call)

# grpc's own reconnect backoff grows to 120 s by default; a sidecar that restarts in a
# second must not leave us waiting minutes, so the channel retries at most every second.
_CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
)

# How long connect() waits in silence before it says what it is waiting for.
WAITING_LOG_AFTER = 1.0

# How long close() waits for the calls it cancelled to finish (grpc's own tasks included).
CLOSE_WAIT = 2.0

_NOT_CONNECTED = "the SDK is not connected; use 'async with SDK() as sdk:' (or await sdk.connect() first)"
_CLOSED = "the SDK is closed; calls need an open SDK: use 'async with SDK() as sdk:' and call inside it"


class ConnectionState(enum.StrEnum):
    """The SDK's connection to the sidecar, as `sdk.state` shows it."""

    CONNECTING = "connecting"
    """connect() is waiting for the sidecar to answer."""
    CONNECTED = "connected"
    """The sidecar answers."""
    RECONNECTING = "reconnecting"
    """The sidecar stopped answering (a call, a health ping or a watch failed); retrying."""
    CLOSED = "closed"
    """Not connected: before connect(), after a failed connect(), or after close()."""


StateCallback = Callable[[ConnectionState], object]


@dataclass(frozen=True, slots=True)
class Stubs:
    """The generated stubs of the three Agones services, on one channel."""

    sdk: sdk_pb2_grpc.SDKAsyncStub
    alpha: alpha_pb2_grpc.SDKAsyncStub
    beta: beta_pb2_grpc.SDKAsyncStub


class Transport:
    """The channel to the sidecar, its stubs, the call deadline, error translation and state."""

    def __init__(self, address: str, call_timeout: float, on_state_change: StateCallback | None = None) -> None:
        self.address = address
        self.call_timeout = call_timeout
        self._on_state_change = on_state_change
        self._state = ConnectionState.CLOSED
        self._listeners: set[asyncio.Queue[ConnectionState]] = set()
        self._channel: grpc.aio.Channel | None = None
        self._stubs: Stubs | None = None
        self.closed = False
        """Whether close() was called."""
        # Streams still open (close() cancels them) and what close() waits for: grpc's tasks of
        # every stream, and one future per unary call in flight.
        self._streams: set[grpc.aio.Call] = set()
        self._pending: set[asyncio.Future[Any]] = set()

    # -- state -----------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        """The connection state now."""
        return self._state

    def _set_state(self, state: ConnectionState) -> None:
        if state is self._state:
            return
        self._state = state
        for queue in self._listeners:
            queue.put_nowait(state)
        if self._on_state_change is not None:
            try:
                self._on_state_change(state)
            except Exception:
                # The game's callback must not break the health loop or the call that noticed.
                logger.exception("the on_state_change callback failed on %s", state)

    def lost(self, reason: str) -> None:
        """Note a failure that means the sidecar is away (logged once per outage)."""
        if self._state is ConnectionState.CONNECTED:
            logger.warning("Agones sidecar at %s unavailable (%s); reconnecting", self.address, reason)
            self._set_state(ConnectionState.RECONNECTING)

    def restored(self) -> None:
        """Note a success (logged once at the end of an outage)."""
        if self._state is ConnectionState.RECONNECTING:
            logger.info("Agones sidecar at %s is back", self.address)
            self._set_state(ConnectionState.CONNECTED)

    async def changes(self) -> AsyncIterator[ConnectionState]:
        """The current state, then each change, until the state is CLOSED."""
        queue: asyncio.Queue[ConnectionState] = asyncio.Queue()
        queue.put_nowait(self._state)
        self._listeners.add(queue)
        try:
            while True:
                state = await queue.get()
                yield state
                if state is ConnectionState.CLOSED:
                    return
        finally:
            self._listeners.discard(queue)

    # -- channel ---------------------------------------------------------------------

    @property
    def stubs(self) -> Stubs:
        """The stubs of the open channel; SDKClosedError if it is not open."""
        if self._stubs is None:
            raise SDKClosedError(_CLOSED if self.closed else _NOT_CONNECTED)
        return self._stubs

    def check_open(self) -> None:
        """SDKClosedError if the channel is not open (never opened, or closed)."""
        self.stubs  # noqa: B018  # the property is the check

    @property
    def is_open(self) -> bool:
        """Whether the channel is open (connect() began and close() was not called)."""
        return self._stubs is not None

    async def open(self, connect_timeout: float) -> None:
        """Open the channel and wait until the sidecar answers a real call."""
        if self.closed:
            raise SDKClosedError("this SDK was closed; create a new SDK() to connect again")
        self._channel = grpc.aio.insecure_channel(self.address, options=_CHANNEL_OPTIONS)
        self._stubs = Stubs(
            sdk_pb2_grpc.SDKStub(self._channel),
            alpha_pb2_grpc.SDKStub(self._channel),
            beta_pb2_grpc.SDKStub(self._channel),
        )
        self._set_state(ConnectionState.CONNECTING)
        loop = asyncio.get_running_loop()
        # A sidecar that starts after the game is normal, but 30 silent seconds are not.
        waiting = loop.call_later(
            WAITING_LOG_AFTER,
            logger.info,
            "waiting for the Agones sidecar at %s (up to %g s) ...",
            self.address,
            connect_timeout,
        )
        try:
            await self._wait_for_sidecar(self._stubs.sdk, loop.time() + connect_timeout, connect_timeout)
        except BaseException:
            await self.close()
            raise
        finally:
            waiting.cancel()
        self._set_state(ConnectionState.CONNECTED)

    async def _wait_for_sidecar(self, stub: sdk_pb2_grpc.SDKAsyncStub, deadline: float, connect_timeout: float) -> None:
        loop = asyncio.get_running_loop()
        while (remaining := deadline - loop.time()) > 0:
            try:
                await stub.GetGameServer(sdk_pb2.Empty(), timeout=remaining, wait_for_ready=True)
                return
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    raise from_rpc_error(exc, "connect") from exc
                await asyncio.sleep(min(0.1, max(0.0, deadline - loop.time())))
        raise SidecarUnavailableError(
            f"no Agones sidecar answered at {self.address} within {connect_timeout:g} s; "
            f"is it running? (set {ENV_GRPC_HOST} / {ENV_GRPC_PORT}, or start agones-local-sidecar)"
        )

    async def close(self) -> None:
        """Cancel every call still open, wait (up to CLOSE_WAIT s) until they ended, close the channel.

        grpc.aio gives a cancelled call its final status at once, but finishes its own tasks of the
        call a little later, when its core reports back; a program that closes its event loop right
        after would destroy them pending. So close() waits for those tasks too. Idempotent.
        """
        self.closed = True
        self._stubs = None
        channel, self._channel = self._channel, None
        self._set_state(ConnectionState.CLOSED)
        # In one step with no await: a stream opened before this has its tasks in _pending already.
        for call in list(self._streams):
            call.cancel()
        if channel is not None:
            await channel.close(grace=None)  # cancels the unary calls in flight too
        pending, self._pending = self._pending, set()
        if pending:
            await asyncio.wait(pending, timeout=CLOSE_WAIT)

    # -- calls -----------------------------------------------------------------------

    async def unary(self, method: str, call: Callable[..., Awaitable[_T]], request: Any) -> _T:
        """Make one unary call with the deadline, translating errors in this one place."""
        done = asyncio.get_running_loop().create_future()
        self._pending.add(done)
        try:
            response = await call(request, timeout=self.call_timeout)
        except grpc.aio.AioRpcError as exc:
            if self.closed:
                raise SDKClosedError(f"{method}: the SDK was closed during the call") from exc
            error = from_rpc_error(exc, method)
            if isinstance(error, SidecarUnavailableError):
                self.lost(exc.code().name)
            raise error from exc
        except asyncio.CancelledError:
            # grpc.aio raises CancelledError in the caller when the call (not the caller's
            # task) was cancelled, as close() does: that is a closed SDK, not a cancellation.
            task = asyncio.current_task()
            if self.closed and task is not None and not task.cancelling():
                raise SDKClosedError(f"{method}: the SDK was closed during the call") from None
            raise
        finally:
            done.set_result(None)
            self._pending.discard(done)
        self.restored()
        return response

    def stream(self, start: Callable[[Stubs], _C]) -> _C:
        """Start a streaming call with `start(stubs)`; close() cancels it and waits for its tasks.

        grpc.aio runs a call in tasks of its own: some made as the call is made (seen here), one
        (the watcher of the call's final status) made in the first step of one of those. That
        step is already queued, so a callback queued now runs right after it and finds that task
        among the new ones; nothing can run between the two, close() included.
        """
        stubs = self.stubs
        loop = asyncio.get_running_loop()
        before = asyncio.all_tasks(loop)
        call = start(stubs)
        made = asyncio.all_tasks(loop)
        self._streams.add(call)
        call.add_done_callback(self._streams.discard)
        self._keep(made - before)
        loop.call_soon(self._keep_status_task, made)
        return call

    def _keep_status_task(self, known: set[asyncio.Task[Any]]) -> None:
        new = asyncio.all_tasks() - known
        self._keep({t for t in new if getattr(t.get_coro(), "__qualname__", "").startswith("_AioCall.")})

    def _keep(self, tasks: set[asyncio.Task[Any]]) -> None:
        for task in tasks:
            if not task.done():
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
