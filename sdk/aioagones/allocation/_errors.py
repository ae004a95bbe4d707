"""The allocation client's errors, in the SDK's `AgonesError` tree.

A caller acts on the class: `NoGameServerAvailableError` (ask again later, scale the Fleet),
`AllocatorTLSError` (fix the file or setting it names; retrying cannot help),
`AllocatorUnavailableError` / `AllocatorTimeoutError` (retriable: the client already retried
them until its deadline), `InvalidArgumentError` (fix the request).
"""

from __future__ import annotations

from .._errors import AgonesError


class AllocationError(AgonesError):
    """Base of the allocation client's errors; raised itself for a refusal no subclass describes."""


class NoGameServerAvailableError(AllocationError):
    """No GameServer matched the request (gRPC RESOURCE_EXHAUSTED, REST 429). Not retried by the client."""


class AllocatorUnavailableError(AllocationError, ConnectionError):
    """The allocator could not be reached (refused, unresolvable, dropped) until the deadline. Retriable."""

    retriable = True


class AllocatorTimeoutError(AllocationError, TimeoutError):
    """The allocator did not answer before the deadline. Retriable (a late answer may have allocated)."""

    retriable = True


class AllocatorTLSError(AllocationError, ConnectionError):
    """TLS failed: a certificate refused or not trusted, or TLS on one side only. `setting` names what to fix."""

    def __init__(self, message: str, *, setting: str, path: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting
        self.path = path


class AllocationClientClosedError(AllocationError, RuntimeError):
    """The client was closed; make a new one (or use it inside `async with`)."""
