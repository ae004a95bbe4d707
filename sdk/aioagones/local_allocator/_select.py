"""Agones' allocation rules over a handful of local GameServers: pure code, no I/O.

Ported in meaning from Agones' `pkg/gameserverallocations` (1.61-dev):

- The selectors are `gameServerSelectors`, or (when that is empty) the deprecated
  `preferredGameServerSelectors` followed by `requiredGameServerSelector`; with neither, one empty
  selector that matches any Ready GameServer. The first selector with a match wins, whatever the
  GameServer order; within a selector the first GameServer in the order below wins.
- A selector matches a GameServer in the request's namespace whose labels satisfy `matchLabels`
  and `matchExpressions`, whose state is the selector's (`READY` by default, or `ALLOCATED`), and
  whose counters and lists satisfy the count and available-capacity bounds (0 as a maximum means
  no limit; a counter or list the GameServer lacks never matches).
- Order, `Packed`: Allocated GameServers first, then by node, the node with the most Allocated and
  then the most Ready GameServers first, then by `priorities`, then by name. `Distributed`: a
  random order, or with `priorities` sorted by them and then by name. The node of a local
  GameServer is the sidecar's host unless the GameServer lists a `Hostname` address.
"""

from __future__ import annotations

import functools
import random
from collections import Counter as _Tally
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc

from aioagones._pb import allocation_pb2 as pb

__all__ = ["AllocationError", "LocalGameServer", "allocation_response", "choose", "selectors_of", "validate"]

NO_GAME_SERVER = "there is no available GameServer to allocate"
"""The error message when no GameServer matches, as Agones' allocator words it."""

_STATE = {pb.GameServerSelector.READY: "Ready", pb.GameServerSelector.ALLOCATED: "Allocated"}
_Op = pb.LabelMatchExpressions


