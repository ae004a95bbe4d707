"""`AllocationClient`: one channel to Agones' allocator, one method, retries inside one deadline.

Configured once (endpoint, TLS material, timeouts, retries), used as `async with`. What is
retried: an allocator that cannot be reached (UNAVAILABLE that is not a TLS refusal) and an
attempt that ran out of its own deadline while the total deadline has time left, with capped
exponential backoff and full jitter. What is not: "no GameServer available" (asking again at
once would only load the allocator), a TLS failure (it fails the same way until a file or
setting changes), a refused request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Self

import grpc
import grpc.aio

from .._backoff import Backoff
from .._errors import InvalidArgumentError
from .._pb import allocation_pb2, allocation_pb2_grpc
from .._validation import require_seconds
from ._errors import (
    AllocationClientClosedError,
    AllocationError,
    AllocatorTimeoutError,
    AllocatorUnavailableError,
    NoGameServerAvailableError,
)
from ._request import (
    AllocationRequest,
    CounterAction,
    GameServerSelector,
    ListAction,
    Priority,
    Scheduling,
)
from ._result import Allocation
from ._tls import StrPath, TLSConfig, plaintext_failure, torn_down

# grpc's reconnect backoff grows to 120 s by default and, while it waits, fails each call at once
# with the last error; our own backoff paces the retries, so the channel must be ready to dial.
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 50),
    ("grpc.min_reconnect_backoff_ms", 50),
    ("grpc.max_reconnect_backoff_ms", 1000),
]

# Time left below which no attempt is worth making.
_LAST_ATTEMPT = 0.05


class AllocationClient:
    """An asyncio client for Agones' allocator service (`AllocationService/Allocate`, gRPC).

    >>> async with AllocationClient("allocator.example.com:443", ca="tls-ca.crt",
    ...                             cert="client.crt", key="client.key") as client:
    ...     allocation = await client.allocate(selectors=[GameServerSelector({"agones.dev/fleet": "f"})])

    TLS: `ca`, `cert`, `key` are PEM file paths (or pass `tls=TLSConfig(...)`); without `ca` the
    system's trust store checks the allocator. `plaintext=True` for an allocator without TLS.
    `timeout` bounds a whole `allocate()` call, retries included; `attempt_timeout` one attempt.
    `no_game_server_code` is the status the allocator answers when nothing matches (Agones'
    default, RESOURCE_EXHAUSTED, unless its flag changed it).
    """

    def __init__(
        self,
        endpoint: str,
        *,
        ca: StrPath | None = None,
        cert: StrPath | None = None,
        key: StrPath | None = None,
        tls: TLSConfig | None = None,
        plaintext: bool = False,
        timeout: float = 15.0,
        attempt_timeout: float = 5.0,
        retry: bool = True,
        backoff_cap: float = 2.0,
        no_game_server_code: grpc.StatusCode = grpc.StatusCode.RESOURCE_EXHAUSTED,
    ) -> None:
        if not isinstance(endpoint, str) or not endpoint.rpartition(":")[2].isdigit():
            raise InvalidArgumentError(f"AllocationClient: endpoint must be HOST:PORT, not {endpoint!r}")
        if plaintext and (tls is not None or ca or cert or key):
            raise InvalidArgumentError("AllocationClient: plaintext=True takes no TLS material (ca, cert, key, tls)")
        if tls is not None and (ca or cert or key):
            raise InvalidArgumentError("AllocationClient: pass either tls= or the ca/cert/key files, not both")
        self.endpoint = endpoint
        self.timeout = require_seconds("AllocationClient", "timeout", timeout)
        self.attempt_timeout = require_seconds("AllocationClient", "attempt_timeout", attempt_timeout)
        self.retry = retry
        self.backoff_cap = require_seconds("AllocationClient", "backoff_cap", backoff_cap)
        self.no_game_server_code = no_game_server_code
        self.tls: TLSConfig | None = None if plaintext else (tls or TLSConfig.from_files(ca=ca, cert=cert, key=key))
        self._channel: grpc.aio.Channel | None = None
        self._stub: allocation_pb2_grpc.AllocationServiceAsyncStub | None = None
        self._closed = False
        self._last_request: AllocationRequest | None = None
        self._last_message = allocation_pb2.AllocationRequest()

    async def __aenter__(self) -> Self:
        self._open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the channel; calls in flight fail. Idempotent."""
        self._closed = True
        channel, self._channel, self._stub = self._channel, None, None
        if channel is not None:
            await channel.close(grace=None)

    def _open(self) -> allocation_pb2_grpc.AllocationServiceAsyncStub:
        if self._closed:
            raise AllocationClientClosedError("the AllocationClient is closed; make a new one")
        if self._stub is None:
            options: list[tuple[str, str | int]] = list(_CHANNEL_OPTIONS)
            if self.tls is None:
                self._channel = grpc.aio.insecure_channel(self.endpoint, options=options)
            else:
                credentials = grpc.ssl_channel_credentials(self.tls.ca, self.tls.key, self.tls.cert)
                if self.tls.server_name is not None:
                    options.append(("grpc.ssl_target_name_override", self.tls.server_name))
                self._channel = grpc.aio.secure_channel(self.endpoint, credentials, options=options)
            self._stub = allocation_pb2_grpc.AllocationServiceStub(self._channel)
        return self._stub

    async def allocate(
        self,
        request: AllocationRequest | None = None,
        /,
        *,
        namespace: str = "default",
        selectors: Sequence[GameServerSelector] = (),
        priorities: Sequence[Priority] = (),
        scheduling: Scheduling = Scheduling.PACKED,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        counters: Mapping[str, CounterAction] | None = None,
        lists: Mapping[str, ListAction] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - one deadline across retries, as the client's own
    ) -> Allocation:
        """Allocate one GameServer: pass an `AllocationRequest`, or its fields as keywords.

        Raises NoGameServerAvailableError when nothing matches, AllocatorTLSError for a TLS or
        certificate failure, AllocatorUnavailableError / AllocatorTimeoutError when the allocator
        did not answer within `timeout` (default: the client's), InvalidArgumentError for a bad request.
        """
        if request is None:
            request = AllocationRequest(
                namespace=namespace,
                selectors=selectors,
                priorities=priorities,
                scheduling=scheduling,
                labels=labels or {},
                annotations=annotations or {},
                counters=counters or {},
                lists=lists or {},
            )
        elif not isinstance(request, AllocationRequest):
            raise TypeError(f"allocate(): request must be an AllocationRequest, not {type(request).__name__}")
        elif (namespace, scheduling) != ("default", Scheduling.PACKED) or any(
            (selectors, priorities, labels, annotations, counters, lists)
        ):
            raise TypeError("allocate(): pass an AllocationRequest or its fields as keywords, not both")
        total = self.timeout if timeout is None else require_seconds("allocate", "timeout", timeout)
        return Allocation.from_pb(await self._call(request, total))

    async def _call(self, request: AllocationRequest, total: float) -> allocation_pb2.AllocationResponse:
        stub = self._open()
        # A request is immutable, so the message made for it last time can be sent again as is.
        if self._last_request is request:
            message = self._last_message
        else:
            message = request.to_pb()
            self._last_request, self._last_message = request, message
        deadline = time.monotonic() + total
        backoff = Backoff(base=0.05, cap=self.backoff_cap)
        attempts, torn_before = 0, False
        while True:
            remaining = deadline - time.monotonic()
            attempt = min(self.attempt_timeout, remaining) if self.retry else remaining
            attempts += 1
            try:
                return await stub.Allocate(message, timeout=max(attempt, 0.001))
            except grpc.aio.AioRpcError as error:
                failure, retriable = self._failure(error, torn_before, attempt < remaining)
                torn_before = torn_down(_text(error))
            # The last wait is cut to the deadline, so the last attempt comes just before it.
            wait = min(backoff.next(), deadline - time.monotonic() - _LAST_ATTEMPT)
            if not (retriable and self.retry) or wait < 0:
                if retriable:
                    failure.add_note(f"{attempts} attempt(s) in {total:g} s")
                raise failure
            await asyncio.sleep(wait)

    def _failure(
        self, error: grpc.aio.AioRpcError, torn_before: bool, attempt_was_short: bool
    ) -> tuple[AllocationError | InvalidArgumentError, bool]:
        """What a failed attempt means, and whether another attempt may succeed."""
        code, details, text = error.code(), error.details() or "", _text(error)
        if code == self.no_game_server_code:
            message = f"no GameServer available to allocate ({details or code.name})"
            return NoGameServerAvailableError(message, code=code), False
        if code == grpc.StatusCode.UNAVAILABLE:
            tls_error = (
                plaintext_failure(self.endpoint, text, torn_before)
                if self.tls is None
                else self.tls.failure(self.endpoint, text, torn_before)
            )
            if tls_error is not None:
                return tls_error, False
            reason = details.rpartition(": ")[2] or code.name
            message = f"the allocator at {self.endpoint} is unreachable: {reason}"
            return AllocatorUnavailableError(message, code=code), True
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            message = f"the allocator at {self.endpoint} did not answer in time"
            return AllocatorTimeoutError(message, code=code), attempt_was_short
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            return InvalidArgumentError(f"the allocator refused the request: {details}", code=code), False
        return AllocationError(f"the allocator answered {code.name}: {details}", code=code), False


def _text(error: grpc.aio.AioRpcError) -> str:
    return f"{error.details() or ''} {error.debug_error_string() or ''}".lower()
