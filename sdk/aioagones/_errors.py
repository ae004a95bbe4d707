"""The SDK's exceptions, and the one place where gRPC errors become them.

A caller acts on the class: `retriable` says whether the same call may succeed later
(the sidecar was away or slow) or will fail the same way until something else changes.
The reference sidecar reports most player/counter/list failures as UNKNOWN with the
intended code as a message prefix, so both the status code and the text are read.
"""

from __future__ import annotations

import grpc


class AgonesError(Exception):
    """Base of every error this SDK raises."""

    retriable: bool = False

    def __init__(self, message: str, *, code: grpc.StatusCode | None = None) -> None:
        super().__init__(message)
        self.code = code


class SidecarUnavailableError(AgonesError, ConnectionError):
    """The sidecar cannot be reached (not started yet, restarting, or gone). Worth retrying."""

    retriable = True


class SidecarTimeoutError(AgonesError, TimeoutError):
    """The sidecar did not answer within the deadline. Worth retrying."""

    retriable = True


class NotFoundError(AgonesError, LookupError):
    """No such counter, list, or list value."""


class OutOfRangeError(AgonesError):
    """A count or capacity out of its range, or no capacity left (players, list values)."""


class AlreadyExistsError(AgonesError):
    """The value is already in the list."""


class InvalidArgumentError(AgonesError, ValueError):
    """The request itself is wrong (a bad label key, a negative duration ...); fix the call."""


class SDKClosedError(AgonesError, RuntimeError):
    """The SDK was closed (or never connected); open a new one."""


_BY_CODE: dict[grpc.StatusCode, type[AgonesError]] = {
    grpc.StatusCode.UNAVAILABLE: SidecarUnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: SidecarTimeoutError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.OUT_OF_RANGE: OutOfRangeError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: OutOfRangeError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
}

# Message beginnings of the reference sidecar's UNKNOWN errors, lower-cased.
_BY_PREFIX: tuple[tuple[str, type[AgonesError]], ...] = (
    ("not found", NotFoundError),
    ("counter not found", NotFoundError),
    ("list not found", NotFoundError),
    ("out of range", OutOfRangeError),
    ("players are already at capacity", OutOfRangeError),
    ("already exists", AlreadyExistsError),
    ("invalid argument", InvalidArgumentError),
)


def from_rpc_error(error: grpc.aio.AioRpcError, method: str) -> AgonesError:
    """The AgonesError for a failed call of `method`."""
    code, details = error.code(), error.details() or ""
    cls = _BY_CODE.get(code)
    if cls is None and code == grpc.StatusCode.UNKNOWN:
        lowered = details.lower()
        cls = next((c for prefix, c in _BY_PREFIX if lowered.startswith(prefix)), None)
    if cls is SidecarUnavailableError:
        return cls(f"{method}: the sidecar is unavailable ({details}); retry when it is back", code=code)
    if cls is SidecarTimeoutError:
        return cls(f"{method}: the sidecar did not answer before the deadline; retry", code=code)
    return (cls or AgonesError)(f"{method}: {details or code.name}", code=code)


class NoPodIPError(AgonesError, LookupError):
    """The GameServer has no Pod IP yet (Agones 1.58+ may make it Ready or Allocated first). Retry shortly.

    Its addresses gain `PodIP` entries as soon as the Pod has its IPs: watch the GameServer
    (`sdk.watch_game_server()`, `kubectl get gs NAME -w`) or read it again in a moment. The
    node's address is no substitute: under `portPolicy: None` nothing listens there.
    """

    retriable = True


class PortNotFoundError(AgonesError, LookupError):
    """The GameServer has no port of that name (see its `ports`)."""