class AllocationError(Exception):
    """A refusal with its gRPC status code (REST maps it as grpc-gateway does)."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class LocalGameServer:
    """One local sidecar's GameServer, as read from its `GET /local/gameserver`."""

    sidecar: str
    node: str
    name: str
    namespace: str
    state: str
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    address: str = ""
    addresses: tuple[tuple[str, str], ...] = ()
    ports: tuple[tuple[str, int], ...] = ()
    counters: dict[str, tuple[int, int]] = field(default_factory=dict)
    """name -> (count, capacity)"""
    lists: dict[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    """name -> (capacity, values)"""

    @classmethod
    def from_json(cls, data: dict[str, Any], sidecar: str, host: str) -> LocalGameServer:
        """From the sidecar's JSON (proto field names, int64 as strings, as grpc-gateway writes them).

        Raises:
            ValueError: the JSON is not a GameServer.
        """
        try:
            meta, status = data["object_meta"] or {}, data["status"] or {}
            addresses = tuple((str(a["type"]), str(a["address"])) for a in status.get("addresses") or ())
            return cls(
                sidecar=sidecar,
                node=next((a for t, a in addresses if t == "Hostname"), host),
                name=str(meta["name"]),
                namespace=str(meta.get("namespace") or ""),
                state=str(status.get("state") or ""),
                labels={str(k): str(v) for k, v in (meta.get("labels") or {}).items()},
                annotations={str(k): str(v) for k, v in (meta.get("annotations") or {}).items()},
                address=str(status.get("address") or ""),
                addresses=addresses,
                ports=tuple((str(p["name"]), int(p["port"])) for p in status.get("ports") or ()),
                counters={
                    str(k): (int(v.get("count") or 0), int(v.get("capacity") or 0))
                    for k, v in (status.get("counters") or {}).items()
                },
                lists={
                    str(k): (int(v.get("capacity") or 0), tuple(str(x) for x in v.get("values") or ()))
                    for k, v in (status.get("lists") or {}).items()
                },
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a GameServer ({type(exc).__name__}: {exc})") from None


def selectors_of(request: pb.AllocationRequest) -> list[pb.GameServerSelector]:
    """The selectors to try, in order (Agones' `Converter`)."""
    if request.gameServerSelectors:
        return list(request.gameServerSelectors)
    return [*request.preferredGameServerSelectors, request.requiredGameServerSelector]


def validate(request: pb.AllocationRequest) -> None:
    """Refuse what Agones' `GameServerAllocation.Validate` refuses (INVALID_ARGUMENT, naming the field).

    Raises:
        AllocationError: INVALID_ARGUMENT; UNIMPLEMENTED for multi-cluster allocation.
    """
    if request.multiClusterSetting.enabled:
        raise AllocationError(
            grpc.StatusCode.UNIMPLEMENTED, "multiClusterSetting.enabled: the local allocator has one cluster only"
        )
    problems: list[str] = []
    for i, sel in enumerate(selectors_of(request)):
        where = f"gameServerSelectors[{i}]"
        for j, expr in enumerate(sel.matchExpressions):
            if not expr.key:
                problems.append(f"{where}.matchExpressions[{j}].key: required")
            if expr.operator in (_Op.In, _Op.NotIn) and not expr.values:
                problems.append(f"{where}.matchExpressions[{j}].values: required for In and NotIn")
            if expr.operator in (_Op.Exists, _Op.DoesNotExist) and expr.values:
                problems.append(f"{where}.matchExpressions[{j}].values: must be empty for Exists and DoesNotExist")
        bounds: list[tuple[str, int, int]] = []
        for name, c in sel.counters.items():
            bounds += [(f"counters[{name}].Count", c.minCount, c.maxCount)]
            bounds += [(f"counters[{name}].Available", c.minAvailable, c.maxAvailable)]
        for name, lst in sel.lists.items():
            bounds += [(f"lists[{name}].Available", lst.minAvailable, lst.maxAvailable)]
        for what, low, high in bounds:
            head, _, suffix = what.rpartition(".")
            if low < 0 or high < 0:
                problems.append(f"{where}.{head}: min{suffix} and max{suffix} must be 0 or more")
            elif high != 0 and high < low:
                problems.append(f"{where}.{head}: max{suffix} must be 0 (no limit) or at least min{suffix} {low}")
    for i, priority in enumerate(request.priorities):
        if not priority.key:
            problems.append(f"priorities[{i}].key: required")
    for name, action in request.counters.items():
        has_action, has_amount = action.HasField("action"), action.HasField("amount")
        if has_action and action.action.value not in ("Increment", "Decrement"):
            problems.append(f"counters[{name}].action: {action.action.value!r}; use Increment or Decrement")
        if has_action != has_amount:
            problems.append(f"counters[{name}]: action and amount go together")
        if action.amount.value < 0 or action.capacity.value < 0:
            problems.append(f"counters[{name}]: amount and capacity must be 0 or more")
    for name, list_action in request.lists.items():
        if list_action.capacity.value < 0:
            problems.append(f"lists[{name}].capacity: must be 0 or more")
    if problems:
        raise AllocationError(grpc.StatusCode.INVALID_ARGUMENT, "invalid GameServerAllocation: " + "; ".join(problems))


def _labels_match(sel: pb.GameServerSelector, labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in sel.matchLabels.items()):
        return False
    for expr in sel.matchExpressions:
        present = expr.key in labels
        if expr.operator == _Op.In and not (present and labels[expr.key] in expr.values):
            return False
        if expr.operator == _Op.NotIn and present and labels[expr.key] in expr.values:
            return False
        if expr.operator == _Op.Exists and not present:
            return False
        if expr.operator == _Op.DoesNotExist and present:
            return False
    return True


def _within(value: int, low: int, high: int) -> bool:
    return value >= low and (high == 0 or value <= high)


def matches(sel: pb.GameServerSelector, gs: LocalGameServer) -> bool:
    """Whether `gs` satisfies one selector (labels, state, counters, lists)."""
    if not _labels_match(sel, gs.labels) or gs.state != _STATE.get(sel.gameServerState):
        return False
    for name, c in sel.counters.items():
        if name not in gs.counters:
            return False
        count, capacity = gs.counters[name]
        if not (_within(capacity - count, c.minAvailable, c.maxAvailable) and _within(count, c.minCount, c.maxCount)):
            return False
    for name, lst in sel.lists.items():
        if name not in gs.lists:
            return False
        capacity, values = gs.lists[name]
        if not _within(capacity - len(values), lst.minAvailable, lst.maxAvailable):
            return False
        if lst.containsValue and lst.containsValue not in values:
            return False
    return True


def _available(priority: pb.Priority, gs: LocalGameServer) -> int | None:
    if priority.type == pb.Priority.Counter:
        counter = gs.counters.get(priority.key)
        return None if counter is None else counter[1] - counter[0]
    lst = gs.lists.get(priority.key)
    return None if lst is None else lst[0] - len(lst[1])


def _priority_less(priorities: Iterable[pb.Priority], a: LocalGameServer, b: LocalGameServer) -> bool | None:
    # Agones' CompareCountAndListPriorities: less available capacity first (Ascending), a
    # GameServer that has the counter or list before one that lacks it; Descending flips the result.
    for p in priorities:
        avail_a, avail_b = _available(p, a), _available(p, b)
        descending = p.order == pb.Priority.Descending
        if avail_a is not None and avail_b is not None:
            result = None if avail_a == avail_b else avail_a < avail_b
        elif avail_a is not None:
            result = not descending
        elif avail_b is not None:
            result = descending
        else:
            result = None
        if result is not None:
            return not result if descending else result
    return None


def _ordered(
    request: pb.AllocationRequest, game_servers: Sequence[LocalGameServer], rng: random.Random
) -> list[LocalGameServer]:
    priorities = list(request.priorities)
    if request.scheduling == pb.AllocationRequest.Distributed:
        if not priorities:
            shuffled = list(game_servers)
            rng.shuffle(shuffled)
            return shuffled

        def less(a: LocalGameServer, b: LocalGameServer) -> bool:
            result = _priority_less(priorities, a, b)
            return a.name < b.name if result is None else result

    else:
        allocated = _Tally(gs.node for gs in game_servers if gs.state == "Allocated")
        ready = _Tally(gs.node for gs in game_servers if gs.state == "Ready")

        def less(a: LocalGameServer, b: LocalGameServer) -> bool:
            if a.state != b.state:
                return a.state == "Allocated"
            for tally in (allocated, ready):
                if tally[a.node] != tally[b.node]:
                    return tally[a.node] > tally[b.node]
            result = _priority_less(priorities, a, b)
            return a.name < b.name if result is None else result

    def compare(a: LocalGameServer, b: LocalGameServer) -> int:
        return -1 if less(a, b) else 1 if less(b, a) else 0

    return sorted(game_servers, key=functools.cmp_to_key(compare))


def choose(
    request: pb.AllocationRequest, game_servers: Sequence[LocalGameServer], rng: random.Random
) -> LocalGameServer | None:
    """The GameServer Agones would allocate for `request` among `game_servers`, or None."""
    candidates = [gs for gs in game_servers if gs.namespace == request.namespace and gs.state in ("Ready", "Allocated")]
    ordered = _ordered(request, candidates, rng)
    for sel in selectors_of(request):
        for gs in ordered:
            if matches(sel, gs):
                return gs
    return None


def allocation_response(gs: LocalGameServer) -> pb.AllocationResponse:
    """The allocator's reply for `gs` as it is after the allocation."""
    reply = pb.AllocationResponse(
        gameServerName=gs.name,
        ports=[pb.AllocationResponse.GameServerStatusPort(name=n, port=p) for n, p in gs.ports],
        address=gs.address,
        addresses=[pb.AllocationResponse.GameServerStatusAddress(type=t, address=a) for t, a in gs.addresses],
        nodeName=gs.node,
        source="local",
        metadata=pb.AllocationResponse.GameServerMetadata(labels=gs.labels, annotations=gs.annotations),
    )
    for name, (count, capacity) in gs.counters.items():
        reply.counters[name].count.value = count
        reply.counters[name].capacity.value = capacity
    for name, (list_capacity, values) in gs.lists.items():
        reply.lists[name].values.extend(values)
        reply.lists[name].capacity.value = list_capacity
    return reply
