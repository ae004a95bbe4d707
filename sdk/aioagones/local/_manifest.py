"""The GameServer the local sidecar starts with: the reference default, or one read from a manifest.

A manifest's `status` is ignored (unlike `sdk-server --local`, which copies it): the status is
derived, as a cluster derives it. Fields the local sidecar has no use for (`spec.template`,
`spec.scheduling`, `spec.sdkServer` ...) are accepted and ignored.

`game_server_from_manifest` is pure: it checks a parsed manifest (a dict, YAML keys in
camelCase) and builds a `GameServerState` the way a cluster would, with the port allocator,
the machine's addresses, the clock and the random parts passed in. `read_manifest` reads a
YAML or JSON file; the real-machine inputs (`free_port`, `local_addresses`) come from `_host`.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aioagones._constants import MAX_LIST_CAPACITY
from aioagones._models import State
from aioagones._reading import ReadError, load_yaml
from aioagones.local._host import DYNAMIC_PORT_RANGE, free_port, local_addresses
from aioagones.local._reader import ManifestError, Reader, kind_of, read_timestamp
from aioagones.local._state import CounterState, GameServerState, HealthSpec, ListState, PlayerState

__all__ = [
    "ManifestError",
    "PortAllocator",
    "default_game_server",
    "game_server_from_manifest",
    "load_game_server",
    "name_suffix",
    "parse_manifest",
    "read_manifest",
]

PORT_POLICIES = ("Dynamic", "Static", "Passthrough", "None")
PROTOCOLS = ("UDP", "TCP", "TCPUDP")
MAX_ENTRIES = 1000
# Agones' defaults for spec.health; a zero or missing value means the default.
HEALTH_DEFAULTS = HealthSpec(disabled=False, period_seconds=5, failure_threshold=3, initial_delay_seconds=5)
_NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for generateName

PortAllocator = Callable[[str, set[int]], int]
"""Called with a protocol (`UDP`, `TCP` or `TCPUDP`) and the ports already taken; returns a free port."""


def default_game_server(now: float, addresses: Sequence[str] = ()) -> GameServerState:
    """The GameServer the reference `sdk-server --local` serves when given no file.

    `addresses` (this machine's, as for a manifest) are listed as `PodIP` entries; the reference
    lists none, which leaves a game that looks for its Pod IPs with nothing to show.
    """
    return GameServerState(
        name="local",
        namespace="default",
        uid="1234",
        resource_version="v1",
        generation=1,
        creation_timestamp=int(now),
        labels={"islocal": "true"},
        annotations={"annotation": "true"},
        health=HealthSpec(disabled=False, period_seconds=3, failure_threshold=5, initial_delay_seconds=10),
        state=State.READY,
        address="127.0.0.1",
        ports=[("default", 7777)],
        addresses=[("PodIP", a) for a in addresses],
        players=PlayerState(),
        counters={"rooms": CounterState(count=1, capacity=10)},
        lists={"players": ListState(capacity=100, values=["test0", "test1", "test2"])},
    )


def parse_manifest(data: bytes, source: str) -> dict[str, Any]:
    """A GameServer manifest from the bytes of a YAML or JSON document (JSON is YAML).

    Bounded by `aioagones._reading`: at most 1 MiB, nested at most 64 deep.

    Raises:
        ManifestError: one line, starting with `source`: not UTF-8, not YAML/JSON, too large or
            too deep, or not a mapping.
    """
    try:
        doc = load_yaml(data)
    except ReadError as exc:
        raise ManifestError(f"{source}: {exc}") from None
    if not isinstance(doc, dict):
        raise ManifestError(f"{source}: expected a GameServer object, got {kind_of(doc)}")
    return doc


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read a GameServer manifest from a YAML or JSON file.

    Raises:
        ManifestError: the file cannot be read, or `parse_manifest` refuses it.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return parse_manifest(data, str(path))


def _health(spec: Reader) -> HealthSpec:
    health = spec.mapping("health")
    disabled = health.flag("disabled", False)
    period = health.number("periodSeconds", 0) or HEALTH_DEFAULTS.period_seconds
    threshold = health.number("failureThreshold", 0) or HEALTH_DEFAULTS.failure_threshold
    delay = health.number("initialDelaySeconds", 0) or HEALTH_DEFAULTS.initial_delay_seconds
    return HealthSpec(disabled, period, threshold, delay)


def _ports(spec: Reader, allocate: PortAllocator) -> list[tuple[str, int]]:
    raw = spec.data.get("ports")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ManifestError(f"{spec.path}.ports: expected a list, got {kind_of(raw)}")
    result: list[tuple[str, int]] = []
    names: set[str] = set()
    taken: set[int] = set()
    for i, item in enumerate(raw):
        port = Reader(item, f"{spec.path}.ports[{i}]")
        name = port.text("name")
        if not name:
            raise ManifestError(f"{port.path}.name: required (the name the SDK finds the port by)")
        if name in names:
            raise ManifestError(f"{port.path}.name: {name!r} is used by an earlier port")
        names.add(name)
        policy = port.choice("portPolicy", PORT_POLICIES, "Dynamic")
        protocol = port.choice("protocol", PROTOCOLS, "UDP")
        container_port = port.number("containerPort", low=1, high=65535)
        host_port = port.number("hostPort", low=1, high=65535)
        port.text("container")
        port.text("range")
        if policy in ("Dynamic", "Static") and container_port is None:
            raise ManifestError(f"{port.path}.containerPort: required with portPolicy {policy}")
        if policy == "Static":
            if host_port is None:
                raise ManifestError(f"{port.path}.hostPort: required with portPolicy Static")
            number = host_port
        elif policy == "None":
            number = container_port or 0  # optional for None; a cluster then reports 0
        else:
            number = allocate(protocol, taken)
            if number not in DYNAMIC_PORT_RANGE:
                raise ManifestError(f"{port.path}: no free port in 7000-8000 for portPolicy {policy}")
        taken.add(number)
        if protocol == "TCPUDP":
            result += [(f"{name}-tcp", number), (f"{name}-udp", number)]
        else:
            result.append((name, number))
    return result


def _counters(spec: Reader) -> dict[str, CounterState]:
    counters = spec.mapping("counters")
    if len(counters.data) > MAX_ENTRIES:
        raise ManifestError(f"{counters.path}: {len(counters.data)} counters; at most {MAX_ENTRIES}")
    result: dict[str, CounterState] = {}
    for name in counters.data:
        counter = counters.mapping(str(name))
        capacity = counter.number("capacity", 1000) or 0
        count = counter.number("count", 0) or 0
        if count > capacity:
            raise ManifestError(f"{counter.path}.count: {count} is out of range; allowed: 0..{capacity}")
        result[str(name)] = CounterState(count=count, capacity=capacity)
    return result


def _lists(spec: Reader) -> dict[str, ListState]:
    lists = spec.mapping("lists")
    if len(lists.data) > MAX_ENTRIES:
        raise ManifestError(f"{lists.path}: {len(lists.data)} lists; at most {MAX_ENTRIES}")
    result: dict[str, ListState] = {}
    for name in lists.data:
        lst = lists.mapping(str(name))
        capacity = lst.number("capacity", MAX_LIST_CAPACITY, high=MAX_LIST_CAPACITY) or 0
        values = lst.data.get("values") or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ManifestError(f"{lst.path}.values: expected a list of strings")
        if len(set(values)) != len(values):
            raise ManifestError(f"{lst.path}.values: values must be unique")
        if len(values) > capacity:
            raise ManifestError(f"{lst.path}.values: {len(values)} values; the capacity is {capacity}")
        result[str(name)] = ListState(capacity=capacity, values=list(values))
    return result


def game_server_from_manifest(
    manifest: Mapping[str, Any],
    *,
    now: float,
    allocate_port: PortAllocator,
    addresses: Sequence[str],
    uid: str,
    name_suffix: str,
) -> GameServerState:
    """Build the starting GameServer for a manifest, as a cluster would (state `Scheduled`).

    A `Fleet` gives one GameServer from its `spec.template`, named `<fleet>-<suffix>` and
    labelled `agones.dev/fleet`.

    Args:
        manifest: the parsed manifest (camelCase keys, as in YAML).
        now: Unix time, for a missing `metadata.creationTimestamp`.
        allocate_port: picks the port for a `Dynamic` or `Passthrough` port.
        addresses: this machine's addresses, listed as `PodIP` entries; the first is `status.address`.
        uid: the uid when the manifest has none.
        name_suffix: appended to `metadata.generateName` (5 characters in a cluster).

    Raises:
        ManifestError: naming the first field that is wrong and what is allowed.
    """
    doc = Reader(dict(manifest), "")
    kind = doc.choice("kind", ("GameServer", "Fleet"), "GameServer")
    api_version = doc.text("apiVersion")
    if api_version is not None and api_version != "agones.dev/v1":
        raise ManifestError(f"apiVersion: {api_version!r} is not one of agones.dev/v1")
    labels: dict[str, str] = {}
    if kind == "Fleet":
        # One GameServer of the Fleet, as the cluster would create it from spec.template.
        fleet_meta = doc.mapping("metadata")
        fleet = fleet_meta.text("name")
        if not fleet:
            raise ManifestError("metadata.name: required for a Fleet")
        template = doc.mapping("spec").mapping("template")
        meta, spec = template.mapping("metadata"), template.mapping("spec")
        name = f"{fleet}-{name_suffix}"
        namespace = fleet_meta.text("namespace") or meta.text("namespace")
        labels["agones.dev/fleet"] = fleet
    else:
        meta, spec = doc.mapping("metadata"), doc.mapping("spec")
        name = meta.text("name") or ""
        if not name:
            prefix = meta.text("generateName")
            if not prefix:
                raise ManifestError("metadata.name: required (or metadata.generateName)")
            name = prefix + name_suffix
        namespace = meta.text("namespace")
    players_spec = spec.mapping("players")
    players = None
    if "players" in spec.data:
        players = PlayerState(capacity=players_spec.number("initialCapacity", 0) or 0)
    return GameServerState(
        name=name,
        namespace=namespace or "default",
        uid=meta.text("uid") or uid,
        resource_version="1",
        generation=1,
        creation_timestamp=read_timestamp(meta.data.get("creationTimestamp"), f"{meta.path}.creationTimestamp", now),
        labels=meta.strings("labels") | labels,
        annotations=meta.strings("annotations"),
        health=_health(spec),
        state=State.SCHEDULED,
        address=addresses[0] if addresses else "",
        ports=_ports(spec, allocate_port),
        addresses=[("PodIP", a) for a in addresses],
        players=players,
        counters=_counters(spec),
        lists=_lists(spec),
    )


def name_suffix(random_bytes: bytes) -> str:
    """Five characters for a `generateName`, from 5 random bytes."""
    return "".join(_NAME_SUFFIX_ALPHABET[b % len(_NAME_SUFFIX_ALPHABET)] for b in random_bytes[:5])


def load_game_server(manifest: str | Path | Mapping[str, Any] | None) -> GameServerState:
    """The starting GameServer on this machine: the reference default, or one from a manifest.

    Args:
        manifest: None for the reference default; a path to a YAML or JSON file; or the parsed
            manifest itself.

    Raises:
        ManifestError: the manifest cannot be read or is refused.
    """
    now = time.time()
    if manifest is None:
        return default_game_server(now, local_addresses())
    doc = read_manifest(manifest) if isinstance(manifest, str | Path) else manifest
    try:
        return game_server_from_manifest(
            doc,
            now=now,
            allocate_port=free_port,
            addresses=local_addresses(),
            uid=str(uuid.uuid4()),
            name_suffix=name_suffix(os.urandom(5)),
        )
    except ManifestError as exc:
        if isinstance(manifest, str | Path):
            raise ManifestError(f"{manifest}: {exc}") from None
        raise
