"""The SDK's one connection to the sidecar: channel, methods by name, deadline, errors, closing.

`SDK`, `Alpha`, `Beta` and the streams (see _streams) reach the sidecar only through a
`Transport`. It exists from `SDK.__init__` on, but its methods exist only while the channel is
open, so any call on an SDK that is not connected (never, or no longer) raises `SDKClosedError`
by construction. Its `states` (see _state) keep the connection state.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, TypeVar

import grpc
import grpc.aio
from google.protobuf.message import Message

from ._constants import ENV_GRPC_HOST, ENV_GRPC_PORT
from ._errors import SDKClosedError, SidecarUnavailableError, from_rpc_error
from ._pb import alpha_pb2, alpha_pb2_grpc, beta_pb2, beta_pb2_grpc, sdk_pb2, sdk_pb2_grpc
from ._state import ConnectionState, StateCallback, StateKeeper

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

# grpc's own reconnect backoff grows to 120 s by default; a sidecar that restarts in a
# second must not leave us waiting minutes, so the channel retries at most every second.
_CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
)

# The three Agones services: their generated stubs and descriptors. Method names are unique
# across them, so one name says which service a call goes to.
_SERVICES = ((sdk_pb2_grpc.SDKStub, sdk_pb2), (alpha_pb2_grpc.SDKStub, alpha_pb2), (beta_pb2_grpc.SDKStub, beta_pb2))

# What connect() meets while the sidecar is not there yet: not started (UNAVAILABLE), slow to start
# (DEADLINE_EXCEEDED), or going away, its calls cut off (CANCELLED: we cancel none during connect).
_NOT_THERE_YET = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED})

# How long connect() waits in silence before it says what it is waiting for.
WAITING_LOG_AFTER = 1.0

# How long close() waits for the calls it cancelled to finish (grpc's own tasks included).
CLOSE_WAIT = 2.0

_NOT_CONNECTED = "the SDK is not connected; use 'async with SDK() as sdk:' (or await sdk.connect() first)"
_CLOSED = "the SDK is closed; calls need an open SDK: use 'async with SDK() as sdk:' and call inside it"


def _methods(channel: grpc.aio.Channel) -> dict[str, Any]:
    """Every RPC of the three services on `channel`, by method name."""
    table: dict[str, Any] = {}
    for stub_class, module in _SERVICES:
        stub = stub_class(channel)
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                assert method.name not in table, f"{method.name} is in two Agones services"
                table[method.name] = getattr(stub, method.name)
    return table


class Transport:
    """The channel to the sidecar, its methods by name, the call deadline, errors and closing."""

    def __init__(self, address: str, call_timeout: float, on_state_change: StateCallback | None = None) -> None:
        self.address = address
        self.call_timeout = call_timeout
        self.states = StateKeeper(address, on_state_change)
        self._channel: grpc.aio.Channel | None = None
        self._methods: dict[str, Any] = {}
        self._closed = False
        # Streams still open (close() cancels them) and what close() waits for: grpc's tasks of
        # every stream, and one future per unary call in flight.
        self._streams: set[grpc.aio.Call] = set()
        self._pending: set[asyncio.Future[Any]] = set()

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._closed

    @property
    def is_open(self) -> bool:
        """Whether the channel is open (connect() began and close() was not called)."""
        return bool(self._methods)

    def check_open(self) -> None:
        """SDKClosedError if the channel is not open (never opened, or closed)."""
        if not self._methods:
            raise SDKClosedError(_CLOSED if self._closed else _NOT_CONNECTED)

    def _method(self, name: str) -> Any:
        self.check_open()
        return self._methods[name]

    # -- opening and closing ---------------------------------------------------------

    async def open(self, connect_timeout: float) -> None:
        """Open the channel and wait until the sidecar answers a real call."""
        if self._closed:
            raise SDKClosedError("this SDK was closed; create a new SDK() to connect again")
        self._channel = grpc.aio.insecure_channel(self.address, options=_CHANNEL_OPTIONS)
        self._methods = _methods(self._channel)
        self.states.set(ConnectionState.CONNECTING)
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
            await self._wait_for_sidecar(loop.time() + connect_timeout, connect_timeout)
        except BaseException:
            await self.close()
            raise
        finally:
            waiting.cancel()
        self.states.set(ConnectionState.CONNECTED)

    async def _wait_for_sidecar(self, deadline: float, connect_timeout: float) -> None:
        loop = asyncio.get_running_loop()
        get_game_server = self._methods["GetGameServer"]
        while (remaining := deadline - loop.time()) > 0:
            try:
                await get_game_server(sdk_pb2.Empty(), timeout=remaining, wait_for_ready=True)
                return
            except grpc.aio.AioRpcError as exc:
                if self._closed:
                    raise SDKClosedError("connect: the SDK was closed while connecting") from exc
                if exc.code() not in _NOT_THERE_YET:
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
        self._closed = True
        self._methods = {}
        channel, self._channel = self._channel, None
        self.states.set(ConnectionState.CLOSED)
        # In one step with no await: a stream opened before this has its tasks in _pending already.
        for call in list(self._streams):
            call.cancel()
        if channel is not None:
            await channel.close(grace=None)  # cancels the unary calls in flight too
        pending, self._pending = self._pending, set()
        if pending:
            await asyncio.wait(pending, timeout=CLOSE_WAIT)

    # -- calls -----------------------------------------------------------------------

    async def unary(self, method: str, request: Message, reply: type[_T]) -> _T:
        """Call the unary RPC `method` with the deadline; its `reply`. Errors are translated here."""
        call = self._method(method)
        done = asyncio.get_running_loop().create_future()
        self._pending.add(done)
        try:
            response: _T = await call(request, timeout=self.call_timeout)
        except grpc.aio.AioRpcError as exc:
            if self._closed:
                raise SDKClosedError(f"{method}: the SDK was closed during the call") from exc
            error = from_rpc_error(exc, method)
            if isinstance(error, SidecarUnavailableError):
                self.states.lost(exc.code().name)
            raise error from exc
        except asyncio.CancelledError:
            # grpc.aio raises CancelledError in the caller when the call (not the caller's
            # task) was cancelled, as close() does: that is a closed SDK, not a cancellation.
            task = asyncio.current_task()
            if self._closed and task is not None and not task.cancelling():
                raise SDKClosedError(f"{method}: the SDK was closed during the call") from None
            raise
        finally:
            done.set_result(None)
            self._pending.discard(done)
        self.states.restored()
        return response  # `reply` only types it: grpc built it from the method's descriptor

    def stream(self, method: str, request: Message | None, **options: Any) -> Any:
        """Start the streaming RPC `method`; close() cancels it and waits for its tasks.

        grpc.aio runs a call in tasks of its own: some made as the call is made (seen here), one
        (the watcher of the call's final status) made in the first step of one of those. That
        step is already queued, so a callback queued now runs right after it and finds that task
        among the new ones; nothing can run between the two, close() included.
        """
        start = self._method(method)
        loop = asyncio.get_running_loop()
        before = asyncio.all_tasks(loop)
        call = start(request, **options)
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
