"""Reload on edit: a write to the `-f` manifest is applied to the running GameServer.

Agones' `sdk-server --local` watches its file and, on each write, replaces its GameServer with
the file's and pushes it to every watcher; developers use that to act as the cluster (add a
label, set `status.state: Allocated`). We do the same, by polling the file's metadata (no new
dependency, and it also sees an editor that saves by renaming a new file over the old one).

What an edit changes (`reloaded_game_server`):

- metadata and spec come from the file, as at start; what a cluster keeps for the life of a
  GameServer is kept when the file does not say it: uid, a `generateName` name, the creation
  time. `generation` and `resource_version` move on, as an update in a cluster does.
- derived fields are derived again: `status.ports` from `spec.ports` by port policy (a Dynamic
  or Passthrough port keeps the port it was given), `status.addresses` from this machine's
  addresses. The file's `status.address`, `status.ports` and `status.addresses` are ignored.
- any of `status.state`, `status.players`, `status.counters`, `status.lists` in the file replace
  the current value; what the file leaves out keeps its current value (a counter or list new in
  `spec` starts from its `spec` value). A new state cancels a pending Reserve.

A file that cannot be read or is refused is logged with the reason and ignored: the sidecar
keeps serving the last good GameServer, and the next write is tried again.

A file is read only once it has stopped changing, because a write in place (`>`, most programs)
truncates the file and fills it again, and a prefix of a manifest is often a valid manifest
that lacks the rest: applied, it would drop every counter and list below the cut. So a new
version of the file (its inode, size, modification and change times) is applied only when a
second look, one poll later, sees it unchanged; the bytes are read from one open file whose
metadata must be the same before and after the read (else the next poll tries again); and a
file that does not end with a newline (an empty one, a cut mid-line) waits `SETTLE_SECONDS`
unchanged. A writer that pauses longer than that mid-write can still be caught half-way:
editors that save by renaming a complete file over the old one never are.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aioagones._constants import MAX_LIST_CAPACITY
from aioagones._models import State
from aioagones.local._host import DYNAMIC_PORT_RANGE, free_port, local_addresses
from aioagones.local._manifest import PortAllocator, game_server_from_manifest, parse_manifest, read_manifest
from aioagones.local._reader import ManifestError, Reader
from aioagones.local._rules import GameServerRules
from aioagones.local._state import CounterState, GameServerState, ListState, PlayerState

__all__ = ["POLL_SECONDS", "SETTLE_SECONDS", "ManifestWatcher", "read_unchanged", "reloaded_game_server"]

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25
"""How often the file's metadata is checked: an edit reaches watchers well within a second."""

SETTLE_SECONDS = 1.0
"""How long a file that does not end with a newline must stay unchanged before it is read."""

KNOWN_STATES = tuple(state.value for state in State)
DERIVED_STATUS = ("address", "ports", "addresses")


def _spec_ports(manifest: Mapping[str, Any]) -> list[Any]:
    spec = manifest.get("spec")
    if manifest.get("kind") == "Fleet":
        template = spec.get("template") if isinstance(spec, dict) else None
        spec = template.get("spec") if isinstance(template, dict) else None
    ports = spec.get("ports") if isinstance(spec, dict) else None
    return ports if isinstance(ports, list) else []


def _sticky(manifest: Mapping[str, Any], current: GameServerState, fallback: PortAllocator) -> PortAllocator:
    """An allocator that gives a Dynamic/Passthrough port the port it had before, if it still can.

    The game has that port bound, so asking the machine for a free one would move it away.
    The manifest's allocator is called once per Dynamic/Passthrough port, in spec order.
    """
    names = iter(
        [
            port.get("name")
            for port in _spec_ports(manifest)
            if isinstance(port, dict) and port.get("portPolicy", "Dynamic") in ("Dynamic", "Passthrough")
        ]
    )
    previous = dict(current.ports)

    def allocate(protocol: str, taken: set[int]) -> int:
        name = next(names, None)
        key = f"{name}-tcp" if protocol == "TCPUDP" else str(name)
        port = previous.get(key)
        if port is not None and port in DYNAMIC_PORT_RANGE and port not in taken:
            return port
        return fallback(protocol, taken)

    return allocate


def _next_version(version: str) -> str:
    match = re.fullmatch(r"(.*?)(\d+)", version)
    return f"{match[1]}{int(match[2]) + 1}" if match else f"{version}1"


