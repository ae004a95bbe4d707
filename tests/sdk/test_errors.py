"""gRPC failures become the SDK's typed errors by status code and by reference-sidecar message."""

from __future__ import annotations

import grpc
import grpc.aio
import pytest

from aioagones import (
    AgonesError,
    AlreadyExistsError,
    InvalidArgumentError,
    NotFoundError,
    OutOfRangeError,
    SidecarTimeoutError,
    SidecarUnavailableError,
)
from aioagones._errors import from_rpc_error


def _rpc_error(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(
        code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details, debug_error_string=None
    )


@pytest.mark.parametrize(
    ("code", "details", "expected", "retriable"),
    [
        (grpc.StatusCode.UNAVAILABLE, "connection refused", SidecarUnavailableError, True),
        (grpc.StatusCode.DEADLINE_EXCEEDED, "deadline", SidecarTimeoutError, True),
        (grpc.StatusCode.NOT_FOUND, "counter not found: x", NotFoundError, False),
        (grpc.StatusCode.OUT_OF_RANGE, "count out of range", OutOfRangeError, False),
        (grpc.StatusCode.ALREADY_EXISTS, "dup", AlreadyExistsError, False),
        (grpc.StatusCode.INVALID_ARGUMENT, "bad key", InvalidArgumentError, False),
        # The reference sidecar's UNKNOWN errors, read by their message prefix.
        (grpc.StatusCode.UNKNOWN, "not found. rooms Counter not found", NotFoundError, False),
        (grpc.StatusCode.UNKNOWN, "counter not found: x", NotFoundError, False),
        (grpc.StatusCode.UNKNOWN, "list not found: x", NotFoundError, False),
        (grpc.StatusCode.UNKNOWN, "out of range. Count must be within range [0,Capacity]", OutOfRangeError, False),
        (grpc.StatusCode.UNKNOWN, "already exists. Value: x already in List: players", AlreadyExistsError, False),
        (grpc.StatusCode.UNKNOWN, "players are already at capacity", OutOfRangeError, False),
        (grpc.StatusCode.UNKNOWN, "something else entirely", AgonesError, False),
        (grpc.StatusCode.INTERNAL, "boom", AgonesError, False),
    ],
)
def test_mapping(code: grpc.StatusCode, details: str, expected: type[AgonesError], retriable: bool) -> None:
    error = from_rpc_error(_rpc_error(code, details), "UpdateCounter")
    assert type(error) is expected
    assert error.retriable is retriable
    assert error.code is code
    assert str(error).startswith("UpdateCounter: ")


def test_error_classes_are_also_the_builtin_kinds() -> None:
    assert issubclass(InvalidArgumentError, ValueError)
    assert issubclass(NotFoundError, LookupError)
    assert issubclass(SidecarUnavailableError, ConnectionError)
    assert issubclass(SidecarTimeoutError, TimeoutError)
