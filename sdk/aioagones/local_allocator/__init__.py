"""A local Agones allocator: `AllocationService` over local sidecars, for matchmaker development.

Run it with `agones-local-allocator` (or `python -m aioagones.local_allocator`), or in-process with
`LocalAllocator`. It serves `allocation.AllocationService/Allocate` (gRPC) and `POST
/gameserverallocation` (REST, grpc-gateway JSON) on one port, plaintext, TLS or mutual TLS, and
allocates among the GameServers of the local sidecars it is pointed at, driving each through its
HTTP `/local` surface, with Agones' selector, ordering and action rules (see `_select`).

Not imported by `import aioagones`.
"""

from aioagones.local_allocator._select import NO_GAME_SERVER, AllocationError, LocalGameServer
from aioagones.local_allocator._service import DEFAULT_PORT, LocalAllocator

__all__ = ["DEFAULT_PORT", "NO_GAME_SERVER", "AllocationError", "LocalAllocator", "LocalGameServer"]