def _unique_strings(value: object, path: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ManifestError(f"{path}: expected a list of strings")
    if len(set(value)) != len(value):
        raise ManifestError(f"{path}: values must be unique")
    return list(value)


def _apply_status(status: Reader, gs: GameServerState) -> None:
    state = status.text("state")
    if state is not None:
        if state not in KNOWN_STATES:
            raise ManifestError(f"status.state: {state!r} is not one of {', '.join(KNOWN_STATES)}")
        gs.state = state
    if "players" in status.data:
        players = status.mapping("players")
        base = gs.players or PlayerState()
        capacity = players.number("capacity", base.capacity) or 0
        ids = players.data.get("ids")
        gs.players = PlayerState(capacity, base.ids if ids is None else _unique_strings(ids, "status.players.ids"))
    counters = status.mapping("counters")
    for name in counters.data:
        counter = counters.mapping(str(name))
        base_counter = gs.counters.get(str(name), CounterState())
        capacity = counter.number("capacity", base_counter.capacity) or 0
        count = counter.number("count", base_counter.count) or 0
        if count > capacity:
            raise ManifestError(f"{counter.path}.count: {count} is out of range; allowed: 0..{capacity}")
        gs.counters[str(name)] = CounterState(count=count, capacity=capacity)
    lists = status.mapping("lists")
    for name in lists.data:
        lst = lists.mapping(str(name))
        base_list = gs.lists.get(str(name), ListState())
        capacity = lst.number("capacity", base_list.capacity, high=MAX_LIST_CAPACITY) or 0
        values = lst.data.get("values")
        values = base_list.values if values is None else _unique_strings(values, f"{lst.path}.values")
        if len(values) > capacity:
            raise ManifestError(f"{lst.path}.values: {len(values)} values; the capacity is {capacity}")
        gs.lists[str(name)] = ListState(capacity=capacity, values=list(values))


def reloaded_game_server(
    current: GameServerState,
    manifest: Mapping[str, Any],
    *,
    addresses: Sequence[str],
    allocate_port: PortAllocator,
) -> GameServerState:
    """The GameServer after its manifest was edited to `manifest` (see the module docstring).

    `current` is not changed.

    Raises:
        ManifestError: naming the first field that is wrong and what is allowed.
    """
    new = game_server_from_manifest(
        manifest,
        now=current.creation_timestamp,
        allocate_port=_sticky(manifest, current, allocate_port),
        addresses=addresses,
        uid=current.uid,
        # keeps a generateName (or Fleet) name as it is: same prefix, same 5 characters
        name_suffix=current.name[-5:],
    )
    new.generation = current.generation + 1
    new.resource_version = _next_version(current.resource_version)
    new.state = current.state
    if current.players is not None:
        new.players = copy.deepcopy(current.players)
    new.counters = {name: copy.copy(current.counters.get(name, spec)) for name, spec in new.counters.items()}
    new.lists = {name: copy.deepcopy(current.lists.get(name, spec)) for name, spec in new.lists.items()}
    if manifest.get("kind", "GameServer") == "GameServer":
        _apply_status(Reader(manifest.get("status"), "status"), new)
    return new


Signature = tuple[int, int, int, int]


def _of(st: os.stat_result) -> Signature:
    # Size and inode too: two writes within one mtime tick, or a rename over the file, still differ.
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _signature(path: Path) -> Signature | None:
    try:
        return _of(os.stat(path))
    except OSError:
        return None


def read_unchanged(path: Path, expected: Signature) -> bytes | None:
    """The file's bytes if it is still the version `expected` before, during and after the read; else None.

    Raises:
        ManifestError: the file cannot be read.
    """
    try:
        with open(path, "rb") as f:
            if _of(os.fstat(f.fileno())) != expected:
                return None
            data = f.read()
            if _of(os.fstat(f.fileno())) != expected or len(data) != expected[1]:
                return None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return data if _signature(path) == expected else None


class ManifestWatcher:
    """Polls one manifest file and applies each write to a running sidecar's GameServer.

    Created with the server, so a write while the server is stopped is applied at its next start.
    """

    def __init__(self, path: str | os.PathLike[str], *, interval: float = POLL_SECONDS) -> None:
        self.path = Path(path)
        self.interval = interval
        self._seen = _signature(self.path)
        self._pending: Signature | None = None  # a new version, seen unchanged since `_pending_since`
        self._pending_since = 0.0

    async def run(self, rules: GameServerRules, publish: Callable[[], None], clock: Callable[[], float]) -> None:
        """Poll forever (until cancelled); after each applied write call `publish()`."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                applied = self.poll(rules, clock())
            except Exception:
                # A bug here must not end reloading for the rest of the session.
                logger.exception("%s: edit ignored, still serving the last good GameServer", self.path)
                continue
            if applied:
                publish()

    def poll(self, rules: GameServerRules, now: float) -> bool:
        """One look at the file: apply a new version once it has stopped changing; True if applied."""
        signature = _signature(self.path)
        if signature == self._seen:
            self._pending = None
            return False
        if signature is None:
            self._seen = self._pending = None
            logger.warning("%s: gone; still serving the last good GameServer until it is back", self.path)
            return False
        if signature != self._pending:
            self._pending, self._pending_since = signature, now  # perhaps still being written: look again
            return False
        try:
            data = read_unchanged(self.path, signature)
        except ManifestError as exc:
            self._seen = signature
            logger.error(
                "%s: edit ignored, still serving the last good GameServer: %s", self.path, _reason(exc, self.path)
            )
            return False
        if data is None:
            return False  # it changed while being read: the next look starts over
        if not data.endswith(b"\n") and now - self._pending_since < SETTLE_SECONDS:
            return False  # empty, or cut mid-line, perhaps: give the writer time to finish
        self._seen, self._pending = signature, None
        return self.apply(rules, now, data)

    def apply(self, rules: GameServerRules, now: float, data: bytes | None = None) -> bool:
        """Reload the file (or `data` read from it) into `rules` now; False (and a logged reason) if refused."""
        try:
            manifest = read_manifest(self.path) if data is None else parse_manifest(data, str(self.path))
            new = reloaded_game_server(
                rules.game_server, manifest, addresses=local_addresses(), allocate_port=free_port
            )
        except ManifestError as exc:
            logger.error(
                "%s: edit ignored, still serving the last good GameServer: %s", self.path, _reason(exc, self.path)
            )
            return False
        status = manifest.get("status")
        ignored = [key for key in DERIVED_STATUS if isinstance(status, dict) and key in status]
        if ignored:
            logger.warning(
                "%s: status.%s ignored: derived from spec.ports and this machine's addresses",
                self.path,
                ", status.".join(ignored),
            )
        before = rules.game_server.state
        rules.replace(new, now)
        logger.info("%s: reloaded GameServer %r (state %s -> %s)", self.path, new.name, before, new.state)
        return True


def _reason(exc: ManifestError, path: Path) -> str:
    return str(exc).removeprefix(f"{path}: ")
