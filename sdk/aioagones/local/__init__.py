"""The local Agones sidecar: for development on a laptop and for tests, no cluster needed.

Run it with `agones-local-sidecar` (or `python -m aioagones.local`), or in-process with
`SidecarServer` (tests usually want `aioagones.testing.LocalSidecar`).
"""

from aioagones.local._manifest import (
    ManifestError,
    default_game_server,
    game_server_from_manifest,
    load_game_server,
    local_addresses,
    read_manifest,
)
from aioagones.local._rules import (
    Code,
    CounterState,
    GameServerRules,
    GameServerState,
    HealthSpec,
    ListState,
    PlayerState,
    SidecarError,
)
from aioagones.local._server import DEFAULT_PORT, SidecarServer

__all__ = [
    "DEFAULT_PORT",
    "Code",
    "CounterState",
    "GameServerRules",
    "GameServerState",
    "HealthSpec",
    "ListState",
    "ManifestError",
    "PlayerState",
    "SidecarError",
    "SidecarServer",
    "default_game_server",
    "game_server_from_manifest",
    "load_game_server",
    "local_addresses",
    "read_manifest",
]
