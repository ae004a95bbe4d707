"""aioagones.allocation: allocate GameServers from Agones' allocator service, and where players connect.

async with AllocationClient("allocator.example.com:443", ca="ca.crt", cert="tls.crt", key="tls.key") as client:
    allocation = await client.allocate(selectors=[GameServerSelector({"agones.dev/fleet": "my-fleet"})])
    endpoints = allocation.endpoints("default")   # Pod IPs, IPv6 first: hand these to the player

Not imported by `import aioagones`: a game server that only uses the SDK never loads it.
"""

from .._endpoints import Endpoint
from .._errors import InvalidArgumentError, NoPodIPError, PortNotFoundError
from ._client import AllocationClient
from ._errors import (
    AllocationClientClosedError,
    AllocationError,
    AllocatorTimeoutError,
    AllocatorTLSError,
    AllocatorUnavailableError,
    NoGameServerAvailableError,
)
from ._request import (
    AllocationRequest,
    CounterAction,
    CounterSelector,
    GameServerSelector,
    LabelExpression,
    ListAction,
    ListSelector,
    Priority,
    Scheduling,
)
from ._result import Allocation
from ._tls import TLSConfig

__all__ = [
    "Allocation",
    "AllocationClient",
    "AllocationClientClosedError",
    "AllocationError",
    "AllocationRequest",
    "AllocatorTLSError",
    "AllocatorTimeoutError",
    "AllocatorUnavailableError",
    "CounterAction",
    "CounterSelector",
    "Endpoint",
    "GameServerSelector",
    "InvalidArgumentError",
    "LabelExpression",
    "ListAction",
    "ListSelector",
    "NoGameServerAvailableError",
    "NoPodIPError",
    "PortNotFoundError",
    "Priority",
    "Scheduling",
    "TLSConfig",
]
