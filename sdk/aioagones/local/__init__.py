"""The local Agones sidecar: for development on a laptop and for tests, no cluster needed.

Run it with `agones-local-sidecar` (or `python -m aioagones.local`); in-process, the one class
is `aioagones.testing.LocalSidecar` (also what `sample-game-server --run-local-sidecar` runs). This
package exports what reads and describes a GameServer as the sidecar serves it; the engine under
both, `_server.SidecarServer`, is private.

What it does:

- Serves `agones.dev.sdk.SDK`, `agones.dev.sdk.alpha.SDK` and `agones.dev.sdk.beta.SDK` over
  grpc.aio and, with `http_port`, as Agones' REST API (aiohttp), both from one table of calls
  (`_operations`) over one core, and logs each call in one line (`SetLabel(key='mode', value='ctf') -> ok`).
- Acts as the cluster under `/local/...` on the HTTP port (and `LocalSidecar.allocate()` ...):
  any state, a GameServerAllocation with metadata, counter and list actions, health checking off,
  a reset to a fresh GameServer; `GET /local/openapi.json` describes every route (docs/rest.md).
- Without a manifest it serves the GameServer of Agones' `sdk-server --local` (name `local`,
  state `Ready`, port `default` 7777, counter `rooms`, list `players` ...), with this machine's
  addresses as `PodIP` entries.
- With a manifest it starts `Scheduled`, takes metadata, `spec.health`, `spec.counters`,
  `spec.lists` and `spec.players` from it, derives `status.ports` from `spec.ports` by port
  policy and lists this machine's addresses as `PodIP` entries (see `_manifest`).
- With a manifest file, each write to it is applied as `sdk-server --local` does (metadata,
  spec and the file's `status.state`/`players`/`counters`/`lists`; ports and Pod IPs derived
  again) and sent to every watcher; a file that is refused is logged and ignored (see `_reload`).
- Health checking as in a cluster: `Unhealthy` once `failureThreshold` periods pass without a
  ping after `initialDelaySeconds`, unless `spec.health.disabled`; the clock starts at the game's
  first call, so the sidecar can be left running. The SDK cannot move a GameServer out of
  `Unhealthy`; a new game process that acts on it gets a fresh one from the same manifest, as a
  Fleet would replace it (or `agones-local-sidecar reset`).
- Labels and annotations are stored as `agones.dev/sdk-<key>` and validated; players, counters
  and lists follow the reference sidecar, with proper status codes and its message texts.
- Every watcher gets the current GameServer, then each change; a slow one skips ahead.
- On stop, open watch and health streams end with UNAVAILABLE, as when a sidecar goes away.
"""

from aioagones.local._manifest import default_game_server, load_game_server
from aioagones.local._reader import ManifestError
from aioagones.local._server import DEFAULT_PORT
from aioagones.local._state import GameServerState, SidecarError

__all__ = [
    "DEFAULT_PORT",
    "GameServerState",
    "ManifestError",
    "SidecarError",
    "default_game_server",
    "load_game_server",
]
